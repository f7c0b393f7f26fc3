// Sends the outbox to the ledger in order whenever connected. The journal is the source of truth:
// every connection sends every unanswered entry again (the ledger is idempotent by txId).
import type { Logger } from '../log.ts';
import type { Journal } from '../journal/journal.ts';
import type { LedgerLink } from './link.ts';

export class Forwarder {
  /** Entries sent on the current connection, by txId and form (a sale re-sent offline is new). */
  #sent = new Set<string>();
  #running: Promise<void> | null = null;
  #again = false;

  constructor(private readonly link: LedgerLink, private readonly journal: Journal, private readonly log: Logger) {
    link.on('connected', () => { this.#sent.clear(); void this.forward(); });
  }

  /** Sends what is not yet sent on this connection; `force` sends everything again. */
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
      for (const e of entries) {
        const key = `${e.txId}:${e.type}:${e.offline}`;
        if (this.#sent.has(key)) continue;
        if (!(await this.link.sendTx(e.message))) return; // offline: the next connection sends it
        this.#sent.add(key);
        this.log.debug({ tx: e.txId, type: e.type, offline: e.offline }, 'tx sent');
      }
    } while (this.#again);
  }
}
