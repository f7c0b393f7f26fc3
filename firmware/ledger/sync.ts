// Applies what the ledger sends to the journal, in arrival order (the ledger publishes a card
// record before the result naming it, and that order must hold here). Messages that arrive
// together are applied in one transaction: a fresh terminal gets thousands of retained records at
// once, and one fsync per record made that take minutes; an online sale's card record and result
// share one commit. What the others learn (events, counters, logs) is told only after the commit.
// A message that fails to store was acknowledged already: catch-up.ts fetches the retained records
// again, and until then the cache is known to be behind.
import { TypedEmitter } from '../../lib/emitter.ts';
import { Wakeable } from '../../lib/within.ts';
import { TurnBudget } from '../../lib/turn-budget.ts';
import type { Logger } from '../log.ts';
import { maskUid } from '../log.ts';
import type { Journal } from '../journal/journal.ts';
import { CardCache, checkPhoto, type PhotoCheck } from '../journal/card-cache.ts';
import type { SalesBook, Settled } from '../journal/sales-book.ts';
import type { LedgerLink, LinkEvents } from './link.ts';
import { CatchUp } from './catch-up.ts';
import type { CardRecord, Catalog, ResultMsg, Roster, StaffRecord, TerminalConfigMsg } from '../../contract/index.ts';
import type { TimerHandle, Timers } from '../../lib/timers.ts';

export type SyncEvents = {
  cardChanged: [uid: string];
  /** A staff card was added, changed or erased. */
  staffChanged: [uid: string];
  catalogChanged: [];
  configChanged: [config: TerminalConfigMsg | null];
  settled: [settled: Settled];
  /** Something the journal holds changed the queue length. */
  queueChanged: [];
  /** The cache became known to lack a message the ledger sent (true), or caught up again (false). */
  behind: [behind: boolean];
};

/** What the sync needs of the ledger link (a test passes a stand-in). */
export interface LedgerSource {
  on<K extends keyof LinkEvents & string>(event: K, fn: (...args: LinkEvents[K]) => void): unknown;
  throttle: LedgerLink['throttle'];
  /** Fetches every retained record again (without it a cache left behind stays so). */
  refetch?: LedgerLink['refetch'];
}

type Inbound =
  | { kind: 'card'; uid: string; record: CardRecord | null }
  | PhotoIn
  | { kind: 'photo'; sha: string; bytes: null }
  | { kind: 'catalog'; catalog: Catalog }
  | { kind: 'staff'; uid: string; record: StaffRecord | null }
  | { kind: 'roster'; roster: Roster }
  | { kind: 'config'; config: TerminalConfigMsg | null }
  | { kind: 'result'; result: ResultMsg };

/**
 * Most messages in one transaction. It bounds how long a sale's journal read waits behind a
 * burst of records (≈ 15 ms), while a burst still costs one fsync per this many records.
 */
export const MAX_BATCH = 200;

/**
 * While messages keep coming (a long queue being answered: a card record and a result per booking),
 * the next batch waits this long for more, or until it is full: a commit is an fsync, and one per
 * few messages took the disk from the ledger when both share a machine. A message that arrives
 * alone (an online sale's answer) is applied at once.
 */
const GATHER_MS = 50;
/**
 * How long the sync may take messages in one turn of the event loop. mqtt.js hands over every
 * message of a socket read at once, and each costs a parse and a check (a photo its SHA-256): 200
 * of them held the loop 10–20 ms here, five times that on a Pi, while a key or a tap waited. Once a
 * turn has used this long the link holds the next message until a setImmediate: the keys' and the
 * reader's I/O run in between. By time, not by count: a turn every 25 messages cost the card sync
 * ~0.6 s of 11,000 messages on SD-card storage, while most turns had used a millisecond or two.
 * Only when the messages are read is changed, not how they are applied: each batch still commits
 * whole, in arrival order. 2 ms: what else a turn holds (the PUBACKs, a commit's callbacks, a key's
 * frame, a collection) comes on top; with 8 the loop's p99 during a first sync was 15 ms, with 4
 * 10–12 ms, and a key waited for the rest of the turn (its median during a sync near a millisecond).
 */
export const TURN_MS = 2;
/** Messages in one turn at most, however cheap: a turn's length is bounded on a slow clock too. */
export const TURN_MESSAGES = 50;

/** Commits in a row after which more had arrived: a flow, not an answer. */
const FLOW_STREAK = 3;

