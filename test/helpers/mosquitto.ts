// A real mosquitto on a loopback port that tests can stop and start under a terminal. With
// persistence on, retained records and persistent sessions survive a restart, as on a club's broker.
import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface Mosquitto {
  port: number;
  url: string;
  readonly pid: number | undefined;
  start(): Promise<void>;
  stop(): Promise<void>;
  close(): Promise<void>;
}

/** The kernel's range for the local ports of outgoing connections (and of `listen(0)`). */
export function ephemeralPorts(): { low: number; high: number } {
  try {
    const [low, high] = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/).map(Number);
    if (low && high) return { low, high };
  } catch {}
  return { low: 32768, high: 60999 };
}

/** Binds `port` on `host`, or says it is taken. */
const bindable = (port: number, host: string): Promise<boolean> =>
  new Promise((resolve) => {
    const srv = net.createServer();
    srv.once('error', () => resolve(false));
    srv.listen(port, host, () => srv.close(() => resolve(true)));
  });

/**
 * A free port below the kernel's ephemeral range (the first of `count` free consecutive ones, on
 * `host`). A port from that range (listen(0)) can be taken by any outgoing connection of the
 * machine between this check and the server's bind, or while a test has its server stopped: CI
 * saw mosquitto exit with "Address already in use".
 */
export async function freePort(count = 1, host = '127.0.0.1'): Promise<number> {
  const top = ephemeralPorts().low - count;
  const bottom = Math.min(20_000, top - 1000);
  for (let i = 0; i < 100; i++) {
    const port = bottom + Math.floor(Math.random() * (top - bottom + 1));
    let free = true;
    for (let k = 0; k < count && free; k++) free = await bindable(port + k, host);
    if (free) return port;
  }
  throw new Error(`no ${count} free port(s) in ${bottom}–${top + count - 1}`);
}

async function waitPort(port: number, exited: Promise<never>, ms = 10000): Promise<void> {
  const end = Date.now() + ms;
  for (;;) {
    const ok = await Promise.race([
      exited,
      new Promise<boolean>((resolve) => {
        const s = net.connect(port, '127.0.0.1');
        s.once('connect', () => {
          s.destroy();
          resolve(true);
        });
        s.once('error', () => resolve(false));
      }),
    ]);
    if (ok) return;
    if (Date.now() > end) throw new Error(`mosquitto did not listen on ${port}`);
    await Promise.race([exited, new Promise((r) => setTimeout(r, 50))]);
  }
}

/** Rejects when `proc` ends (or cannot be spawned) with what mosquitto said: its stderr and the end of its log file. */
function exitOf(proc: ChildProcess, conf: string): Promise<never> {
  let stderr = '';
  proc.stderr!.on('data', (d: Buffer) => {
    stderr = (stderr + d.toString()).slice(-4000);
  });
  const logFile = readFileSync(conf, 'utf8').match(/^log_dest file (.+)$/m)?.[1];
  const why = () => {
    let log = '';
    try {
      log = logFile ? readFileSync(logFile, 'utf8').slice(-2000) : '';
    } catch {
      /* not written yet */
    }
    return [stderr.trim(), log.trim()].filter(Boolean).join('\n') || '(no output)';
  };
  const exited = new Promise<never>((_, reject) => {
    proc.once('error', (err) => reject(new Error(`cannot start mosquitto: ${err.message}`)));
    proc.once('exit', (code, signal) =>
      reject(new Error(`mosquitto -c ${conf} exited (${signal ?? code}):\n${why()}`)),
    );
  });
  exited.catch(() => undefined); // only a start that is waiting for the port cares
  return exited;
}

export async function startMosquitto(extraConf = ''): Promise<Mosquitto> {
  return startMosquittoConf(
    (dir, port) =>
      [
        `listener ${port} 127.0.0.1`,
        'allow_anonymous true',
        'persistence true',
        `persistence_location ${dir}/`,
        'autosave_interval 1',
        'log_dest file ' + join(dir, 'mosquitto.log'),
        extraConf,
      ].join('\n') + '\n',
  );
}

/** A mosquitto with the whole config from `build`, given its temp dir and a free port to listen on (waited for). */
export async function startMosquittoConf(build: (dir: string, port: number) => string): Promise<Mosquitto> {
  const dir = mkdtempSync(join(tmpdir(), 'klubkort-mosq-'));
  // Started as root, mosquitto drops to its own user: it must still write its persistence file here.
  chmodSync(dir, 0o777);
  const port = await freePort();
  const conf = join(dir, 'mosquitto.conf');
  writeFileSync(conf, build(dir, port));
  let proc: ChildProcess | null = null;
  const m: Mosquitto = {
    port,
    url: `mqtt://127.0.0.1:${port}`,
    get pid() {
      return proc?.pid;
    },
    async start() {
      // A second start would orphan the running broker (its port taken, the new one exits): stop()
      // would then leave it running and keep the test's worker alive for ever.
      if (proc && proc.exitCode === null && proc.signalCode === null)
        throw new Error('mosquitto is already running: stop() it first');
      // stderr is read (and kept short) so that a broker that refuses its config fails the start
      // with mosquitto's own words at once, instead of a wait for a port nobody opens.
      const p = spawn('mosquitto', ['-c', conf], { stdio: ['ignore', 'ignore', 'pipe'] });
      proc = p;
      await waitPort(port, exitOf(p, conf));
    },
    async stop() {
      const p = proc;
      proc = null;
      if (!p || p.exitCode !== null || p.signalCode !== null) return; // already gone (a killed one has no exit code)
      await new Promise<void>((r) => {
        p.once('exit', () => r());
        p.kill('SIGTERM');
      });
    },
    async close() {
      await m.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  await m.start();
  return m;
}
