// A real pcscd for tests, in the foreground, with the virtual reader driver of vsmartcard-vpcd on
// a port of its own, so that nfc-pcsc's native binding and the reader driver run against the real
// PC/SC stack. Debian's pcscd 1.9 always serves /run/pcscd/pcscd.comm (PCSCLITE_CSOCK_NAME moves
// only the client's end), so as root it runs in a private mount namespace with a temp dir bound
// over /run/pcscd; clients find it through PCSCLITE_CSOCK_NAME. Without that, runs share the
// standard socket one at a time under a lock. Stopped by its PID.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './mosquitto.ts';

export const VPCD_DRIVER = '/usr/lib/pcsc/drivers/serial/libifdvpcd.so';
const INSTALL = 'apt-get install -y pcscd vsmartcard-vpcd libpcsclite-dev && npm rebuild @pokusew/pcsclite';
const STANDARD_SOCKET = '/run/pcscd/pcscd.comm';

/** Throws, saying what to install, when a piece of the virtual PC/SC stack is missing. */
export async function requireVirtualPcsc(): Promise<void> {
  const missing: string[] = [];
  if (spawnSync('pcscd', ['--version']).error) missing.push('pcscd (Debian package pcscd)');
  if (!existsSync(VPCD_DRIVER)) missing.push(`${VPCD_DRIVER} (Debian package vsmartcard-vpcd)`);
  try {
    await import('nfc-pcsc');
  } catch (err) {
    missing.push(
      `nfc-pcsc with its native part (${(err as Error).message.split('\n')[0]}; needs libpcsclite-dev before npm install)`,
    );
  }
  if (missing.length)
    throw new Error(`the virtual PC/SC stack is incomplete: ${missing.join('; ')}. Install: ${INSTALL}`);
}

let namespaces: boolean | undefined;
/** Can this process give pcscd a private /run/pcscd (root, CAP_SYS_ADMIN)? */
function canUnshare(): boolean {
  namespaces ??= spawnSync('unshare', ['--mount', '--propagation', 'private', 'true']).status === 0;
  return namespaces;
}

function accepts(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect(path);
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

export interface VirtualPcsc {
  /** The card side of reader "Virtual PCD 00 00"; "Virtual PCD 00 01" is on port + 1. */
  port: number;
  socket: string;
  /** What a client of this pcscd needs in its environment. */
  env: { PCSCLITE_CSOCK_NAME: string };
  readonly pid: number | undefined;
  /** pcscd's output so far (for a failing test's message). */
  output(): string;
  /**
   * `reader: false`: pcscd comes up without the virtual reader, as on a terminal whose reader is
   * unplugged (pcscd 1.9's udev build never drops a configured serial reader while it runs).
   */
  start(o?: { reader?: boolean }): Promise<void>;
  /** SIGKILL, as a crash would; start() brings it back on the same socket and port. */
  kill(): Promise<void>;
  stop(): Promise<void>;
  close(): Promise<void>;
}

export async function startVirtualPcsc(): Promise<VirtualPcsc> {
  await requireVirtualPcsc();
  const dir = mkdtempSync(join(tmpdir(), 'klubkort-pcscd-'));
  // Two readers, two ports (vpcd listens on every address), below the ephemeral range: pcscd
  // binds them again after a kill, and no outgoing connection may take them meanwhile.
  const port = await freePort(2, '0.0.0.0');
  const conf = join(dir, 'reader.conf.d');
  mkdirSync(conf);
  // vpcd's DEVICENAME: /dev/null:<port in hex> makes it listen for the virtual card on that port.
  const hex = `0x${port.toString(16).toUpperCase()}`;
  const readerConf = `FRIENDLYNAME "Virtual PCD"\nDEVICENAME   /dev/null:${hex}\nLIBPATH      ${VPCD_DRIVER}\nCHANNELID    ${hex}\n`;
  const isolated = canUnshare();
  const run = join(dir, 'run');
  mkdirSync(run);
  if (isolated) mkdirSync('/run/pcscd', { recursive: true });
  const socket = isolated ? join(run, 'pcscd.comm') : STANDARD_SOCKET;
  let proc: ChildProcess | null = null;
  let out = '';

  const start = async ({ reader = true }: { reader?: boolean } = {}) => {
    rmSync(join(run, 'pcscd.comm'), { force: true });
    if (reader) writeFileSync(join(conf, 'vpcd'), readerConf);
    else rmSync(join(conf, 'vpcd'), { force: true });
    const [cmd, args] = isolated
      ? [
          'unshare',
          [
            '--mount',
            '--propagation',
            'private',
            'sh',
            '-c',
            'mount --bind "$1" /run/pcscd && exec pcscd -f -c "$2"',
            'sh',
            run,
            conf,
          ],
        ]
      : ['flock', ['-F', join(tmpdir(), 'klubkort-pcscd.lock'), 'pcscd', '-f', '-c', conf]];
    const p = spawn(cmd, args as string[], { stdio: ['ignore', 'pipe', 'pipe'] });
    proc = p;
    const gone = new Promise<never>((_, reject) => {
      p.once('error', (err) => reject(new Error(`cannot start pcscd: ${err.message}`)));
      p.once('exit', (code, signal) => reject(new Error(`pcscd exited (${signal ?? code}):\n${out.slice(-3000)}`)));
    });
    gone.catch(() => undefined);
    const onData = (d: Buffer) => {
      out = (out + d.toString()).slice(-20_000);
    };
    p.stdout!.on('data', onData);
    p.stderr!.on('data', onData);
    // Ready once its socket takes connections (a stale socket file of a killed one does not).
    const ready = (async () => {
      while (proc === p && !(await accepts(socket))) await new Promise((r) => setTimeout(r, 50));
    })();
    const timeout = new Promise<never>((_, reject) =>
      setTimeout(() => reject(new Error(`pcscd not ready in 15 s:\n${out.slice(-3000)}`)), 15_000).unref(),
    );
    await Promise.race([ready, gone, timeout]);
  };

  const end = async (signal: NodeJS.Signals) => {
    const p = proc;
    proc = null;
    if (!p || p.exitCode !== null || p.signalCode !== null) return;
    const exited = new Promise<void>((r) => p.once('exit', () => r()));
    process.kill(p.pid!, signal);
    await exited;
  };

  await start();
  return {
    port,
    socket,
    env: { PCSCLITE_CSOCK_NAME: socket },
    get pid() {
      return proc?.pid;
    },
    output: () => out,
    start,
    kill: () => end('SIGKILL'),
    stop: () => end('SIGTERM'),
    async close() {
      await end('SIGTERM');
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
