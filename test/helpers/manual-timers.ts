// A test double of lib/timers.ts's Timers and Intervals: a clock that moves only when told to, so
// beep patterns, read timeouts, retries and reconnect backoff run deterministically.
import type { Intervals, TimerHandle, Timers } from '../../lib/timers.ts';

interface Due {
  at: number;
  fn: () => void;
  /** A repeating timer's period. */
  every?: number;
}

/** A clock that moves only when told to: `advance(ms)` fires every timer due by then, in order. */
export class ManualTimers implements Timers, Intervals {
  #now = 0;
  #nextId = 1;
  readonly #due = new Map<number, Due>();

  get now(): number {
    return this.#now;
  }
  get pending(): number {
    return this.#due.size;
  }

  setTimeout(fn: () => void, ms: number): TimerHandle {
    const id = this.#nextId++;
    this.#due.set(id, { at: this.#now + Math.max(0, ms), fn });
    return id;
  }

  clearTimeout(handle: TimerHandle): void {
    this.#due.delete(handle as number);
  }

  setInterval(fn: () => void, ms: number): TimerHandle {
    const id = this.#nextId++;
    // Node runs an interval of 0 as 1 ms: never a loop that does not advance.
    const every = Math.max(1, ms);
    this.#due.set(id, { at: this.#now + every, fn, every });
    return id;
  }

  clearInterval(handle: TimerHandle): void {
    this.#due.delete(handle as number);
  }

  advance(ms: number): void {
    const until = this.#now + ms;
    for (;;) {
      let next: [number, Due] | undefined;
      for (const entry of this.#due) {
        if (entry[1].at <= until && (!next || entry[1].at < next[1].at)) next = entry;
      }
      if (!next) break;
      const [id, due] = next;
      if (due.every === undefined) this.#due.delete(id);
      else due.at += due.every;
      this.#now = due.at - (due.every ?? 0);
      due.fn();
    }
    this.#now = until;
  }
}
