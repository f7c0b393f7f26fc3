// Booking decisions of the reference ledger as pure functions (contract v1, "Terminal → ledger").
// They only say what to do; booking.ts reads the state, asks here, and writes the outcome.
import { ITEM_PRICE_CEILING, CONTRACT_DEFAULTS } from '../../contract/index.ts';
import type {
  CardRecord,
  DeclineReason,
  ResultMsg,
  ReversalMsg,
  SaleMsg,
  TxMsg,
  VoidMsg,
} from '../../contract/index.ts';
import type { SunCheck } from './card-auth.ts';
import { checkParentRules, spentAfter, spentInRecord } from '../../firmware/rules/parents.ts';

/** Contract default when the terminal has no `config` with its own maxPurchase. */
export const DEFAULT_MAX_PURCHASE = CONTRACT_DEFAULTS.maxPurchase;

/** What the ledger holds about one sale txId. */
export interface SaleState {
  terminalId: string;
  clubId: string;
  cardUid: string;
  total: number;
  /** How the money moved: by an online decision, by an offline report, or not at all (declined). */
  booked: 'online' | 'offline' | null;
  /** The answer a repeat of this sale gets. */
  answer: ResultMsg;
  voidedBy: string | null;
}

/** Everything stored under one txId: the sale it names, and the answers to a reversal or void with that txId. */
export interface TxIdState {
  sale: SaleState | null;
  reversal: ResultMsg | null;
  void: ResultMsg | null;
  /** The terminals that sent the reversal and the void stored under it (the sale's is in `sale`). */
  sentBy: string[];
}

export type Decision =
  | { kind: 'repeat'; answer: ResultMsg }
  | { kind: 'decline'; reason: DeclineReason }
  /** Approve; `moveMoney` false only for a reversal with nothing left to undo. */
  | { kind: 'approve'; moveMoney: boolean };

const decline = (reason: DeclineReason): Decision => ({ kind: 'decline', reason });
const repeat = (answer: ResultMsg): Decision => ({ kind: 'repeat', answer });

const isFinal = (s: TxIdState) => s.reversal?.status === 'approved';

/**
 * Contract § Access: a terminal acts only for its own club (`terminalClub`, null: registered with
 * none). A message naming another club, or whose txId already names something of another club
 * (`txIdClubs`: the clubs of what is stored under it), is not that terminal's business: it is
 * declined `invalid` before anything else is looked at, so its answer tells nothing of the other
 * club (no balance, no repeat of that club's answer).
 */
export function foreignMessage(
  msg: TxMsg,
  terminalClub: string | null,
  txIdClubs: readonly (string | null)[],
): boolean {
  if (terminalClub === null) return true;
  if (msg.type !== 'reversal' && msg.clubId !== terminalClub) return true;
  return txIdClubs.some((c) => c !== terminalClub);
}

/** The answer to a message `foreignMessage` refuses: nothing but the decline. */
export const foreignAnswer = (msg: TxMsg): ResultMsg => ({
  txId: msg.txId,
  type: msg.type,
  status: 'declined',
  reason: 'invalid',
  ...(msg.type === 'sale' ? { offline: msg.offline } : {}),
});

/** A well-formed sale whose content the ledger will not book, whatever the card. */
export function saleContentProblem(
  msg: SaleMsg,
  ctx: { clubKnown: boolean; maxPurchase: number },
): DeclineReason | null {
  if (!ctx.clubKnown) return 'invalid';
  if (msg.items.some((l) => l.unitPrice >= ITEM_PRICE_CEILING)) return 'invalid';
  if (msg.items.reduce((sum, l) => sum + l.unitPrice * l.qty, 0) !== msg.total) return 'invalid';
  if (msg.total > ctx.maxPurchase) return 'limit';
  return null;
}

export interface SaleContext {
  clubKnown: boolean;
  maxPurchase: number;
  card: Pick<CardRecord, 'status' | 'balance' | 'rules' | 'spent'> | null;
  /** The card is the club's, or was until the ledger closed it (Access: a UID the club never had is not its card). */
  cardOfClub: boolean;
  /** The club's local day by the ledger's own clock, and its own catalog's category of a sku (null: not in it). */
  today: string;
  /** The check of the sale's SUN (card-auth.ts); `none` for a `uid` card. */
  sun?: SunCheck;
  categoryOf: (sku: string) => string | null;
}

