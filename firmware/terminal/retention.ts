// Retention: answered sales and voids older than `retentionDays` leave the journal, at start and
// every few hours (unanswered ones stay until the ledger answers them).
import type { Logger } from '../log.ts';
import type { Journal } from '../journal/journal.ts';
import type { RowMark } from '../journal/types.ts';
import { type Intervals, systemTimers, type TimerHandle } from '../../lib/timers.ts';

const EVERY_MS = 6 * 3600_000;

export class Retention {
  #timer: TimerHandle | null = null;

  /** `purged`: the newest rows left after a purge (the business day's mark may not lie above them). */
  constructor(
    private readonly journal: Journal,
    private readonly days: number,
    private readonly now: () => Date,
    private readonly log: Logger,
    private readonly purged: (left: RowMark) => void = () => undefined,
    private readonly timers: Intervals = systemTimers,
  ) {}

  /** Deletes what is due now, then again every few hours. */
  async start(): Promise<void> {
    await this.purge();
    this.#timer = this.timers.setInterval(() => void this.purge(), EVERY_MS);
  }

  stop(): void {
    if (this.#timer) this.timers.clearInterval(this.#timer);
  }

  async purge(): Promise<void> {
    const before = new Date(this.now().getTime() - this.days * 86400_000).toISOString();
    const r = await this.journal.sales.purgeOlderThan(before).catch(() => null);
    if (!r) return;
    this.purged(r.mark);
    const n = r.sales;
    if (n) this.log.info({ deleted: n }, 'old answered sales deleted');
  }
}
