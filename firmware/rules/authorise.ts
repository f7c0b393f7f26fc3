// Authorisation rules as pure functions: what may be sold, and what the terminal may approve on
// its own while the ledger cannot answer.
import { ITEM_PRICE_CEILING, type CardRecord, type RefusalReason } from '../../contract/index.ts';

export interface Line { unitPrice: number; qty: number }

export const basketTotal = (lines: readonly Line[]): number => lines.reduce((s, l) => s + l.unitPrice * l.qty, 0);

export type BasketCheck = 'ok' | 'item_too_expensive' | 'over_max_purchase';

/** Checks a basket (e.g. with one more item added) against the fixed item ceiling and maxPurchase. */
export function checkBasket(lines: readonly Line[], maxPurchase: number): BasketCheck {
  if (lines.some((l) => l.unitPrice >= ITEM_PRICE_CEILING)) return 'item_too_expensive';
  if (basketTotal(lines) > maxPurchase) return 'over_max_purchase';
  return 'ok';
}

export interface OfflineLimits { perCardLimit: number; terminalLimit: number; maxAgeSeconds: number }

/** Money the terminal shows as available (contract: newest record minus what is not booked in it). */
export const availableMoney = (card: CardRecord, unbooked: number): number => card.balance - unbooked;

export interface OfflineInput {
  card: CardRecord | null;
  total: number;
  /** The card's unbooked spending (see availableMoney). */
  unbooked: number;
  /** Offline-approved, unanswered totals: this card's and the whole terminal's. */
  exposure: { card: number; terminal: number };
  limits: OfflineLimits;
  /** Seconds since the last live broker connection ended; 0 while connected. */
  offlineForSeconds: number;
}

export type Decision = { ok: true } | { ok: false; reason: RefusalReason };

export function decideOffline(i: OfflineInput): Decision {
  if (!i.card) return { ok: false, reason: 'unknown_card' };
  if (i.card.status !== 'active') return { ok: false, reason: 'blocked' };
  if (i.offlineForSeconds > i.limits.maxAgeSeconds) return { ok: false, reason: 'stale' };
  if (availableMoney(i.card, i.unbooked) < i.total) return { ok: false, reason: 'insufficient_funds' };
  if (i.exposure.card + i.total > i.limits.perCardLimit) return { ok: false, reason: 'offline_limit' };
  if (i.exposure.terminal + i.total > i.limits.terminalLimit) return { ok: false, reason: 'offline_limit' };
  return { ok: true };
}
