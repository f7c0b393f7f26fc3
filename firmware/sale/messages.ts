// The tx messages this terminal sends (contract § Terminal → ledger), built in one place so that a
// property test can prove the ledger's schema accepts every one the terminal may send.
import { randomUUID } from 'node:crypto';
import type { BasketLine, ReversalMsg, SaleMsg, VoidMsg } from '../../contract/index.ts';
import { basketTotal } from '../rules/basket.ts';

export interface Origin {
  terminalId: string;
  clubId: string;
}

/** An online sale of `lines` to `cardUid` (the offline form differs only in `offline`). */
/** `cashierId`: the signed-in cashier's staffId, or null. */
export const saleMessage = (
  o: Origin,
  cardUid: string,
  lines: readonly BasketLine[],
  at: Date,
  cashierId: string | null,
): SaleMsg => ({
  type: 'sale',
  txId: randomUUID(),
  terminalId: o.terminalId,
  clubId: o.clubId,
  cardUid,
  items: lines.map((l) => ({ ...l })),
  total: basketTotal(lines),
  createdAt: at.toISOString(),
  offline: false,
  cashierId,
});

export const voidMessage = (
  o: Origin,
  sale: { txId: string; cardUid: string },
  at: Date,
  cashierId: string | null,
): VoidMsg => ({
  type: 'void',
  txId: randomUUID(),
  voids: sale.txId,
  terminalId: o.terminalId,
  clubId: o.clubId,
  cardUid: sale.cardUid,
  createdAt: at.toISOString(),
  cashierId,
});

export const reversalMessage = (o: Origin, txId: string, at: Date): ReversalMsg => ({
  type: 'reversal',
  txId,
  terminalId: o.terminalId,
  createdAt: at.toISOString(),
});
