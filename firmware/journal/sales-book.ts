// This terminal's sales, voids and the outbox of tx messages. Every method that changes money
// state is one transaction, durable when its promise resolves.
import type { Db, Queryable } from './db.ts';
import type { ResultMsg, SaleMsg, TxMsg, VoidMsg, ReversalMsg } from '../../contract/index.ts';
import type { DayReport, RowMark, OutboxEntry, StoredSale, SaleStatus } from './types.ts';
import { Unrecorded, type UnrecordedDecline } from './unrecorded.ts';
import { must } from '../../lib/must.ts';
import { restAfter } from './pace.ts';

interface SaleRow {
  tx_id: string;
  card_uid: string | null;
  items: string;
  total: number;
  created_at: string;
  offline: number;
  status: SaleStatus;
  reason: string | null;
  answered: number;
  result_version: number | null;
  voided_by: string | null;
  cashier_id: string | null;
}
const toSale = (r: SaleRow): StoredSale => ({
  txId: r.tx_id,
  cardUid: r.card_uid,
  items: JSON.parse(r.items),
  total: r.total,
  createdAt: r.created_at,
  offline: r.offline === 1,
  status: r.status,
  reason: r.reason,
  answered: r.answered === 1,
  resultVersion: r.result_version,
  voidedBy: r.voided_by,
  cashierId: r.cashier_id ?? null,
});

/** What a stored result settled, for the caller to act on (e.g. wake a waiting sale). */
export type Settled =
  | {
      kind: 'sale';
      txId: string;
      offline: boolean;
      status: 'approved' | 'declined';
      reason: string | null;
      balance: number | null;
    }
  | { kind: 'void' | 'reversal'; txId: string; status: 'approved' | 'declined' };

/** Why a result changed nothing. `declined_unrecorded`: the sale was shown declined; the disk has not taken that yet. */
export type Ignored = 'no_entry' | 'type_mismatch' | 'stale_online_answer' | 'declined_unrecorded' | 'in_question';

async function putOutbox(q: Queryable, msg: TxMsg, cardUid: string | null, total: number): Promise<void> {
  const offline = msg.type === 'sale' && msg.offline ? 1 : 0;
  // Replacing keeps the txId's first place in the queue, so the ledger still sees tx in order.
  await q.run(
    `INSERT INTO outbox (tx_id, type, offline, card_uid, total, payload, created_at) VALUES (?,?,?,?,?,?,?)
     ON CONFLICT(tx_id) DO UPDATE SET type=excluded.type, offline=excluded.offline, payload=excluded.payload`,
    [msg.txId, msg.type, offline, cardUid, total, JSON.stringify(msg), msg.createdAt],
  );
}

/** A sale and its outbox entry in one statement (migration 3); see `sale_entry_insert` for when each is written. */
function writeSaleEntry(db: Db, msg: SaleMsg, status: 'pending' | 'approved', onlyOverPending: boolean) {
  return db.writeOne(
    `INSERT INTO sale_entry (tx_id, card_uid, items, total, created_at, offline, status, payload, only_over_pending, cashier_id)
     VALUES (?,?,?,?,?,?,?,?,?,?)`,
    [
      msg.txId,
      msg.cardUid,
      JSON.stringify(msg.items),
      msg.total,
      msg.createdAt,
      msg.offline ? 1 : 0,
      status,
      JSON.stringify(msg),
      onlyOverPending ? 1 : 0,
      msg.cashierId ?? null,
    ],
  );
}

/*
 * The outbox holds a `sale` entry until its answer is stored (answer and removal are one step), and
 * an entry is `offline` exactly when the sale stands approved offline: an online sale is pending
 * until answered, and one declined at the timeout becomes a `reversal`. So the offline-approved,
 * unanswered sales are read from the outbox alone (its rows carry card and total), without a join
 * to `sales` per entry: that join was most of an offline approval's read.
 */

/** Offline-approved, unanswered totals as columns `card` (of the card `uid`) and `terminal`. */
export const EXPOSURE_SQL = (uid: string): string =>
  `coalesce(sum(CASE WHEN card_uid = ${uid} THEN total END), 0) AS card, coalesce(sum(total), 0) AS terminal
     FROM outbox WHERE type = 'sale' AND offline = 1`;