/** Least time between two queueChanged events (the queue count on screen and in the status). */
const QUEUE_TELL_MS = 100;

type CardIn = { kind: 'card'; uid: string; record: CardRecord };
/**
 * A photo with its bytes, checked (kind, size, SHA-256) as it arrived: in the link's turn, which
 * TURN_MS bounds. Checked later with its batch, 200 photos were hashed in one go (up to 50 MB:
 * tens of milliseconds here, hundreds on a Pi 4, whose CPU has no SHA instructions).
 */
type PhotoIn = { kind: 'photo'; sha: string; bytes: Buffer; check: PhotoCheck };
type ResultIn = { kind: 'result'; result: ResultMsg };

/** The messages from `i` on that are card records (or photos with bytes) like `batch[i]`, in a row. */
function runOf(batch: Inbound[], i: number): Inbound[] {
  const kind = batch[i].kind;
  const storable = (m: Inbound) =>
    m.kind === kind && (m.kind === 'card' ? m.record !== null : m.kind === 'photo' && m.bytes !== null);
  let j = i;
  while (j < batch.length && storable(batch[j])) j++;
  return batch.slice(i, j);
}

/** Closing a card and deleting a photo end with a WAL checkpoint, which cannot run inside a transaction. */
const alone = (m: Inbound): boolean =>
  ((m.kind === 'card' || m.kind === 'staff') && m.record === null) ||
  (m.kind === 'photo' && m.bytes === null) ||
  m.kind === 'roster';

