// Applies what the ledger sends to the journal, one message at a time in arrival order (the
// ledger publishes a card record before the result naming it, and that order must hold here).
import { TypedEmitter } from '../../hal/emitter.ts';
import type { Logger } from '../log.ts';
import { maskUid } from '../log.ts';
import type { Journal } from '../journal/journal.ts';
import { checkPhoto } from '../journal/card-cache.ts';
import type { Settled } from '../journal/sales-book.ts';
import type { LedgerLink } from './link.ts';
import type { TerminalConfigMsg } from './schemas.ts';

export type SyncEvents = {
  cardChanged: [uid: string];
  catalogChanged: [];
  configChanged: [config: TerminalConfigMsg | null];
  settled: [settled: Settled];
  /** Something the journal holds changed the queue length. */
  queueChanged: [];
};

export class LedgerSync extends TypedEmitter<SyncEvents> {
  #chain: Promise<void> = Promise.resolve();
  readonly counters = { photosDropped: 0, staleRecords: 0, staleCatalogs: 0, ignoredResults: 0 };

  constructor(link: LedgerLink, journal: Journal, private readonly log: Logger) {
    super();
    link.on('card', (uid, rec) => this.#serial(async () => {
      if (rec === null) {
        if (await journal.cards.close(uid)) this.log.info({ card: maskUid(uid) }, 'card closed: erased');
      } else if (!(await journal.cards.put(rec))) {
        this.counters.staleRecords++;
        return;
      }
      this.emit('cardChanged', uid);
    }));
    link.on('photo', (sha, bytes) => this.#serial(async () => {
      if (bytes === null) return journal.cards.deletePhoto(sha);
      const check = checkPhoto(sha, bytes);
      if (check !== 'ok') {
        this.counters.photosDropped++;
        this.log.warn({ sha: sha.slice(0, 12), bytes: bytes.length, check }, 'photo dropped');
        return;
      }
      await journal.cards.putPhoto(sha, bytes);
    }));
    link.on('catalog', (c) => this.#serial(async () => {
      if (await journal.cards.putCatalog(c)) this.emit('catalogChanged');
      else this.counters.staleCatalogs++;
    }));
    link.on('config', (c) => this.#serial(async () => {
      await journal.cards.putLedgerConfig(c);
      this.emit('configChanged', c);
    }));
    link.on('result', (r) => this.#serial(async () => {
      const s = await journal.sales.settle(r);
      if (typeof s === 'string') {
        this.counters.ignoredResults++;
        this.log.debug({ tx: r.txId, why: s }, 'result changes nothing');
        return;
      }
      this.log.info({ tx: r.txId, type: r.type, status: r.status }, 'result stored');
      this.emit('settled', s);
      this.emit('queueChanged');
    }));
  }

  /** Resolves when everything received so far is applied. */
  idle(): Promise<void> { return this.#chain; }

  #serial(fn: () => Promise<void>): void {
    this.#chain = this.#chain.then(fn).catch((err: Error) => this.log.error({ err: err.message }, 'applying a ledger message failed'));
  }
}
