// A roster's erasure that a full disk cut short while the journal opened (Journal.open): tried
// again with growing waits until it is done or the journal closes. Meanwhile the cards it leaves
// out are closed to every sale (LEFT_OFF), and a roster fetched again finishes it too
// (CardCache.applyRoster). Without this the journal did not open at all on a full disk, and the
// terminal never started.
import { Wakeable } from '../../lib/within.ts';
import type { Timers } from '../../lib/timers.ts';

const FIRST_MS = 1000;
const MAX_MS = 30_000;

/** SQLite's answer when the disk (or the WAL's file) cannot grow. */
export const isDiskFull = (e: unknown): boolean =>
  typeof e === 'object' && e !== null && (e as { code?: unknown }).code === 'SQLITE_FULL';

export class ErasureRetry {
  #stopped = false;
  #done = false;
  readonly #pause: Wakeable;

  constructor(
    private readonly erase: () => Promise<unknown>,
    timers: Timers,
  ) {
    this.#pause = new Wakeable(timers);
    void this.#run();
  }

  /** Still waiting for room to finish the erasure. */
  get pending(): boolean {
    return !this.#done;
  }

  stop(): void {
    this.#stopped = true;
    this.#pause.wake();
  }

  async #run(): Promise<void> {
    for (let wait = FIRST_MS; !this.#stopped; wait = Math.min(wait * 2, MAX_MS)) {
      await this.#pause.wait(wait);
      if (this.#stopped) return;
      try {
        await this.erase();
        this.#done = true;
        return;
      } catch {
        // Still no room (or the journal is closing: stop() ends the loop).
      }
    }
  }
}