export class LedgerSync extends TypedEmitter<SyncEvents> {
  readonly counters = {
    photosDropped: 0,
    staleRecords: 0,
    staleCatalogs: 0,
    ignoredResults: 0,
    staleStaff: 0,
    staleRosters: 0,
    rosterErased: 0,
  };
  #inbox: Inbound[] = [];
  /** Resolved when the inbox has room again: the link holds further messages until then. */
  #room: Promise<void> | null = null;
  #roomMade: () => void = () => undefined;
  /** The promise the link waits on while the inbox is full (one, until there is room again). */
  #roomPromise(): Promise<void> {
    this.#room ??= new Promise((resolve) => {
      this.#roomMade = resolve;
    });
    return this.#room;
  }
  #draining = false;
  #idle: Promise<void> = Promise.resolve();
  /** Batches in a row after which the inbox was not empty. */
  #streak = 0;
  /** Wakes a gathering drain when the inbox is full. */
  readonly #full: Wakeable;
  readonly #catchUp: CatchUp;

  constructor(
    link: LedgerSource,
    private readonly journal: Journal,
    private readonly log: Logger,
    private readonly timers: Timers,
  ) {
    super();
    this.#full = new Wakeable(timers);
    this.#catchUp = new CatchUp({ refetch: link.refetch?.bind(link), journal, idle: () => this.idle(), log, timers });
    this.#catchUp.on('behind', (behind) => this.emit('behind', behind));
    link.on('card', (uid, record) => this.#receive({ kind: 'card', uid, record }));
    link.on('photo', (sha, bytes) =>
      this.#receive(
        bytes === null ? { kind: 'photo', sha, bytes } : { kind: 'photo', sha, bytes, check: checkPhoto(sha, bytes) },
      ),
    );
    link.on('catalog', (catalog) => this.#receive({ kind: 'catalog', catalog }));
    link.on('staff', (uid, record) => this.#receive({ kind: 'staff', uid, record }));
    link.on('roster', (roster) => this.#receive({ kind: 'roster', roster }));
    link.on('config', (config) => this.#receive({ kind: 'config', config }));
    link.on('result', (result) => this.#receive({ kind: 'result', result }));
    link.throttle(() => {
      if (this.#inbox.length >= MAX_BATCH) return this.#roomPromise();
      return this.#turn.take();
    });
  }

  /** Messages taken in this turn of the loop. */
  readonly #turn = new TurnBudget(TURN_MS, TURN_MESSAGES);

  /** Resolves when everything received so far is applied. */
  idle(): Promise<void> {
    return this.#idle;
  }

  /** The cache is known to lack a message the ledger sent (it failed to store): no offline approval. */
  get behind(): boolean {
    return this.#catchUp.behind;
  }

  /** Reads whether the last run left the cache behind (then it is fetched again). */
  start(): Promise<void> {
    return this.#catchUp.start();
  }

  stop(): void {
    this.#catchUp.stop();
  }

  #receive(m: Inbound): void {
    this.#inbox.push(m);
    if (this.#inbox.length >= MAX_BATCH) this.#full.wake();
    if (this.#draining) return;
    this.#draining = true;
    // setImmediate: the other messages of the same socket read are emitted first and join the batch.
    this.#idle = new Promise((resolve) =>
      setImmediate(
        () =>
          void this.#drain()
            .catch((err: Error) => this.log.error({ err: err.message }, 'applying ledger messages failed'))
            .finally(resolve),
      ),
    );
  }

  async #drain(): Promise<void> {
    try {
      while (this.#inbox.length > 0) {
        let n = 1;
        if (!alone(this.#inbox[0])) while (n < MAX_BATCH && n < this.#inbox.length && !alone(this.#inbox[n])) n++;
        const batch = this.#inbox.splice(0, n);
        if (this.#room && this.#inbox.length < MAX_BATCH) {
          this.#roomMade();
          this.#room = null;
        }
        if (batch.length === 1) await this.#applyOne(batch[0]);
        else await this.#applyBatch(batch);
        this.#streak = this.#inbox.length > 0 ? this.#streak + 1 : 0;
        // A flow: wait GATHER_MS for more, or less if the inbox fills up first.
        if (this.#streak >= FLOW_STREAK && this.#inbox.length < MAX_BATCH) await this.#full.wait(GATHER_MS);
      }
    } finally {
      this.#draining = false;
    }
  }

  async #applyBatch(batch: Inbound[]): Promise<void> {
    const told: (() => void)[] = [];
    try {
      await this.journal.db.batch(async (db) => {
        // Photos stored in the batch are told once it is committed (the display prepares them).
        const cards = new CardCache(db, () => told.push(() => this.journal.prepared.stored()));
        const sales = this.journal.sales.joined(db);
        // Results change only the outbox, sales and voids, which nothing else here touches: they
        // are stored together after the rest, so the card records that came between them (one
        // per booking, while a queue is answered) form runs too.
        const results = batch.filter((m): m is ResultIn => m.kind === 'result');
        const rest = batch.filter((m) => m.kind !== 'result');
        // Consecutive card records (photos) go in one statement each: most of a fresh terminal's sync.
        for (let i = 0; i < rest.length; ) {
          const m = rest[i];
          const run = m.kind === 'card' || m.kind === 'photo' ? runOf(rest, i) : [];
          if (run.length > 1) {
            await (m.kind === 'card'
              ? this.#putCards(run as CardIn[], cards, told)
              : this.#putPhotos(run as PhotoIn[], cards, told));
            i += run.length;
          } else {
            await this.#apply(m, cards, sales, told);
            i++;
          }
        }
        if (results.length)
          await this.#settle(
            results.map((m) => m.result),
            sales,
            told,
          );
      });
    } catch (err) {
      // Nothing of the batch was kept: one bad message must not cost the others, so each goes again alone.
      this.log.warn(
        { err: (err as Error).message, messages: batch.length },
        'batch of ledger messages failed; applying them one by one',
      );
      for (const m of batch) await this.#applyOne(m);
      return;
    }
    this.#tell(told);
  }

  async #applyOne(m: Inbound): Promise<void> {
    const told: (() => void)[] = [];
    try {
      await this.#apply(m, this.journal.cards, this.journal.sales, told);
    } catch (err) {
      this.log.error({ err: (err as Error).message, kind: m.kind }, 'applying a ledger message failed');
      this.#catchUp.missed();
    }
    // What was told before a failure (a closed card's cardChanged) is told still.
    this.#tell(told);
  }

  /** Tells what was committed, in order; queueChanged once for all the results of a batch. */
  #tell(told: (() => void)[]): void {
    let queueChanged = false;
    for (const f of told) {
      if (f === this.#queueChanged) {
        queueChanged = true;
        continue;
      }
      try {
        f();
      } catch (err) {
        this.log.error({ err: (err as Error).message }, 'a listener of a ledger change failed');
      }
    }
    if (queueChanged) this.#queueChanged();
  }

  /**
   * At most one queueChanged per QUEUE_TELL_MS, the last change always told: a long queue being
   * answered one result at a time made the terminal count its outbox (a scan) for every answer.
   */
  readonly #queueChanged = (): void => {
    if (this.#queueTimer) {
      this.#queueDirty = true;
      return;
    }
    this.emit('queueChanged');
    this.#queueTimer = this.timers.setTimeout(
      () => {
        this.#queueTimer = null;
        if (this.#queueDirty) {
          this.#queueDirty = false;
          this.#queueChanged();
        }
      },
      QUEUE_TELL_MS,
      true,
    );
  };
  #queueTimer: TimerHandle | null = null;
  #queueDirty = false;

  /** Card records in one statement; each stored one is told as changed, each older one counted. */
  async #putCards(run: CardIn[], cards: CardCache, told: (() => void)[]): Promise<void> {
    const stored = await cards.putMany(run.map((m) => m.record));
    run.forEach((m, i) =>
      told.push(
        stored[i]
          ? () => this.emit('cardChanged', m.uid)
          : () => {
              this.counters.staleRecords++;
            },
      ),
    );
  }

  /** Photos that pass their checks, in one statement; the others are dropped and told. */
  async #putPhotos(run: PhotoIn[], cards: CardCache, told: (() => void)[]): Promise<void> {
    const ok: [string, Buffer][] = [];
    for (const m of run) {
      const check = m.check;
      if (check === 'ok') {
        ok.push([m.sha, m.bytes]);
        continue;
      }
      const bytes = m.bytes.length;
      told.push(() => {
        this.counters.photosDropped++;
        this.log.warn({ sha: m.sha.slice(0, 12), bytes, check }, 'photo dropped');
      });
    }
    await cards.putPhotos(ok);
  }

  /** Applies one message through `cards` and `sales`; what to tell after the commit goes to `told`. */
  async #apply(m: Inbound, cards: CardCache, sales: SalesBook, told: (() => void)[]): Promise<void> {
    switch (m.kind) {
      case 'card':
        if (m.record === null) {
          // The screen hears of it whatever the erasure met (a confirm screen must not keep the card).
          told.push(() => this.emit('cardChanged', m.uid));
          if (await cards.close(m.uid)) told.push(() => this.log.info({ card: maskUid(m.uid) }, 'card closed: erased'));
          return;
        }
        return this.#putCards([{ kind: 'card', uid: m.uid, record: m.record }], cards, told);
      case 'photo':
        if (m.bytes === null) return cards.deletePhoto(m.sha);
        return this.#putPhotos([m], cards, told);
      case 'staff':
        if (m.record === null) {
          if (await cards.removeStaff(m.uid))
            told.push(() => this.log.info({ card: maskUid(m.uid) }, 'staff card removed: erased'));
        } else if (!(await cards.putStaff(m.record))) {
          told.push(() => {
            this.counters.staleStaff++;
          });
          return;
        }
        told.push(() => this.emit('staffChanged', m.uid));
        return;
      case 'roster': {
        // Each chunk's cards are told as soon as they are erased: a confirm screen must not keep one.
        const erased = await cards.applyRoster(m.roster, (uids) =>
          this.#tell(uids.map((uid) => () => this.emit('cardChanged', uid))),
        );
        if (!erased) {
          told.push(() => {
            this.counters.staleRosters++;
          });
          return;
        }
        told.push(() => {
          const n = erased.cards.length + erased.staff.length;
          this.counters.rosterErased += n;
          if (n)
            this.log.info(
              { cards: erased.cards.length, staff: erased.staff.length, version: m.roster.version },
              'not on the roster: erased',
            );
          for (const uid of erased.staff) this.emit('staffChanged', uid);
        });
        return;
      }
      case 'catalog':
        if (await cards.putCatalog(m.catalog)) told.push(() => this.emit('catalogChanged'));
        else
          told.push(() => {
            this.counters.staleCatalogs++;
          });
        return;
      case 'config':
        await cards.putLedgerConfig(m.config);
        told.push(() => this.emit('configChanged', m.config));
        return;
      case 'result':
        return this.#settle([m.result], sales, told);
    }
  }

  /** Results in one go; each is told as stored or counted as changing nothing. */
  async #settle(results: ResultMsg[], sales: SalesBook, told: (() => void)[]): Promise<void> {
    const settled = await sales.settleMany(results);
    let stored = false;
    results.forEach((r, i) => {
      const s = settled[i];
      if (typeof s === 'string') {
        told.push(() => {
          this.counters.ignoredResults++;
          this.log.debug({ tx: r.txId, why: s }, 'result changes nothing');
        });
        return;
      }
      stored = true;
      told.push(() => {
        this.log.info({ tx: r.txId, type: r.type, status: r.status }, 'result stored');
        this.emit('settled', s);
      });
    });
    if (stored) told.push(this.#queueChanged);
  }
}