export function decideSale(msg: SaleMsg, s: TxIdState, ctx: SaleContext): Decision {
  if (isFinal(s)) return decline('reversed');
  if (s.void) return decline('invalid'); // the txId already names a void
  // The one exception to "same answer again": the terminal approved it offline after our decline.
  if (s.sale && !(msg.offline && s.sale.booked === null)) return repeat({ ...s.sale.answer, offline: msg.offline });
  const problem = saleContentProblem(msg, ctx);
  if (problem) return decline(problem);
  // Goods already handed over: booked whatever the card's state (a closed card's debt is still recorded),
  // but only on a card of the club: no terminal of the club could have approved another.
  if (msg.offline) return ctx.cardOfClub ? { kind: 'approve', moveMoney: true } : decline('invalid');
  // The ledger judges an online sale by its own catalog, not by the message: an item that is not in it
  // (a terminal rang it up before a catalog change) has no category the parents' rules could judge.
  if (msg.items.some((l) => ctx.categoryOf(l.sku) === null)) return decline('invalid');
  // A UID the club does not hold (also another club's): the answer for one no club holds, telling nothing.
  if (!ctx.card) return decline('unknown_card');
  // A `sun` card that did not prove itself is not the card (a clone, a replay, a forged cmac).
  if (ctx.sun === 'fail') return decline('card_auth');
  if (ctx.card.status === 'blocked') return decline('blocked');
  // The parents' rules, with the ledger's own count of the day (offline sales are booked whatever).
  const lines = msg.items.map((l) => ({ ...l, category: ctx.categoryOf(l.sku) }));
  const refusal = checkParentRules(ctx.card.rules, lines, spentInRecord(ctx.card.spent, ctx.today));
  if (refusal) return decline(refusal.reason);
  if (ctx.card.balance < msg.total) return decline('insufficient_funds');
  return { kind: 'approve', moveMoney: true };
}

export function decideReversal(msg: ReversalMsg, s: TxIdState): Decision {
  if (s.reversal) return repeat(s.reversal);
  if (s.void) return decline('invalid');
  const sale = s.sale;
  if (sale && sale.terminalId !== msg.terminalId) return decline('invalid');
  // Offline sales are never reversed: the goods were handed over; a cashier uses a void.
  if (sale?.booked === 'offline') return decline('invalid');
  // Approved also for an unknown or declined txId: it becomes final either way.
  return { kind: 'approve', moveMoney: sale?.booked === 'online' && sale.voidedBy === null };
}

export function decideVoid(
  msg: VoidMsg,
  self: TxIdState,
  target: { sale: SaleState | null; reversed: boolean },
  cardKnown: boolean,
): Decision {
  if (self.void) return repeat(self.void);
  if (self.sale || self.reversal || msg.voids === msg.txId) return decline('invalid');
  const sale = target.sale;
  if (!sale || sale.booked === null || target.reversed || sale.voidedBy !== null) return decline('invalid');
  if (sale.clubId !== msg.clubId || sale.cardUid !== msg.cardUid) return decline('invalid');
  if (!cardKnown) return decline('unknown_card');
  return { kind: 'approve', moveMoney: true };
}

export interface CardChange {
  balanceDelta?: number;
  status?: CardRecord['status'];
  /** Money booked on the card today (`today`), counted into `spent`. */
  spentDelta?: { today: string; amount: number };
  /** The parents' new rules (undefined: unchanged; an empty object after clearing keeps no field). */
  rules?: CardRecord['rules'];
  /** A SUN counter the ledger accepted (never lowers the record's). */
  sunCounter?: number;
}

/** The record after a change: every change of a card bumps its version by one. */
export function changedCard(card: CardRecord, change: CardChange, now: string): CardRecord {
  const after: CardRecord = {
    ...card,
    balance: card.balance + (change.balanceDelta ?? 0),
    status: change.status ?? card.status,
    version: card.version + 1,
    updatedAt: now,
  };
  if (change.spentDelta) after.spent = spentAfter(card, change.spentDelta.today, change.spentDelta.amount);
  if (change.rules !== undefined) after.rules = change.rules;
  if (change.sunCounter !== undefined) after.sunCounter = Math.max(card.sunCounter ?? 0, change.sunCounter);
  return after;
}

/** Adds the card's balance and version to an answer when the card is known. */
export function withCard(answer: ResultMsg, card: CardRecord | null): ResultMsg {
  return card ? { ...answer, balance: card.balance, cardVersion: card.version } : answer;
}
