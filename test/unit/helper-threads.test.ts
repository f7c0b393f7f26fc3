// The daemon's helper threads at a lower priority than the event loop's (firmware/systemd/helper-threads.ts):
// which threads, when, and what a refusal or a thread gone meanwhile does.
import test from 'ava';
import pino from 'pino';
import { HELPER_NICE, RESCAN_MS, yieldToTheLoop } from '../../firmware/systemd/helper-threads.ts';
import { ManualTimers } from '../helpers/manual-timers.ts';

function world(threads: number[], refuse: (tid: number) => string | null = () => null) {
  const timers = new ManualTimers();
  const lines: { msg: string; code?: string }[] = [];
  const log = pino({ level: 'info' }, { write: (s: string) => void lines.push(JSON.parse(s)) });
  const set: [number, number][] = [];
  const live = { threads };
  const helpers = yieldToTheLoop({
    timers,
    log,
    loopTid: 100,
    threads: () => live.threads,
    getNice: () => 0,
    setNice: (tid, nice) => {
      const code = refuse(tid);
      if (code) throw Object.assign(new Error(`uv_os_setpriority returned ${code}`), { info: { code } });
      set.push([tid, nice]);
    },
  });
  return { timers, lines, set, live, helpers };
}

test("every thread but the loop's gets the helpers' nice at once, and a thread started later at the next rescan", (t) => {
  const w = world([100, 101, 102]);
  t.deepEqual(w.set, [
    [101, HELPER_NICE],
    [102, HELPER_NICE],
  ]);
  w.live.threads = [100, 101, 102, 103];
  w.timers.advance(RESCAN_MS - 1);
  t.is(w.set.length, 2, 'not before the rescan');
  w.timers.advance(1);
  t.deepEqual(w.set.at(-1), [103, HELPER_NICE]);
  t.is(w.set.length, 3, 'the threads set already are not set again');
  t.true(HELPER_NICE > 0 && HELPER_NICE <= 19);
});

test("the helpers sit HELPER_NICE below the loop's own nice, at most 19", (t) => {
  for (const [base, want] of [
    [5, 5 + HELPER_NICE],
    [15, 19],
  ] as const) {
    const set: number[] = [];
    yieldToTheLoop({
      timers: new ManualTimers(),
      log: pino({ level: 'silent' }),
      loopTid: 7,
      threads: () => [7, 8],
      getNice: (tid) => (tid === 7 ? base : t.fail('only the loop is asked')),
      setNice: (_, nice) => void set.push(nice),
    });
    t.deepEqual(set, [want]);
  }
});

test('a thread id used again by a new thread is set again', (t) => {
  const w = world([100, 101]);
  w.live.threads = [100];
  w.timers.advance(RESCAN_MS);
  w.live.threads = [100, 101];
  w.timers.advance(RESCAN_MS);
  t.deepEqual(w.set, [
    [101, HELPER_NICE],
    [101, HELPER_NICE],
  ]);
});

test('a thread that exited between the listing and its turn is skipped; the others are set', (t) => {
  const w = world([100, 101, 102], (tid) => (tid === 101 ? 'ESRCH' : null));
  t.deepEqual(w.set, [[102, HELPER_NICE]]);
  t.deepEqual(w.lines, []);
});

test('a refusal is logged once, with its code, and nothing more is tried; stop ends the rescans', (t) => {
  const w = world([100, 101, 102], () => 'EPERM');
  t.is(w.lines.length, 1);
  t.like(w.lines[0], { code: 'EPERM', msg: 'cannot lower a helper thread: helpers keep their priority' });
  t.is(w.timers.pending, 0, 'no rescan');
  const ok = world([100, 101]);
  ok.helpers.stop();
  t.is(ok.timers.pending, 0);
});

test('threads that cannot be listed are logged once and leave nothing running', (t) => {
  const timers = new ManualTimers();
  const lines: { code?: string }[] = [];
  yieldToTheLoop({
    timers,
    log: pino({}, { write: (s: string) => void lines.push(JSON.parse(s)) }),
    loopTid: 1,
    threads: () => {
      throw Object.assign(new Error('no /proc'), { code: 'ENOENT' });
    },
    setNice: () => t.fail('nothing to set'),
  });
  t.like(lines, [{ code: 'ENOENT' }]);
  t.is(timers.pending, 0);
});
