// The terminal's retained status (contract § Terminal status) and the queue count the screen shows:
// published at every connection and whenever what it says changes (the number of unanswered sales
// and voids, the oldest of them, the card reader's state).
import type { Journal } from '../journal/journal.ts';
import type { LedgerLink } from '../ledger/link.ts';
import type { LedgerSync } from '../ledger/sync.ts';
import { FIRMWARE_VERSION } from '../version.ts';
import { CONTRACT_VERSION, type ReaderStatus } from '../../contract/index.ts';
import type { UpdateReport } from '../../contract/release.ts';
import { type Intervals, systemTimers, type TimerHandle } from '../../lib/timers.ts';

/** The queue is counted again this often, whatever else happened. */
const RECOUNT_MS = 60_000;

/** What the status tells `klubkort fleet` besides the contract's fields. */
export interface FleetFacts {
  club: string;
  reader: () => ReaderStatus;
  /** The last update this terminal worked on (contract 1.2), read anew at each count. */
  update?: () => UpdateReport | null;
}

export class StatusPublisher {
  #queue = 0;
  #oldest: string | null = null;
  #reader: ReaderStatus | null = null;
  #update = 'null';
  #since = '';
  #timer: TimerHandle | null = null;
  readonly #onConnected = (): void => {
    this.#since = this.now().toISOString();
    void this.publish();
  };
  readonly #onQueueChanged = (): void => void this.refresh();

  /** `changed`: the queue count changed (the screen shows it). */
  constructor(
    private readonly link: LedgerLink,
    private readonly sync: LedgerSync,
    private readonly journal: Journal,
    private readonly now: () => Date,
    private readonly changed: () => void,
    /** The first status waits for this: the retained one must be read before it is replaced. */
    private readonly ready: () => Promise<void> = () => Promise.resolve(),
    private readonly facts: FleetFacts | null = null,
    private readonly timers: Intervals = systemTimers,
  ) {}

  get queue(): number {
    return this.#queue;
  }

  /** Counts the queue and follows the connection and the ledger's answers from now on. */
  async start(): Promise<void> {
    ({ length: this.#queue, oldest: this.#oldest } = await this.journal.sales.queue());
    this.#reader = this.facts?.reader() ?? null;
    this.link.on('connected', this.#onConnected);
    this.sync.on('queueChanged', this.#onQueueChanged);
    this.#timer = this.timers.setInterval(this.#onQueueChanged, RECOUNT_MS);
  }

  stop(): void {
    if (this.#timer) this.timers.clearInterval(this.#timer);
    this.link.off('connected', this.#onConnected);
    this.sync.off('queueChanged', this.#onQueueChanged);
  }

  /** Counts the queue again and looks at the reader; a change is published (a changed count also shown). */
  async refresh(): Promise<void> {
    // Timers and ledger events call this unawaited, also while stop() closes the journal: a read
    // that fails then changes nothing (it was an unhandled rejection).
    const q = await this.journal.sales.queue().catch(() => ({ length: this.#queue, oldest: this.#oldest }));
    const reader = this.facts?.reader() ?? null;
    const update = this.#readUpdate();
    const counted = q.length !== this.#queue;
    if (!counted && q.oldest === this.#oldest && reader === this.#reader && update === this.#update) return;
    this.#update = update;
    this.#queue = q.length;
    this.#oldest = q.oldest;
    this.#reader = reader;
    if (counted) this.changed();
    await this.publish();
  }

  /** As JSON, to see a change; a layout that cannot be read says nothing. */
  #readUpdate(): string {
    try {
      return JSON.stringify(this.facts?.update?.() ?? null);
    } catch {
      return 'null';
    }
  }

  async publish(): Promise<void> {
    await this.ready();
    this.#update = this.#readUpdate();
    const update = this.facts?.update ? { update: JSON.parse(this.#update) as UpdateReport | null } : {};
    const fleet = this.facts
      ? { club: this.facts.club, reader: this.#reader ?? undefined, queueOldest: this.#oldest, ...update }
      : {};
    await this.link.publishStatus({
      state: 'online',
      version: FIRMWARE_VERSION,
      since: this.#since,
      queue: this.#queue,
      contract: CONTRACT_VERSION,
      ...fleet,
      ...this.link.statusMark,
    });
  }
}
