// Books one tx message: reads the state, asks rules.ts, writes the outcome. Run inside one SQLite
// transaction; the caller publishes the changed cards and then the result only after the commit.
import type { Queryable } from '../../firmware/journal/db.ts';
import type { CardRecord, ResultMsg, ReversalMsg, SaleMsg, TxMsg, VoidMsg } from '../../firmware/ledger/schemas.ts';
import { DEFAULT_MAX_PURCHASE, changedCard, decideReversal, decideSale, decideVoid, withCard, type Decision } from './rules.ts';
import * as store from './store.ts';
import type { LedgerEntry } from './types.ts';

export interface ChangedCard { clubId: string; card: CardRecord }
/** The answer, the cards it changed (to publish before it) and the money it moved. */
export interface Outcome { result: ResultMsg; changed: ChangedCard[]; entries: LedgerEntry[] }

export function bookTx(q: Queryable, msg: TxMsg, now: string): Promise<Outcome> {
  switch (msg.type) {
    case 'sale': return bookSale(q, msg, now);
    case 'reversal': return bookReversal(q, msg, now);
    case 'void': return bookVoid(q, msg, now);
  }
}

/** Changes a card's balance and version and stores it. */
export async function applyToCard(q: Queryable, clubId: string, card: CardRecord, delta: number, now: string): Promise<CardRecord> {
  const after = changedCard(card, { balanceDelta: delta }, now);
  await store.putCard(q, clubId, after);
  return after;
}

/** Records the entry and moves its money on the card if the card still exists (a closed card's debt is only recorded). */
async function book(q: Queryable, e: Omit<LedgerEntry, 'seq'>, card: CardRecord | null) {
  const entry = await store.addEntry(q, e);
  const after = card ? await applyToCard(q, e.clubId, card, e.amount, e.at) : null;
  return { after, entry, changed: after ? [{ clubId: e.clubId, card: after }] : [] };
}

type Booked = Awaited<ReturnType<typeof book>> | null;
const outcome = (result: ResultMsg, b: Booked): Outcome => ({ result, changed: b?.changed ?? [], entries: b ? [b.entry] : [] });
const unchanged = (result: ResultMsg): Outcome => outcome(result, null);
/** The answer to a reversal or void: approved, or declined with the decision's reason. */
const answerTo = (base: Pick<ResultMsg, 'txId' | 'type'>, d: Decision): ResultMsg =>
  (d.kind === 'decline' ? { ...base, status: 'declined', reason: d.reason } : { ...base, status: 'approved' });

async function bookSale(q: Queryable, msg: SaleMsg, now: string): Promise<Outcome> {
  const state = await store.getTxIdState(q, msg.txId);
  const card = await store.getCard(q, msg.clubId, msg.cardUid);
  const d = decideSale(msg, state, {
    clubKnown: await store.clubExists(q, msg.clubId),
    maxPurchase: (await store.getTerminalConfig(q, msg.terminalId))?.maxPurchase ?? DEFAULT_MAX_PURCHASE,
    card,
  });
  if (d.kind === 'repeat') return unchanged(d.answer);
  const base = { txId: msg.txId, type: 'sale' as const, offline: msg.offline };
  const saleRow = {
    txId: msg.txId, terminalId: msg.terminalId, clubId: msg.clubId, cardUid: msg.cardUid,
    total: msg.total, items: msg.items, createdAt: msg.createdAt,
  };
  if (d.kind === 'decline') {
    const result = withCard({ ...base, status: 'declined', reason: d.reason }, card);
    // Only the first answer is kept; a txId that names a void is not turned into a sale.
    if (!state.sale && !state.void) await store.putSale(q, { ...saleRow, booked: null, answer: result });
    return unchanged(result);
  }
  const b = await book(q, {
    at: now, type: 'sale', txId: msg.txId, ref: null, clubId: msg.clubId, cardUid: msg.cardUid,
    amount: -msg.total, offline: msg.offline, terminalId: msg.terminalId,
  }, card);
  const result = withCard({ ...base, status: 'approved' }, b.after);
  await store.putSale(q, { ...saleRow, booked: msg.offline ? 'offline' : 'online', answer: result });
  return outcome(result, b);
}

async function bookReversal(q: Queryable, msg: ReversalMsg, now: string): Promise<Outcome> {
  const state = await store.getTxIdState(q, msg.txId);
  const d = decideReversal(msg, state);
  if (d.kind === 'repeat') return unchanged(d.answer);
  const sale = state.sale;
  const card = sale ? await store.getCard(q, sale.clubId, sale.cardUid) : null;
  const b = d.kind === 'approve' && d.moveMoney && sale ? await book(q, {
    at: now, type: 'reversal', txId: msg.txId, ref: null, clubId: sale.clubId, cardUid: sale.cardUid,
    amount: sale.total, offline: false, terminalId: msg.terminalId,
  }, card) : null;
  const result = withCard(answerTo({ txId: msg.txId, type: 'reversal' }, d), b ? b.after : card);
  await store.putReversal(q, msg.txId, msg.terminalId, result);
  return outcome(result, b);
}

async function bookVoid(q: Queryable, msg: VoidMsg, now: string): Promise<Outcome> {
  const self = await store.getTxIdState(q, msg.txId);
  const target = await store.getTxIdState(q, msg.voids);
  const card = await store.getCard(q, msg.clubId, msg.cardUid);
  const d = decideVoid(msg, self, { sale: target.sale, reversed: target.reversal?.status === 'approved' }, card !== null);
  if (d.kind === 'repeat') return unchanged(d.answer);
  const b = d.kind === 'approve' && target.sale ? await book(q, {
    at: now, type: 'void', txId: msg.txId, ref: msg.voids, clubId: msg.clubId, cardUid: msg.cardUid,
    amount: target.sale.total, offline: false, terminalId: msg.terminalId,
  }, card) : null;
  if (b) await store.markVoided(q, msg.voids, msg.txId);
  const result = withCard(answerTo({ txId: msg.txId, type: 'void' }, d), b ? b.after : card);
  // A txId that already names a sale or reversal keeps that meaning; the decline is not stored.
  if (!self.sale && !self.reversal) await store.putVoid(q, msg.txId, msg.voids, msg.terminalId, result);
  return outcome(result, b);
}
