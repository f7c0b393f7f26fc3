// A test double of lib/timers.ts's Timers: a clock that moves only when told to, so beep patterns,
// read timeouts and reconnect backoff run deterministically.
import type { TimerHandle, Timers } from '../../lib/timers.ts';

/** A clock that moves only when told to: `advance(ms)` fires every timer due by then, in order. */
export class ManualTimers implements Timers {
  #now = 0;
  #nextId = 1;
  readonly #due = new Map<number, { at: number; fn: () => void }>();

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

  advance(ms: number): void {
    const until = this.#now + ms;
    for (;;) {
      let next: [number, { at: number; fn: () => void }] | undefined;
      for (const entry of this.#due) {
        if (entry[1].at <= until && (!next || entry[1].at < next[1].at)) next = entry;
      }
      if (!next) break;
      this.#due.delete(next[0]);
      this.#now = next[1].at;
      next[1].fn();
    }
    this.#now = until;
  }
}
