// Issue 13 items 6 and 9, with real daemon processes: one daemon per data dir (a second exits at
// once, 75, touching nothing), and a journal made for another terminal (a cloned SD card) changes
// nothing and exits 65 with a message saying so.
import test from 'ava';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startBroker, type EmbeddedBroker } from '../../sim/broker.ts';
import { DaemonProcess } from '../helpers/daemon-process.ts';
import { until } from '../helpers/until.ts';
import { DEMO_CLUB_ID } from '../../sim/demo-club.ts';

let broker: EmbeddedBroker;
test.before(async () => {
  broker = await startBroker();
});
test.after.always(() => broker?.close());

function dir(t: import('ava').ExecutionContext): string {
  const d = mkdtempSync(join(tmpdir(), 'klubkort-guard-'));
  t.teardown(() => rmSync(d, { recursive: true, force: true }));
  return d;
}

const spec = (dataDir: string, terminalId = 'kasse-1') => ({
  brokerUrl: broker.url,
  terminalId,
  clubId: DEMO_CLUB_ID,
  dataDir,
});
const stderrOf = (d: DaemonProcess) => readFileSync(d.logFile, 'utf8');
const sha = (f: string) => createHash('sha256').update(readFileSync(f)).digest('hex');

test('a second daemon on the same data dir exits at once with 75 and a clear message; the first runs on untouched', async (t) => {
  const dataDir = join(dir(t), 'kasse-1');
  const first = DaemonProcess.spawn(spec(dataDir));
  t.teardown(() => first.kill());
  await until(
    () =>
      first.status().then(
        (s) => s.online,
        () => false,
      ),
    'the first daemon online',
    20000,
  );
  const sock = statSync(join(dataDir, 'control.sock'));
  const journal = sha(join(dataDir, 'journal.db'));

  const second = DaemonProcess.spawn({ ...spec(dataDir), terminalId: 'kasse-1' });
  t.teardown(() => second.kill());
  t.like(await second.exited, { code: 75 });
  t.regex(stderrOf(second), /another klubkort daemon is running with data dir .*kasse-1/);
  t.is(statSync(join(dataDir, 'control.sock')).ino, sock.ino, "the control socket is the first daemon's");
  t.is(sha(join(dataDir, 'journal.db')), journal);
  t.true(first.alive);
  // Online again at once (a loaded CI machine once showed it between two keepalives; the second
  // daemon opens no broker connection: the lock comes before any).
  await until(
    () =>
      first.status().then(
        (s) => s.online,
        () => false,
      ),
    'the first daemon still online',
    5000,
  );

  // SIGKILL leaves no stale lock: the next daemon starts.
  await first.kill();
  const third = DaemonProcess.spawn(spec(dataDir));
  t.teardown(() => third.kill());
  await until(
    () =>
      third.status().then(
        (s) => s.online,
        () => false,
      ),
    'a daemon after the killed one',
    20000,
  );
  t.pass();
});

test('a journal made for another terminal is not opened: exit 65, a message naming both, the journal unchanged', async (t) => {
  const dataDir = join(dir(t), 'till');
  const a = DaemonProcess.spawn(spec(dataDir, 'kasse-1'));
  await until(
    () =>
      a.status().then(
        (s) => s.online,
        () => false,
      ),
    'kasse-1 online',
    20000,
  );
  a.proc.kill('SIGTERM');
  t.like(await a.exited, { code: 0 });
  const before = sha(join(dataDir, 'journal.db'));

  const b = DaemonProcess.spawn(spec(dataDir, 'kasse-2'));
  t.teardown(() => b.kill());
  t.like(await b.exited, { code: 65 });
  t.regex(stderrOf(b), /belongs to terminal kasse-1, not kasse-2/);
  t.is(sha(join(dataDir, 'journal.db')), before);
});
