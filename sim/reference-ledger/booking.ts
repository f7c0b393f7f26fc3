// Books one tx message: reads the state, asks rules.ts, writes the outcome with at most one statement
// (store.putBooking). Outside a transaction that statement commits by itself, so with WAL and
// synchronous=FULL the booking is durable when bookTx resolves; the caller publishes the changed cards
// and then the result only after that. Cards, clubs, terminal configs and entry numbers come from the
// committed mirror, a txId's state from SQLite only when something was ever stored under it: a new
// sale is one statement and one round trip through the thread pool. The reads and the write are not
// one transaction: run one booking at a time, with nothing else writing the store meanwhile.
import type { Queryable } from '../../firmware/journal/db.ts';
import type { CardRecord, ResultMsg, ReversalMsg, SaleMsg, TxMsg, VoidMsg } from '../../contract/index.ts';
import { checkSun, sunOutcome, type SunKeys } from './card-auth.ts';
import {
  DEFAULT_MAX_PURCHASE,
  changedCard,
  type CardChange,
  decideReversal,
  decideSale,
  decideVoid,
  foreignAnswer,
  foreignMessage,
  withCard,
  type Decision,
  type TxIdState,
} from './rules.ts';
import type { Committed } from './mirror.ts';
import * as store from './store.ts';
import type { LedgerEntry } from './types.ts';

export interface ChangedCard {
  clubId: string;
  card: CardRecord;
}
/** The answer, the cards it changed (to publish before it) and the money it moved. */
export interface Outcome {
  result: ResultMsg;
  changed: ChangedCard[];
  entries: LedgerEntry[];
}

/** When a booking happens: the ledger's clock, and the club's local day by it (1.1 `spent`, daily limits). */
export interface BookingTime {
  now: string;
  today: string;
}

/** `known` must be the state committed before this booking began. */
/** `sunKeys`: the ledger's key material for `sun` cards (null: none configured, no `sun` card verifies). */
export async function bookTx(
  q: Queryable,
  known: Committed,
  msg: TxMsg,
  at: BookingTime,
  sunKeys: SunKeys | null = null,
): Promise<Outcome> {
  const state = await txIdState(q, known, msg.txId);
  // Contract § Access: first of all, the terminal acts for its own club only.
  const txIdClubs = [...(state.sale ? [state.sale.clubId] : []), ...state.sentBy.map((t) => known.terminalClub(t))];
  if (foreignMessage(msg, known.terminalClub(msg.terminalId), txIdClubs)) return unchanged(foreignAnswer(msg));
  switch (msg.type) {
    case 'sale':
      return bookSale(q, known, msg, state, at, sunKeys);
    case 'reversal':
      return bookReversal(q, known, msg, state, at);
    case 'void':
      return bookVoid(q, known, msg, state, at);
  }
}

const NOTHING_STORED: Readonly<TxIdState> = Object.freeze({ sale: null, reversal: null, void: null, sentBy: [] });
const txIdState = async (q: Queryable, known: Committed, txId: string): Promise<TxIdState> =>
  known.txIdSeen(txId) ? store.getTxIdState(q, txId) : NOTHING_STORED;

/** Changes a card's balance and version and stores it. */
export async function applyToCard(
  q: Queryable,
  clubId: string,
  card: CardRecord,
  delta: number,
  now: string,
): Promise<CardRecord> {
  const after = changedCard(card, { balanceDelta: delta }, now);
  await store.putCard(q, clubId, after);
  return after;
}

type Moved = NonNullable<store.Booking['moved']>;

/**
 * The entry, and the move of its money on the card if the card still exists (a closed card's debt is
 * only recorded). `spent`: the money counted into the card's spending of `today`.
 */
function move(
  known: Committed,
  e: Omit<LedgerEntry, 'seq'>,
  card: CardRecord | null,
  spent: { today: string; amount: number } | null,
  extra: CardChange = {},
): Moved {
  const entry = { seq: known.nextEntrySeq(), ...e };
  const change = {
    ...extra,
    ...(spent && spent.amount !== 0 ? { balanceDelta: e.amount, spentDelta: spent } : { balanceDelta: e.amount }),
  };
  return { entry, card: card && { before: card, after: changedCard(card, change, e.at) } };
}

/** Money given back for a sale leaves today's spending only if the sale was booked today. */
const refundSpent = (known: Committed, saleTxId: string, amount: number, today: string) =>
  known.saleBookedDay(saleTxId) === today ? { today, amount: -amount } : null;

/** Writes what is to be stored and moved (one statement, or none) and gives the outcome. */
async function write(q: Queryable, result: ResultMsg, b: store.Booking): Promise<Outcome> {
  if (b.stored || b.moved) await store.putBooking(q, b);
  const m = b.moved;
  return {
    result,
    changed: m?.card ? [{ clubId: m.entry.clubId, card: m.card.after }] : [],
    entries: m ? [m.entry] : [],
  };
}

