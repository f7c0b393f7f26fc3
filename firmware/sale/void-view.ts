// What the void screen (F2) shows of the last sale: what, when and how much, and whose: the child's
// first name (enough to recognise at the till, no more on a screen others can read) and the name
// of the cashier who made it (the one who may void it, besides a lead).
import type { StoredSale } from '../journal/types.ts';
import type { SaleNames } from '../journal/sale-names.ts';
import type { VoidView } from '../../contract/index.ts';

export const firstName = (name: string): string => name.trim().split(/\s+/)[0] ?? '';

export function voidView(s: StoredSale, names: SaleNames): VoidView {
  return {
    txId: s.txId,
    total: s.total,
    createdAt: s.createdAt,
    items: s.items,
    voided: false,
    cashierId: s.cashierId,
    child: names.child === null ? null : firstName(names.child) || null,
    seller: names.seller,
  };
}
