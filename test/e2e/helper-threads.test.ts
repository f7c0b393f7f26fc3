// A real daemon (`klubkort run` with the unit's Node flags) keeps its event loop's thread at the
// priority it was started with and puts every other thread of its process (SQLite's pool, V8's
// helper) HELPER_NICE below it, as /proc shows them.
import test from 'ava';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { getPriority, tmpdir } from 'node:os';
import { join } from 'node:path';
import { HELPER_NICE } from '../../firmware/systemd/helper-threads.ts';
import { startBroker } from '../../sim/broker.ts';
import { DEMO_CLUB_ID } from '../../sim/demo-club.ts';
import { DaemonProcess } from '../helpers/daemon-process.ts';
import { until } from '../helpers/until.ts';

/** Each thread's nice: /proc/<pid>/task/<tid>/stat's 19th field, counted after the name's ")". */
function nices(pid: number): Map<number, number> {
  const out = new Map<number, number>();
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
      out.set(Number(tid), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[16]));
    } catch {
      // the thread exited between the listing and now
    }
  }
  return out;
}

test("the daemon's helper threads run below its event loop's thread", async (t) => {
  const broker = await startBroker();
  t.teardown(() => broker.close());
  const dir = mkdtempSync(join(tmpdir(), 'klubkort-threads-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const d = DaemonProcess.spawn({
    brokerUrl: broker.url,
    terminalId: 'kasse-1',
    clubId: DEMO_CLUB_ID,
    dataDir: join(dir, 'kasse-1'),
  });
  t.teardown(() => d.kill());
  await until(
    () =>
      d.status().then(
        (s) => s.online,
        () => false,
      ),
    'the daemon online',
    20000,
  );
  const pid = d.proc.pid!;
  const base = getPriority();
  const want = Math.min(19, base + HELPER_NICE);
  // Threads may start after the first look (a worker): every one is down within a rescan or two.
  await until(() => [...nices(pid)].every(([tid, n]) => tid === pid || n === want), 'every helper lowered', 10000);
  const now = nices(pid);
  t.is(now.get(pid), base, "the event loop's thread keeps the priority it was started with");
  const helpers = [...now.keys()].filter((tid) => tid !== pid);
  // V8's helper and libuv's pool of four (SQLite) at least.
  t.true(helpers.length >= 5, `${helpers.length} helper threads`);
  t.true(d.alive);
});
