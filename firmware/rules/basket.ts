// Authorisation rules as pure functions: what may be sold and the money a card has (the offline
// rules are in offline.ts).
import { ITEM_PRICE_CEILING, MAX_LINE_QTY, MAX_SALE_LINES, type CardRecord } from '../../contract/index.ts';

export interface Line {
  unitPrice: number;
  qty: number;
}

export const basketTotal = (lines: readonly Line[]): number => lines.reduce((s, l) => s + l.unitPrice * l.qty, 0);

export type BasketCheck = 'ok' | 'item_too_expensive' | 'over_max_purchase' | 'too_many_lines' | 'too_many_of_item';

/**
 * Checks a basket (e.g. with one more item added) against the fixed item ceiling, maxPurchase and
 * the sale schema's bounds (contract: lines and quantity), so nothing approved is a sale the
 * ledger must reject.
 */
export function checkBasket(lines: readonly Line[], maxPurchase: number): BasketCheck {
  if (lines.some((l) => l.unitPrice >= ITEM_PRICE_CEILING)) return 'item_too_expensive';
  if (lines.length > MAX_SALE_LINES) return 'too_many_lines';
  if (lines.some((l) => l.qty > MAX_LINE_QTY)) return 'too_many_of_item';
  if (basketTotal(lines) > maxPurchase) return 'over_max_purchase';
  return 'ok';
}

/** Money the terminal shows as available (contract: newest record minus what is not booked in it). */
export const availableMoney = (card: CardRecord, unbooked: number): number => card.balance - unbooked;
