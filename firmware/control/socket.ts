// A local control socket in the data dir (mode 0600) so `klubkort status` and `klubkort forward`
// can ask the running daemon; one JSON request and one JSON answer per connection.
import net from 'node:net';
import { chmodSync, existsSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import type { Timers } from '../../lib/timers.ts';

export const socketPath = (dataDir: string): string => join(dataDir, 'control.sock');

/** `idle`: whether the till is idle (no basket, no confirm screen, no sale awaiting its answer): the updater restarts the daemon only then. */
const Request = z.object({ cmd: z.enum(['status', 'forward', 'idle']) });
export type ControlCommand = z.infer<typeof Request>['cmd'];
export type ControlHandler = (cmd: ControlCommand) => Promise<unknown>;

export async function serveControl(dataDir: string, handle: ControlHandler): Promise<net.Server> {
  const path = socketPath(dataDir);
  if (existsSync(path)) unlinkSync(path); // left by a killed daemon
  const server = net.createServer((sock) => {
    let buf = '';
    sock.setEncoding('utf8');
    sock.on('error', () => undefined);
    sock.on('data', (chunk) => {
      buf += chunk;
      if (buf.length > 4096) return void sock.destroy();
      const nl = buf.indexOf('\n');
      if (nl < 0) return;
      let req: z.infer<typeof Request>;
      try {
        req = Request.parse(JSON.parse(buf.slice(0, nl)));
      } catch {
        return void sock.end(JSON.stringify({ ok: false, error: 'bad request' }) + '\n');
      }
      handle(req.cmd).then(
        (data) => sock.end(JSON.stringify({ ok: true, data }) + '\n'),
        (err: Error) => sock.end(JSON.stringify({ ok: false, error: err.message }) + '\n'),
      );
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(path, resolve);
  });
  chmodSync(path, 0o600);
  return server;
}

export function askControl(
  dataDir: string,
  cmd: ControlCommand,
  timers: Timers,
  timeoutMs = 5000,
): Promise<{ ok: boolean; data?: unknown; error?: string }> {
  return new Promise((resolve, reject) => {
    const sock = net.createConnection(socketPath(dataDir));
    let buf = '';
    const timer = timers.setTimeout(() => {
      sock.destroy();
      reject(new Error('the daemon did not answer'));
    }, timeoutMs);
    sock.setEncoding('utf8');
    sock.on('connect', () => sock.write(JSON.stringify({ cmd }) + '\n'));
    sock.on('data', (c) => {
      buf += c;
    });
    sock.on('end', () => {
      timers.clearTimeout(timer);
      try {
        resolve(JSON.parse(buf));
      } catch {
        reject(new Error('bad answer from the daemon'));
      }
    });
    sock.on('error', (err: NodeJS.ErrnoException) => {
      timers.clearTimeout(timer);
      reject(
        new Error(
          err.code === 'ENOENT' || err.code === 'ECONNREFUSED'
            ? `no daemon running with data dir ${dataDir}`
            : err.message,
        ),
      );
    });
  });
}
