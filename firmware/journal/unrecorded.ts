// Declines the disk refused to record (full, or failing). The cashier saw them declined, and what the
// cashier saw is the truth: from that moment they are in force over whatever the journal holds of
// their txIds (an online attempt queued as a sale), in memory, until written. A sale that may have
// reached the ledger is reversed from memory at once: it must not wait for the disk, as a ledger
// that books the online attempt meanwhile would keep the money of a sale shown declined.
import type { ReversalMsg, SaleMsg } from '../../contract/index.ts';
import type { OutboxEntry } from './types.ts';
import type { TimerHandle, Timers } from '../../lib/timers.ts';

export interface UnrecordedDecline {
  /** The sale as it was decided. */
  sale: SaleMsg;
  /** The reason the cashier saw. */
  reason: string;
  /**
   * For a sale that may have reached the ledger (an online attempt was begun): the reversal that
   * takes the place of its outbox entry. Null: it never left the terminal, so nothing is sent.
   */
  reversal: ReversalMsg | null;
}

/** Tries of a write the disk refused, the first soon after (a file deleted), then at most this often. */
const RETRY_MAX_MS = 1000;

export class Unrecorded {
  readonly #declines = new Map<string, UnrecordedDecline>();
  #timer: TimerHandle | null = null;
  #tries = 0;
  #stopped = false;
  #writing = false;

  /** `write`: records one decline on disk, so that the journal then says what the memory said. */
  constructor(
    private readonly write: (d: UnrecordedDecline) => Promise<void>,
    private readonly timers: Timers,
  ) {}

  get size(): number {
    return this.#declines.size;
  }
  has(txId: string): boolean {
    return this.#declines.has(txId);
  }
  /** Their txIds as a JSON array, for SQL (`json_each`). */
  txIdsJson(): string {
    return JSON.stringify([...this.#declines.keys()]);
  }
  /** Their txIds with the reason the cashier saw, as a JSON array of pairs, for SQL. */
  reasonsJson(): string {
    return JSON.stringify([...this.#declines].map(([txId, d]) => [txId, d.reason]));
  }

  /** Keeps `d` in force from now on and writes it as soon as the disk takes it. */
  add(d: UnrecordedDecline): void {
    this.#declines.set(d.sale.txId, d);
    this.#tries = 0;
    this.#schedule();
  }

  /**
   * The outbox as it must be sent: an entry of a decline in memory is its reversal, at the sale's
   * place, or nothing. `first`: the first page, which also carries the reversals of sales that have
   * no entry (an online attempt whose write failed, yet may have been sent).
   */
  over(entries: readonly OutboxEntry[], first: boolean): OutboxEntry[] {
    if (this.#declines.size === 0) return [...entries];
    const out: OutboxEntry[] = [];
    const seen = new Set<string>();
    for (const e of entries) {
      const d = this.#declines.get(e.txId);
      if (!d) {
        out.push(e);
        continue;
      }
      seen.add(e.txId);
      if (d.reversal) out.push({ seq: e.seq, txId: e.txId, type: 'reversal', offline: false, message: d.reversal });
    }
    if (!first) return out;
    const loose: OutboxEntry[] = [];
    for (const [txId, d] of this.#declines) {
      if (d.reversal && !seen.has(txId))
        loose.push({ seq: 0, txId, type: 'reversal', offline: false, message: d.reversal });
    }
    return [...loose, ...out];
  }

  /** No more tries (the journal is closing); what is left is resolved at the next start. */
  stop(): void {
    this.#stopped = true;
    if (this.#timer) this.timers.clearTimeout(this.#timer);
    this.#timer = null;
  }

  #schedule(): void {
    if (this.#stopped || this.#writing || this.#timer || this.#declines.size === 0) return;
    // Timers are monotonic: a step of the wall clock neither hurries nor stalls the tries.
    this.#timer = this.timers.setTimeout(
      () => {
        this.#timer = null;
        void this.#flush();
      },
      Math.min(RETRY_MAX_MS, 10 * 2 ** this.#tries++),
    );
  }

  /** Writes every decline in memory; each leaves memory only once it is on disk. */
  async #flush(): Promise<void> {
    this.#writing = true;
    try {
      for (const [txId, d] of [...this.#declines]) {
        if (this.#stopped) return;
        await this.write(d);
        if (this.#declines.get(txId) === d) this.#declines.delete(txId);
      }
      this.#tries = 0;
    } catch {
      // Still no room: tried again later (the caller logged the decline when it was made).
    } finally {
      this.#writing = false;
      this.#schedule();
    }
  }
}
