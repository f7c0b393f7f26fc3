// One thread, the event loop's, draws the cashier's screen, reads the keys and runs the sale. The
// process's other threads do work that can wait a few milliseconds: SQLite's statements and fsyncs
// (libuv's pool), V8's helper (concurrent marking, sweeping, compiling) and the photo workers. When
// they want more CPU than there is, as during a sync of 10,000 cards, the kernel shares it by weight,
// and at the same nice the loop's thread waited its turn behind them: a key's screen came late.
// HELPER_NICE steps below the loop's thread a helper weighs a tenth of it, so the loop runs first,
// and the helpers still take every CPU it leaves. Raising one's own threads' nice needs no privilege.
import { readdirSync, readlinkSync } from 'node:fs';
import { getPriority, setPriority } from 'node:os';
import type { Logger } from 'pino';
import type { Intervals, TimerHandle } from '../../lib/timers.ts';
import { errorCode } from '../error-code.ts';

/** Nice steps the helpers sit below the loop's thread (capped at 19, the lowest). */
export const HELPER_NICE = 10;
/** Threads start later too (libuv's pool at its first job, a photo worker at its first photo). */
export const RESCAN_MS = 2000;

export interface HelperThreadsDeps {
  timers: Intervals;
  log: Logger;
  /** The event loop's thread (default: the calling one, /proc/thread-self). */
  loopTid?: number;
  /** The process's threads (Linux: /proc/self/task); one that cannot be read leaves nothing to do. */
  threads?: () => number[];
  getNice?: (tid: number) => number;
  setNice?: (tid: number, nice: number) => void;
}

const procThreads = (): number[] => readdirSync('/proc/self/task').map(Number);
/** This thread's id: /proc/thread-self links to `<pid>/task/<tid>`. */
const thisThread = (): number => Number(readlinkSync('/proc/thread-self').split('/').pop());
/** os.setPriority throws ERR_SYSTEM_ERROR with the errno's code in `info`. */
const sysCode = (e: unknown): string => (e as { info?: { code?: string } }).info?.code ?? errorCode(e);

/**
 * Sets every thread of this process but the loop's HELPER_NICE below it, now and every RESCAN_MS; `stop`
 * ends the rescans. A thread that exits meanwhile is skipped; a refusal is logged once, and then
 * nothing more is tried (the terminal works as before, only less promptly under load).
 */
export function yieldToTheLoop(d: HelperThreadsDeps): { stop(): void } {
  const threads = d.threads ?? procThreads;
  const getNice = d.getNice ?? getPriority;
  const setNice = d.setNice ?? ((tid, nice) => setPriority(tid, nice));
  const done = new Set<number>();
  let timer: TimerHandle | null = null;
  let stopped = false;
  const stop = () => {
    stopped = true;
    if (timer !== null) d.timers.clearInterval(timer);
    timer = null;
  };
  let loop = d.loopTid ?? 0;
  let nice = HELPER_NICE;
  const scan = () => {
    let tids: number[];
    try {
      loop ||= thisThread();
      tids = threads();
      nice = Math.min(19, getNice(loop) + HELPER_NICE);
    } catch (e) {
      d.log.warn({ part: 'threads', code: sysCode(e) }, 'cannot list the threads: helpers keep their priority');
      return stop();
    }
    const live = new Set(tids);
    // A thread id may be used again once its thread has exited.
    for (const tid of done) if (!live.has(tid)) done.delete(tid);
    for (const tid of tids) {
      if (tid === loop || done.has(tid)) continue;
      try {
        setNice(tid, nice);
        done.add(tid);
      } catch (e) {
        if (sysCode(e) === 'ESRCH') continue; // exited between the listing and now
        d.log.warn({ part: 'threads', code: sysCode(e) }, 'cannot lower a helper thread: helpers keep their priority');
        return stop();
      }
    }
  };
  scan();
  if (!stopped) timer = d.timers.setInterval(scan, RESCAN_MS, true);
  return { stop };
}