/**
 * Money of a card's sales that its record does not show yet, given its offline-approved unanswered
 * total `pending`: those, plus the ones answered with a card version above the record's (`afterRow`: only
 * sales rows after it, a business day's).
 */
export const UNBOOKED_SQL = (pending: string, uid: string, version: string, afterRow?: string): string =>
  `(${pending} + (SELECT coalesce(sum(total), 0) FROM sales
      WHERE card_uid = ${uid} AND answered = 1 AND status = 'approved' AND result_version > ${version}${afterRow ? ` AND rowid > ${afterRow}` : ''}))`;

/** Rows deleted per transaction by the retention purge (a few ms of the thread pool each). */
const PURGE_CHUNK = 500;

export class SalesBook {
  /** Declines the disk refused to record, in force over what it holds of their txIds (shared with `joined` views). */
  readonly unrecorded: Unrecorded;
  /**
   * Online sales unanswered at this start, until the restart check has decided them (reversed, or
   * sent again from a restored journal): an answer the broker kept for the session may come first,
   * and stored it would book a sale the cashier never saw. Their answers change nothing; a sale
   * sent again is answered again.
   */
  readonly #inQuestion: Set<string>;

  constructor(
    private readonly db: Db,
    unrecorded?: Unrecorded,
    inQuestion?: Set<string>,
  ) {
    this.unrecorded = unrecorded ?? new Unrecorded((d) => this.#record(d), db.timers);
    this.#inQuestion = inQuestion ?? new Set();
  }

  /** This book on `db`, a batch's view of the same journal: it sees the same declines in memory. */
  joined(db: Db): SalesBook {
    return new SalesBook(db, this.unrecorded, this.#inQuestion);
  }

  /** Answers to these txIds change nothing until `decided` (restore-check.ts). */
  inQuestion(txIds: readonly string[]): void {
    for (const t of txIds) this.#inQuestion.add(t);
  }

  /** The restart check has decided: answers count again. */
  decided(): void {
    this.#inQuestion.clear();
  }

  /** Stops retrying the writes of declines in memory (the journal is closing). */
  stop(): void {
    this.unrecorded.stop();
  }

  /**
   * A decline the disk refused to record (its write failed: full, or failing). In force at once and
   * written once the disk takes it: the outbox sends its reversal (if any) instead of the sale, a
   * late answer to the sale changes nothing, and the day's report counts it declined.
   */
  declineUnrecorded(d: UnrecordedDecline): void {
    this.unrecorded.add(d);
  }

  /**
   * Makes the disk say what the screen said, whatever it holds of the txId: declined (without the
   * card, as a refusal; seen: it was on the screen), and queued as a reversal, or not queued at all.
   */
  #record({ sale, reason, reversal }: UnrecordedDecline): Promise<void> {
    return this.db.tx(async (q) => {
      await q.run(
        `INSERT INTO sales (tx_id, card_uid, items, total, created_at, offline, status, reason, shown, cashier_id) VALUES (?,NULL,?,?,?,?,'declined',?,1,?)
         ON CONFLICT(tx_id) DO UPDATE SET card_uid = NULL, status = 'declined', reason = excluded.reason, shown = 1`,
        [
          sale.txId,
          JSON.stringify(sale.items),
          sale.total,
          sale.createdAt,
          sale.offline ? 1 : 0,
          reason,
          sale.cashierId ?? null,
        ],
      );
      if (reversal) await putOutbox(q, reversal, null, 0);
      else await q.run('DELETE FROM outbox WHERE tx_id = ?', [sale.txId]);
      // As when such an answer is stored (settleMany): the ledger said the read was not the card's.
      if (reason === 'card_auth') await q.run('DELETE FROM sun_counters WHERE tx_id = ?', [sale.txId]);
    });
  }

  /** An online sale about to be sent: kept so that a restart can resolve it with a reversal. */
  async beginOnline(msg: SaleMsg): Promise<void> {
    await writeSaleEntry(this.db, msg, 'pending', false);
  }

  /**
   * Approves a sale on the terminal's own authority (no connection, or no answer in time) and
   * queues it with `offline: true`. Returns false when the ledger's answer to the online attempt
   * was stored first: then that answer stands. `fresh`: the txId was never sent online.
   */
  async approveOffline(msg: SaleMsg, fresh = false): Promise<boolean> {
    await writeSaleEntry(this.db, msg, 'approved', true);
    // A txId never sent online cannot have an answer: nothing to read back (it was a third of the wait).
    if (fresh) return true;
    // Read after the commit (no fsync): it is ours if it stands approved offline.
    const r = await this.db.read((q) =>
      q.get<{ status: SaleStatus; offline: number }>('SELECT status, offline FROM sales WHERE tx_id = ?', [msg.txId]),
    );
    return r?.status === 'approved' && r.offline === 1;
  }

  /** Declines an online sale that got no answer; a reversal makes sure the ledger books nothing. */
  declineAndReverse(txId: string, reason: string, reversal: ReversalMsg): Promise<boolean> {
    return this.db.tx(async (q) => {
      const r = await q.run("UPDATE sales SET status = 'declined', reason = ? WHERE tx_id = ? AND status = 'pending'", [
        reason,
        txId,
      ]);
      if (r.changes === 0) return false;
      await putOutbox(q, reversal, null, 0);
      return true;
    });
  }

  /** A refusal decided by the terminal before anything was sent: kept for the day's report only, without the card. */
  async recordRefusal(msg: SaleMsg, reason: string): Promise<void> {
    await this.db.writeOne(
      `INSERT INTO sales (tx_id, card_uid, items, total, created_at, offline, status, reason, shown) VALUES (?,?,?,?,?,?,'declined',?,1)
       ON CONFLICT(tx_id) DO NOTHING`,
      [msg.txId, null, JSON.stringify(msg.items), msg.total, msg.createdAt, msg.offline ? 1 : 0, reason],
    );
  }

  /** The cashier has seen this sale's result, and so every earlier one (one sale at a time). */
  async markShown(txId: string): Promise<void> {
    await this.db.tx((q) =>
      q.run('UPDATE sales SET shown = 1 WHERE shown = 0 AND rowid <= (SELECT rowid FROM sales WHERE tx_id = ?)', [
        txId,
      ]),
    );
  }

  /** The newest decided sale whose result the cashier never saw: the terminal went down first. */
  async lastUnshown(): Promise<StoredSale | null> {
    const r = await this.db.read((q) =>
      q.get<SaleRow>("SELECT * FROM sales WHERE shown = 0 AND status != 'pending' ORDER BY rowid DESC LIMIT 1"),
    );
    return r ? toSale(r) : null;
  }

  recordVoid(msg: VoidMsg, total: number): Promise<boolean> {
    return this.db.tx(async (q) => {
      const r = await q.run(
        "UPDATE sales SET voided_by = ? WHERE tx_id = ? AND status = 'approved' AND voided_by IS NULL",
        [msg.txId, msg.voids],
      );
      if (r.changes === 0) return false;
      await q.run(
        "INSERT INTO voids (tx_id, voids, total, created_at, status, cashier_id) VALUES (?,?,?,?,'pending',?)",
        [msg.txId, msg.voids, total, msg.createdAt, msg.cashierId ?? null],
      );
      await putOutbox(q, msg, msg.cardUid, total);
      return true;
    });
  }

  /**
   * Stores the ledger's answer and removes its outbox entry in one transaction. A repeated,
   * late or mismatched answer changes nothing.
   */
  async settle(res: ResultMsg): Promise<Settled | Ignored> {
    return (await this.settleMany([res]))[0];
  }

  /**
   * `settle` for answers that arrived together, in order, with a statement per kind of change for
   * all of them (not three per answer): a queue of thousands is answered at the ledger's pace, and
   * each statement is a thread-pool round trip. Of two answers to one entry the first counts.
   */
  settleMany(results: readonly ResultMsg[]): Promise<(Settled | Ignored)[]> {
    return this.db.tx(async (q) => {
      // `erased`: the entry's card is no longer cached (closed, or off the roster): its UID leaves with the entry.
      const rows = await q.all<{ tx_id: string; type: string; offline: number; erased: number }>(
        `SELECT tx_id, type, offline, card_uid IS NOT NULL AND NOT EXISTS (SELECT 1 FROM cards WHERE uid = outbox.card_uid) AS erased
           FROM outbox WHERE tx_id IN (SELECT value FROM json_each(?))`,
        [JSON.stringify(results.map((r) => r.txId))],
      );
      const entries = new Map(rows.map((r) => [r.tx_id, r]));
      const gone: string[] = [];
      const sales: [string, string, string | null, number | null][] = [];
      const voids: [string, string, string | null][] = [];
      const declinedVoids: string[] = [];
      const forged: string[] = [];
      const fresh: string[] = [];
      const out = results.map((res): Settled | Ignored => {
        // Shown declined: its reversal is on its way; the disk takes the decline before any answer.
        if (this.unrecorded.has(res.txId)) return 'declined_unrecorded';
        if (this.#inQuestion.has(res.txId)) return 'in_question';
        const entry = entries.get(res.txId);
        if (!entry) return 'no_entry';
        if (entry.type !== res.type) return 'type_mismatch';
        if (entry.type === 'sale' && (entry.offline === 1) !== (res.offline === true)) return 'stale_online_answer';
        entries.delete(res.txId);
        gone.push(res.txId);
        if (entry.erased) q.erased();
        if (res.type === 'sale') {
          // An offline sale was handed over already: it stays approved whatever the answer says.
          const status = entry.offline === 1 ? 'approved' : res.status;
          sales.push([
            res.txId,
            status,
            res.status === 'declined' ? (res.reason ?? null) : null,
            res.status === 'approved' ? (res.cardVersion ?? null) : null,
          ]);
          // A counter the ledger declined with card_auth was not the card's own read (a forged
          // tap): kept, it would refuse the genuine card's next reads offline.
          if (res.status === 'declined' && res.reason === 'card_auth') forged.push(res.txId);
          // An online approval: the ledger found the read fresh and signed by the card, so no counter
          // above it that this terminal holds from an earlier sale of the card was the card's (its
          // counter only rises). Such a counter (a forged read whose card_auth answer was lost to a
          // full disk and a restart) would refuse every later read of the genuine card offline.
          if (res.status === 'approved' && entry.offline === 0) fresh.push(res.txId);
          return {
            kind: 'sale',
            txId: res.txId,
            offline: entry.offline === 1,
            status: res.status,
            reason: res.reason ?? null,
            balance: res.balance ?? null,
          };
        }
        if (res.type === 'void') {
          voids.push([res.txId, res.status, res.reason ?? null]);
          // A declined void leaves the sale voidable again.
          if (res.status === 'declined') declinedVoids.push(res.txId);
        }
        return { kind: res.type, txId: res.txId, status: res.status };
      });
      const each = (rows: unknown[]) => [JSON.stringify(rows)];
      const col = (i: number) => `json_extract(j.value, '$[${i}]')`;
      if (gone.length) await q.run('DELETE FROM outbox WHERE tx_id IN (SELECT value FROM json_each(?))', each(gone));
      if (sales.length) {
        await q.run(
          `UPDATE sales SET status = ${col(1)}, reason = ${col(2)}, answered = 1, result_version = ${col(3)}
                       FROM json_each(?) AS j WHERE sales.tx_id = ${col(0)}`,
          each(sales),
        );
      }
      if (forged.length)
        await q.run('DELETE FROM sun_counters WHERE tx_id IN (SELECT value FROM json_each(?))', each(forged));
      if (fresh.length)
        await q.run(
          `DELETE FROM sun_counters WHERE tx_id IN (
             SELECT o.tx_id FROM json_each(?) AS j
               JOIN sun_counters a ON a.tx_id = j.value
               JOIN sales sa ON sa.tx_id = a.tx_id
               JOIN sun_counters o ON o.card_uid = a.card_uid AND o.ctr > a.ctr
               JOIN sales so ON so.tx_id = o.tx_id AND so.rowid < sa.rowid)`,
          each(fresh),
        );
      if (voids.length)
        await q.run(
          `UPDATE voids SET status = ${col(1)}, reason = ${col(2)} FROM json_each(?) AS j WHERE voids.tx_id = ${col(0)}`,
          each(voids),
        );
      if (declinedVoids.length) {
        // Found through the voids (by key), not by scanning the sales for voided_by.
        await q.run(
          `UPDATE sales SET voided_by = NULL WHERE tx_id IN (SELECT voids FROM voids WHERE tx_id IN (SELECT value FROM json_each(?1)))
                       AND voided_by IN (SELECT value FROM json_each(?1))`,
          each(declinedVoids),
        );
      }
      return out;
    });
  }

  /**
   * After a restart, an online sale still unanswered was never shown approved: resolve it with a
   * reversal (contract). `only`: those txIds of them. Returns how many were resolved.
   */
  async reverseUnansweredOnline(now: string, terminalId: string, only?: readonly string[]): Promise<number> {
    const unanswered = async (q: Queryable) => {
      const all = await q.all<{ tx_id: string; payload: string }>(
        "SELECT tx_id, payload FROM outbox WHERE type = 'sale' AND offline = 0",
      );
      return only ? all.filter((r) => only.includes(r.tx_id)) : all;
    };
    const reversal = (txId: string): ReversalMsg => ({ type: 'reversal', txId, terminalId, createdAt: now });
    try {
      return await this.db.tx(async (q) => {
        const rows = await unanswered(q);
        for (const { tx_id } of rows) {
          await q.run("UPDATE sales SET status = 'declined', reason = 'reversed' WHERE tx_id = ?", [tx_id]);
          await putOutbox(q, reversal(tx_id), null, 0);
        }
        return rows.length;
      });
    } catch (err) {
      // The disk refused: the reversals go from memory all the same (never the sales), written later.
      for (const r of await this.db.read(unanswered)) {
        this.unrecorded.add({
          sale: JSON.parse(r.payload) as SaleMsg,
          reason: 'reversed',
          reversal: reversal(r.tx_id),
        });
      }
      throw err;
    }
  }

  /** The queue in order; `afterSeq`/`limit`: one page of it (the forwarder reads a long queue page by page). */
  async outbox(afterSeq = 0, limit = -1): Promise<OutboxEntry[]> {
    const rows = await this.db.read((q) =>
      q.all<{ seq: number; tx_id: string; type: TxMsg['type']; offline: number; payload: string }>(
        'SELECT seq, tx_id, type, offline, payload FROM outbox WHERE seq > ? ORDER BY seq LIMIT ?',
        [afterSeq, limit],
      ),
    );
    const entries = rows.map((r) => ({
      seq: r.seq,
      txId: r.tx_id,
      type: r.type,
      offline: r.offline === 1,
      message: JSON.parse(r.payload),
    }));
    // What the disk has not taken yet is in force over it: a decline's reversal, never its sale.
    return this.unrecorded.size ? this.unrecorded.over(entries, afterSeq === 0) : entries;
  }

  /** Sales and voids not yet answered (the contract's `queue`). */
  async queueLength(): Promise<number> {
    return (await this.queue()).length;
  }

  /** The queue's length and when its oldest entry was made (null: empty), in one read. */
  async queue(): Promise<{ length: number; oldest: string | null }> {
    const r = must(
      await this.db.read((q) =>
        q.get<{ n: number; oldest: string | null }>(
          "SELECT count(*) AS n, min(created_at) AS oldest FROM outbox WHERE type IN ('sale','void') AND tx_id NOT IN (SELECT value FROM json_each(?))",
          [this.unrecorded.txIdsJson()],
        ),
      ),
      'count(*) row',
    );
    return { length: r.n, oldest: r.oldest };
  }

  /**
   * The highest SUN counter this terminal put into a sale of the card other than `exceptTxId`
   * (an offline fallback of a sale keeps its own counter); null when none is kept.
   */
  async highestSunCounter(uid: string, exceptTxId: string): Promise<number | null> {
    // Nor a counter of a card_auth decline still in memory (the disk full): not the card's read either.
    const r = await this.db.read((q) =>
      q.get<{ ctr: number | null }>(
        `SELECT max(ctr) AS ctr FROM sun_counters WHERE card_uid = ? AND tx_id <> ?
           AND tx_id NOT IN (SELECT json_extract(value, '$[0]') FROM json_each(?) WHERE json_extract(value, '$[1]') = 'card_auth')`,
        [uid, exceptTxId, this.unrecorded.reasonsJson()],
      ),
    );
    return r?.ctr ?? null;
  }

  async sale(txId: string): Promise<StoredSale | null> {
    const r = await this.db.read((q) => q.get<SaleRow>('SELECT * FROM sales WHERE tx_id = ?', [txId]));
    return r ? toSale(r) : null;
  }

  /**
   * What F2 offers: the newest approved sale after `mark` (the business day's first row), unless it
   * is voided or its card closed; then nothing (never an older sale, nor another child's).
   */
  async lastApproved(mark: RowMark): Promise<StoredSale | null> {
    const r = await this.db.read((q) =>
      q.get<SaleRow>("SELECT * FROM sales WHERE status = 'approved' AND rowid > ? ORDER BY rowid DESC LIMIT 1", [
        mark.sale,
      ]),
    );
    return r && r.voided_by === null && r.card_uid !== null ? toSale(r) : null;
  }

  /** The last rows stamped before `iso`: where a business day begins when no mark was kept. */
  async markBefore(iso: string): Promise<RowMark> {
    const r = await this.db.read((q) =>
      q.get<{ s: number | null; v: number | null }>(
        'SELECT (SELECT max(rowid) FROM sales WHERE created_at < ?) AS s, (SELECT max(rowid) FROM voids WHERE created_at < ?) AS v',
        [iso, iso],
      ),
    );
    return { sale: r?.s ?? 0, void: r?.v ?? 0 };
  }

  /** Where the sales and voids of a sign-in begin: rows after these are since then (row order, not the wall clock). */
  async mark(): Promise<RowMark> {
    const r = await this.db.read((q) =>
      q.get<{ s: number | null; v: number | null }>(
        'SELECT (SELECT max(rowid) FROM sales) AS s, (SELECT max(rowid) FROM voids) AS v',
      ),
    );
    return { sale: r?.s ?? 0, void: r?.v ?? 0 };
  }

  /** One cashier's approved sales, voids and their total since `mark` (the sign-in). */
  async cashierReport(
    cashierId: string,
    mark: RowMark,
  ): Promise<{ sales: number; salesTotal: number; voids: number; voidsTotal: number }> {
    return this.db.read(async (q) => {
      const s = must(
        await q.get<{ n: number; t: number | null }>(
          "SELECT count(*) AS n, sum(total) AS t FROM sales WHERE rowid > ? AND cashier_id = ? AND status = 'approved'",
          [mark.sale, cashierId],
        ),
        'count(*) row',
      );
      const v = must(
        await q.get<{ n: number; t: number | null }>(
          "SELECT count(*) AS n, sum(total) AS t FROM voids WHERE rowid > ? AND cashier_id = ? AND status != 'declined'",
          [mark.void, cashierId],
        ),
        'count(*) row',
      );
      return { sales: s.n, salesTotal: s.t ?? 0, voids: v.n, voidsTotal: v.t ?? 0 };
    });
  }

  /**
   * The business day's figures: the rows after `mark` (row order: a step of the clock moves none),
   * the same rows the outbox sends the ledger (and the refusals, which it does not). A sale still
   * waiting for the ledger's decision is neither sold nor declined yet.
   */
  async report(mark: RowMark): Promise<DayReport> {
    return this.db.read(async (q) => {
      // A decline the disk has not taken yet counts as what the cashier saw: declined, for its reason.
      const rows = await q.all<{
        status: SaleStatus;
        offline: number;
        reason: string | null;
        n: number;
        total: number;
      }>(
        `WITH mem AS (SELECT json_extract(value, '$[0]') AS tx_id, json_extract(value, '$[1]') AS reason FROM json_each(?)),
              s AS (SELECT CASE WHEN m.tx_id IS NULL THEN x.status ELSE 'declined' END AS status,
                           CASE WHEN m.tx_id IS NULL THEN x.reason ELSE m.reason END AS reason, x.total, x.offline
                      FROM sales x LEFT JOIN mem m ON m.tx_id = x.tx_id WHERE x.rowid > ?
                    UNION ALL SELECT 'declined', reason, 0, 0 FROM mem WHERE tx_id NOT IN (SELECT tx_id FROM sales))
         SELECT status, offline, CASE WHEN status = 'declined' THEN coalesce(reason, 'invalid') END AS reason, count(*) AS n, sum(total) AS total
           FROM s WHERE status != 'pending' GROUP BY 1, 2, 3`,
        [this.unrecorded.reasonsJson(), mark.sale],
      );
      const v = must(
        await q.get<{ voids: number; voidsTotal: number | null }>(
          "SELECT count(*) AS voids, sum(total) AS voidsTotal FROM voids WHERE status != 'declined' AND rowid > ?",
          [mark.void],
        ),
        'count(*) row',
      );
      const sum = (pick: (r: (typeof rows)[number]) => boolean, f: 'n' | 'total') =>
        rows.filter(pick).reduce((a, r) => a + r[f], 0);
      const approved = (r: (typeof rows)[number]) => r.status === 'approved';
      const declinedBy = new Map<string, number>();
      // The query gives every declined row a reason (coalesce); the others none.
      for (const r of rows)
        if (r.status === 'declined' && r.reason !== null)
          declinedBy.set(r.reason, (declinedBy.get(r.reason) ?? 0) + r.n);
      const salesTotal = sum(approved, 'total');
      const voidsTotal = v.voidsTotal ?? 0;
      return {
        sales: sum(approved, 'n'),
        salesTotal,
        offlineSales: sum((r) => approved(r) && r.offline === 1, 'n'),
        offlineTotal: sum((r) => approved(r) && r.offline === 1, 'total'),
        voids: v.voids,
        voidsTotal,
        net: salesTotal - voidsTotal,
        declined: sum((r) => r.status === 'declined', 'n'),
        declinedBy: [...declinedBy]
          .map(([reason, count]) => ({ reason, count }))
          .sort((a, b) => b.count - a.count || a.reason.localeCompare(b.reason)),
      };
    });
  }

  /**
   * Deletes answered sales and voids older than the retention period; unanswered ones stay. Also
   * says the newest rows left (`mark`): a deleted newest row lets rowids start lower again.
   */
  async purgeOlderThan(beforeIso: string): Promise<{ sales: number; mark: RowMark }> {
    // PURGE_CHUNK rows a transaction, from the oldest up (a rowid cursor: no chunk scans what the
    // last one passed): a sale's write waits behind one chunk, not a 90-day history. A purge cut
    // midway is finished by the next (at start, and hourly); the checkpoint at the next open
    // empties the WAL of the rows deleted until then.
    let sales = 0;
    let voids = 0;
    for (const [table, which] of [
      ['sales', "(answered = 1 OR status = 'declined') AND tx_id NOT IN (SELECT tx_id FROM outbox)"],
      ['voids', "status != 'pending'"],
    ] as const) {
      for (let after = 0, since = -1; ; ) {
        if (since >= 0) await restAfter(since, this.db.timers);
        since = performance.now();
        const rows = await this.db.writeRows<{ rowid: number }>(
          `DELETE FROM ${table} WHERE rowid IN (SELECT rowid FROM ${table} WHERE rowid > ? AND created_at < ? AND ${which}
             ORDER BY rowid LIMIT ${PURGE_CHUNK}) RETURNING rowid`,
          [after, beforeIso],
        );
        if (table === 'sales') sales += rows.length;
        else voids += rows.length;
        if (rows.length < PURGE_CHUNK) break;
        after = Math.max(...rows.map((r) => r.rowid));
      }
    }
    const mark = await this.db.read(async (q) => {
      const m = await q.get<{ s: number | null; v: number | null }>(
        'SELECT (SELECT max(rowid) FROM sales) AS s, (SELECT max(rowid) FROM voids) AS v',
      );
      return { sale: m?.s ?? 0, void: m?.v ?? 0 };
    });
    // As for a closed card: the deleted rows' bytes (card UIDs) leave the database file and WAL now.
    if (sales + voids > 0) await this.db.checkpoint();
    return { sales, mark };
  }
}
