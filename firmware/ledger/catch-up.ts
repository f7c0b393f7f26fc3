// A ledger message is acknowledged to the broker when the sync has taken it, before it is stored
// (mqtt.js sends the PUBACK when handleMessage calls back, and reads the next packet only after
// that: one commit per message would make a fresh terminal's sync of thousands of records take
// minutes). So a message that then fails to store (the disk full) is not sent again. Instead the
// cache is known to be *behind*: no offline approval (the offline age is unknown: `stale`), and
// once the disk has room the retained records are fetched again (link.ts refetch()). A closed
// card's empty record is not retained: the roster that comes with them erases it (contract 1.1
// § Roster). A lost result is asked again by the forwarder (the outbox keeps its entry). The mark
// in the journal tells a restart that the cache is still behind.
import { TypedEmitter } from '../../lib/emitter.ts';
import { Wakeable } from '../../lib/within.ts';
import type { Logger } from '../log.ts';
import type { Journal } from '../journal/journal.ts';
import type { Timers } from '../../lib/timers.ts';

const BEHIND = 'cache_behind';
/** Waits between tries while there is no room (or a try failed again): doubling, bounded. */
const RETRY_MIN_MS = 1000;
const RETRY_MAX_MS = 30_000;

export interface CatchUpDeps {
  /** Fetches every retained record again; true once all were handed to the sync (see LedgerLink.refetch). */
  refetch?: () => Promise<boolean>;
  journal: Journal;
  /** Resolves when everything the sync received so far is applied. */
  idle: () => Promise<void>;
  log: Logger;
  timers: Timers;
}

export class CatchUp extends TypedEmitter<{ behind: [behind: boolean] }> {
  #behind = false;
  /** Messages that failed to store, ever: a refetch counts only if none failed meanwhile. */
  #missed = 0;
  #running = false;
  #stopped = false;
  readonly #pause: Wakeable;

  constructor(private readonly d: CatchUpDeps) {
    super();
    this.#pause = new Wakeable(d.timers);
  }

  /** The cache is known to lack something the ledger sent. */
  get behind(): boolean {
    return this.#behind;
  }

  /** Reads the journal's mark: a cache left behind by the last run is fetched again. */
  async start(): Promise<void> {
    if ((await this.d.journal.meta(BEHIND)) === '1') {
      this.d.log.warn(
        'the card cache was left behind by the last run: no offline approval until the retained records are fetched again',
      );
      this.#set(true);
      void this.#run();
    }
  }

  stop(): void {
    this.#stopped = true;
    this.#pause.wake();
  }

  /** A ledger message failed to store. */
  missed(): void {
    this.#missed++;
    if (!this.#behind) {
      this.d.log.warn(
        'a ledger message failed to store: the card cache is behind; no offline approval until the retained records are fetched again',
      );
      this.#set(true);
    }
    void this.#run();
  }

  #set(behind: boolean): void {
    this.#behind = behind;
    this.emit('behind', behind);
  }

  /** Until caught up: room first (the journal's mark is the probe), then a refetch with nothing failing meanwhile. */
  async #run(): Promise<void> {
    const refetch = this.d.refetch;
    if (this.#running || !refetch) return;
    this.#running = true;
    let wait = RETRY_MIN_MS;
    try {
      while (this.#behind && !this.#stopped) {
        await this.#pause.wait(wait);
        if (this.#stopped) return;
        wait = Math.min(wait * 2, RETRY_MAX_MS);
        if (!(await this.#mark('1'))) continue;
        const missed = this.#missed;
        // false: the connection ended first; refetch waits for the next one itself.
        if (!(await refetch())) {
          wait = RETRY_MIN_MS;
          continue;
        }
        await this.d.idle();
        if (this.#missed !== missed || !(await this.#mark('0')) || this.#missed !== missed) continue;
        this.d.log.info('retained records fetched again: the card cache is current');
        this.#set(false);
      }
    } finally {
      this.#running = false;
    }
  }

  /** False when the journal could not store it (still no room). */
  #mark(value: '0' | '1'): Promise<boolean> {
    return this.d.journal.setMeta(BEHIND, value).then(
      () => true,
      () => false,
    );
  }
}
