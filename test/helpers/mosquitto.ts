// A real mosquitto on a loopback port that tests can stop and start under a terminal. With
// persistence on, retained records and persistent sessions survive a restart, as on a club's broker.
import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface Mosquitto { port: number; url: string; start(): Promise<void>; stop(): Promise<void>; close(): Promise<void> }

export async function freePort(): Promise<number> {
  const srv = net.createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as net.AddressInfo).port;
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}

async function waitPort(port: number, ms = 10000): Promise<void> {
  const end = Date.now() + ms;
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = net.connect(port, '127.0.0.1');
      s.once('connect', () => { s.destroy(); resolve(true); });
      s.once('error', () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > end) throw new Error(`mosquitto did not listen on ${port}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export async function startMosquitto(extraConf = ''): Promise<Mosquitto> {
  return startMosquittoConf((dir, port) => [
    `listener ${port} 127.0.0.1`, 'allow_anonymous true', 'persistence true', `persistence_location ${dir}/`,
    'autosave_interval 1', 'log_dest file ' + join(dir, 'mosquitto.log'), extraConf,
  ].join('\n') + '\n');
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
    async start() {
      proc = spawn('mosquitto', ['-c', conf], { stdio: 'ignore' });
      await waitPort(port);
    },
    async stop() {
      const p = proc;
      proc = null;
      if (!p || p.exitCode !== null) return;
      await new Promise<void>((r) => { p.once('exit', () => r()); p.kill('SIGTERM'); });
    },
    async close() { await m.stop(); rmSync(dir, { recursive: true, force: true }); },
  };
  await m.start();
  return m;
}