const unchanged = (result: ResultMsg): Outcome => ({ result, changed: [], entries: [] });
/** The card to name in an answer: after the move, or as it is. */
const cardAfter = (m: Moved | null, card: CardRecord | null) => (m ? (m.card?.after ?? null) : card);
/** The answer to a reversal or void: approved, or declined with the decision's reason. */
const answerTo = (base: Pick<ResultMsg, 'txId' | 'type'>, d: Decision): ResultMsg =>
  d.kind === 'decline' ? { ...base, status: 'declined', reason: d.reason } : { ...base, status: 'approved' };

async function bookSale(
  q: Queryable,
  known: Committed,
  msg: SaleMsg,
  state: TxIdState,
  { now, today }: BookingTime,
  sunKeys: SunKeys | null,
): Promise<Outcome> {
  const card = known.card(msg.clubId, msg.cardUid);
  const sun = checkSun(card, msg.cardAuth, sunKeys);
  const d = decideSale(msg, state, {
    sun,
    clubKnown: known.clubKnown(msg.clubId),
    maxPurchase: known.terminalConfig(msg.terminalId)?.maxPurchase ?? DEFAULT_MAX_PURCHASE,
    card,
    cardOfClub: card !== null || known.cardClosed(msg.clubId, msg.cardUid),
    today,
    categoryOf: (sku) => known.categoryOf(msg.clubId, sku),
  });
  if (d.kind === 'repeat') return unchanged(d.answer);
  const base = { txId: msg.txId, type: 'sale' as const, offline: msg.offline };
  const stored = (answer: ResultMsg, booked: store.StoredSale['booked']) => ({
    in: 'sales' as const,
    txId: msg.txId,
    terminalId: msg.terminalId,
    answer,
    sale: {
      clubId: msg.clubId,
      cardUid: msg.cardUid,
      total: msg.total,
      items: msg.items,
      createdAt: msg.createdAt,
      booked,
    },
  });
  if (d.kind === 'decline') {
    const result = withCard({ ...base, status: 'declined', reason: d.reason }, card);
    // Only the first answer is kept; a txId that names a void is not turned into a sale.
    return write(q, result, { stored: !state.sale && !state.void ? stored(result, null) : null, moved: null });
  }
  const moved = move(
    known,
    {
      at: now,
      type: 'sale',
      txId: msg.txId,
      ref: null,
      clubId: msg.clubId,
      cardUid: msg.cardUid,
      amount: -msg.total,
      offline: msg.offline,
      terminalId: msg.terminalId,
      cashierId: msg.cashierId ?? null,
    },
    card,
    { today, amount: msg.total },
    sunOutcome(sun, msg.cardAuth),
  );
  const result = withCard({ ...base, status: 'approved' }, cardAfter(moved, card));
  return write(q, result, { stored: stored(result, msg.offline ? 'offline' : 'online'), moved });
}

async function bookReversal(
  q: Queryable,
  known: Committed,
  msg: ReversalMsg,
  state: TxIdState,
  { now, today }: BookingTime,
): Promise<Outcome> {
  const d = decideReversal(msg, state);
  if (d.kind === 'repeat') return unchanged(d.answer);
  const sale = state.sale;
  const card = sale ? known.card(sale.clubId, sale.cardUid) : null;
  const moved =
    d.kind === 'approve' && d.moveMoney && sale
      ? move(
          known,
          {
            at: now,
            type: 'reversal',
            txId: msg.txId,
            ref: null,
            clubId: sale.clubId,
            cardUid: sale.cardUid,
            amount: sale.total,
            offline: false,
            terminalId: msg.terminalId,
            cashierId: null,
          },
          card,
          refundSpent(known, msg.txId, sale.total, today),
        )
      : null;
  const result = withCard(answerTo({ txId: msg.txId, type: 'reversal' }, d), cardAfter(moved, card));
  return write(q, result, {
    stored: { in: 'reversals', txId: msg.txId, terminalId: msg.terminalId, answer: result },
    moved,
  });
}

async function bookVoid(
  q: Queryable,
  known: Committed,
  msg: VoidMsg,
  self: TxIdState,
  { now, today }: BookingTime,
): Promise<Outcome> {
  const target = await txIdState(q, known, msg.voids);
  const card = known.card(msg.clubId, msg.cardUid);
  const d = decideVoid(
    msg,
    self,
    { sale: target.sale, reversed: target.reversal?.status === 'approved' },
    card !== null,
  );
  if (d.kind === 'repeat') return unchanged(d.answer);
  // Its entry (ref: the sale) also marks the sale voided.
  const moved =
    d.kind === 'approve' && target.sale
      ? move(
          known,
          {
            at: now,
            type: 'void',
            txId: msg.txId,
            ref: msg.voids,
            clubId: msg.clubId,
            cardUid: msg.cardUid,
            amount: target.sale.total,
            offline: false,
            terminalId: msg.terminalId,
            cashierId: msg.cashierId ?? null,
          },
          card,
          refundSpent(known, msg.voids, target.sale.total, today),
        )
      : null;
  const result = withCard(answerTo({ txId: msg.txId, type: 'void' }, d), cardAfter(moved, card));
  // A txId that already names a sale or reversal keeps that meaning; the decline is not stored.
  const stored =
    !self.sale && !self.reversal
      ? { in: 'voids' as const, txId: msg.txId, terminalId: msg.terminalId, answer: result, voids: msg.voids }
      : null;
  return write(q, result, { stored, moved });
}
