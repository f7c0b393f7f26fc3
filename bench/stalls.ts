// What held the terminal's loop during a job besides the job's own work: V8's collections (their
// pauses, perf_hooks' 'gc' entries) and the kernel's scheduler (how long the main thread was ready
// to run but waited for a CPU: /proc/thread-self/schedstat's second field). A key's p99 of a few
// milliseconds is decided by a handful of such stalls; these say which kind they were.
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { PerformanceObserver } from 'node:perf_hooks';

export interface Stalls {
  /** Collections, their pauses added up, and the longest. */
  gcPauses: number;
  gcMs: number;
  gcMaxMs: number;
  /** Time the thread was runnable but not running; null where the kernel does not say. */
  cpuWaitMs: number | null;
  /** CPU time of the process's other threads (SQLite's pool, V8's helpers, the photo workers). */
  othersMs: number | null;
}

export const NO_STALLS: Stalls = { gcPauses: 0, gcMs: 0, gcMaxMs: 0, cpuWaitMs: 0, othersMs: 0 };

/** A field of a thread's schedstat in ms (0: time on a CPU, 1: time waiting for one), or null. */
function schedMs(path: string, field: 0 | 1): number | null {
  try {
    const ns = Number(readFileSync(path, 'utf8').split(' ')[field]);
    return Number.isFinite(ns) ? ns / 1e6 : null;
  } catch {
    return null;
  }
}
const runQueueWaitMs = () => schedMs('/proc/thread-self/schedstat', 1);

/** CPU time of each of the process's threads but this one, by thread id. */
function othersRunMs(): Map<string, number> | null {
  try {
    const self = readlinkSync('/proc/thread-self').split('/').pop();
    const out = new Map<string, number>();
    for (const tid of readdirSync('/proc/self/task')) {
      if (tid === self) continue;
      const ms = schedMs(`/proc/self/task/${tid}/schedstat`, 0);
      if (ms !== null) out.set(tid, ms);
    }
    return out;
  } catch {
    return null;
  }
}

/** CPU time the threads took between two readings (a thread started since counts from zero). */
function ranBetween(a: Map<string, number> | null, b: Map<string, number> | null): number | null {
  if (!a || !b) return null;
  let ms = 0;
  for (const [tid, t] of b) ms += t - (a.get(tid) ?? 0);
  return ms;
}

/** Watches this thread's stalls until `stop`. */
export function watchStalls(): { stop(): Stalls } {
  const pauses: number[] = [];
  const take = (entries: PerformanceEntry[]) => {
    for (const e of entries) pauses.push(e.duration);
  };
  const observer = new PerformanceObserver((list) => take(list.getEntries()));
  observer.observe({ entryTypes: ['gc'] });
  const wait0 = runQueueWaitMs();
  const others0 = othersRunMs();
  return {
    stop() {
      const wait1 = runQueueWaitMs();
      const others1 = othersRunMs();
      take(observer.takeRecords());
      observer.disconnect();
      return {
        gcPauses: pauses.length,
        gcMs: pauses.reduce((a, b) => a + b, 0),
        gcMaxMs: Math.max(0, ...pauses),
        cpuWaitMs: wait0 === null || wait1 === null ? null : wait1 - wait0,
        othersMs: ranBetween(others0, others1),
      };
    },
  };
}

/** A sum that is unknown once one of its parts is. */
const plus = (a: number | null, b: number | null): number | null => (a === null || b === null ? null : a + b);

export const addStalls = (a: Stalls, b: Stalls): Stalls => ({
  gcPauses: a.gcPauses + b.gcPauses,
  gcMs: a.gcMs + b.gcMs,
  gcMaxMs: Math.max(a.gcMaxMs, b.gcMaxMs),
  cpuWaitMs: plus(a.cpuWaitMs, b.cpuWaitMs),
  othersMs: plus(a.othersMs, b.othersMs),
});

/** For a figure's note: "… collections (… ms, the longest … ms); … ms waiting for a CPU; …". */
export function describeStalls(s: Stalls): string {
  const f = (ms: number) => (ms < 10 ? ms.toFixed(2) : ms.toFixed(0));
  return [
    `${s.gcPauses} collections (${f(s.gcMs)} ms, the longest ${f(s.gcMaxMs)} ms)`,
    s.cpuWaitMs === null ? null : `the loop's thread waited ${f(s.cpuWaitMs)} ms for a CPU`,
    s.othersMs === null ? null : `the process's other threads ran ${f(s.othersMs)} ms`,
  ]
    .filter(Boolean)
    .join('; ');
}
