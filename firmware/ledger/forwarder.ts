// Sends the outbox to the ledger in order whenever connected. The journal is the source of truth:
// every connection sends every unanswered entry again, and an entry still unanswered after
// `resendAfterMs` goes again too (a broker that lost its sessions drops messages published before
// the ledger re-subscribed). The ledger is idempotent by txId, so a resend never books twice.
import type { Logger } from '../log.ts';
import type { Journal } from '../journal/journal.ts';
import type { LedgerLink } from './link.ts';

export class Forwarder {
  /** When each entry was sent on the current connection, by txId and form (a sale re-sent offline is new). */
  #sent = new Map<string, number>();
  #running: Promise<void> | null = null;
  #again = false;
  #timer: NodeJS.Timeout;

  constructor(private readonly link: LedgerLink, private readonly journal: Journal, private readonly log: Logger,
    private readonly resendAfterMs: number, private readonly now: () => number = Date.now) {
    link.on('connected', () => { this.#sent.clear(); void this.forward(); });
    this.#timer = setInterval(() => { if (link.connected) void this.forward(); }, Math.max(250, resendAfterMs / 2));
    this.#timer.unref();
  }

  stop(): void { clearInterval(this.#timer); }

  /** Sends what is not sent on this connection or is overdue; `force` sends everything again. */
  forward(force = false): Promise<void> {
    if (force) this.#sent.clear();
    if (this.#running) { this.#again = true; return this.#running; }
    this.#running = this.#drain().finally(() => { this.#running = null; });
    return this.#running;
  }

  async #drain(): Promise<void> {
    do {
      this.#again = false;
      const entries = await this.journal.sales.outbox();
      const live = new Set<string>();
      for (const e of entries) {
        const key = `${e.txId}:${e.type}:${e.offline}`;
        live.add(key);
        const sentAt = this.#sent.get(key);
        if (sentAt !== undefined && this.now() - sentAt < this.resendAfterMs) continue;
        if (!(await this.link.sendTx(e.message))) return; // offline: the next connection sends it
        this.#sent.set(key, this.now());
        this.log.debug({ tx: e.txId, type: e.type, offline: e.offline, resend: sentAt !== undefined }, 'tx sent');
      }
      for (const k of this.#sent.keys()) if (!live.has(k)) this.#sent.delete(k);
    } while (this.#again);
  }
}
