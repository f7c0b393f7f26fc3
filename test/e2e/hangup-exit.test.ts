// A terminal that hangs up while the daemon stops (the kiosk's stop ends cage, foot and the daemon
// together) must not turn the daemon's end into an abort: Node 20 aborts an exit whose terminal
// modes it cannot restore (nodejs/node#51519), and the last log lines are lost with it. Seen as
// "slave exited with signal 6 (Aborted)" in the unit-nspawn test. A real pty (python3's pty module).
import test, { type ExecutionContext } from 'ava';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const PTY = `
import os, pty, sys, signal, json, select, time
pid, fd = pty.fork()
if pid == 0:
    os.execvp(sys.argv[1], sys.argv[1:])
buf, deadline = b'', time.time() + 60
while b'ready' not in buf and time.time() < deadline:
    if select.select([fd], [], [], 1)[0]:
        buf += os.read(fd, 1024)
os.kill(pid, signal.SIGTERM)
time.sleep(0.5)
os.close(fd)  # the terminal goes: foot closing its pty
_, st = os.waitpid(pid, 0)
print(json.dumps({'signal': os.WTERMSIG(st) if os.WIFSIGNALED(st) else None, 'code': os.WEXITSTATUS(st) if os.WIFEXITED(st) else None}))
`;

async function endOf(t: ExecutionContext, how: 'signal' | 'unhealthy') {
  const dir = mkdtempSync(join(tmpdir(), 'klubkort-hangup-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const marker = join(dir, 'stopped');
  const { stdout } = await promisify(execFile)(
    'python3',
    [
      '-c',
      PTY,
      process.execPath,
      '--import',
      'tsx',
      join(import.meta.dirname, '../helpers/hangup-child.ts'),
      marker,
      how,
    ],
    { timeout: 90_000 },
  );
  t.is(readFileSync(marker, 'utf8'), 'stopped', 'the stop ran to its end');
  return JSON.parse(stdout) as { signal: number | null; code: number | null };
}

test('a stop that ends as the terminal hangs up ends as a hung-up process, never an abort', async (t) => {
  t.deepEqual(
    await endOf(t, 'signal'),
    { signal: 1, code: null },
    'ended by SIGHUP, as a hung-up process (before the fix: SIGABRT or SIGSEGV)',
  );
});

// The health gate's stop exits 70 for the rollback; systemd fails a Type=notify unit that ends
// before READY whichever way it ends, so a SIGHUP there still runs the rollback.
test('a failed health gate whose stop ends as the terminal hangs up ends by SIGHUP, never an abort', async (t) => {
  t.deepEqual(
    await endOf(t, 'unhealthy'),
    { signal: 1, code: null },
    'ended by SIGHUP (before the fix: the exit 70 aborted)',
  );
});
