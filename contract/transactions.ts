// Contract § Terminal → ledger: `terminals/{terminalId}/tx`, one topic for all kinds (1.1 adds
// `cashierId` and `cardAuth`). The bounds here are the only source of what a basket may hold.
import { z } from 'zod';
import { CardUid, ClubId, IsoTime, NonNegOre, TerminalId, TxId } from './conventions.ts';

/** At most this many lines in one sale. */
export const MAX_SALE_LINES = 100;
/** At most this quantity on one line. */
export const MAX_LINE_QTY = 1000;

export const SaleLine = z.object({
  sku: z.string().min(1).max(64),
  name: z.string().min(1).max(100),
  unitPrice: NonNegOre,
  qty: z.number().int().min(1).max(MAX_LINE_QTY),
});
export type SaleLine = z.infer<typeof SaleLine>;

/** 1.1 § Genuine cards: the SUN read at the tap (`ctr` read as big-endian hex). */
export const CardAuth = z.object({
  ctr: z.number().int().min(0).max(0xffffff),
  cmac: z.string().regex(/^[0-9A-F]{16}$/),
});
export type CardAuth = z.infer<typeof CardAuth>;

/** The signed-in cashier's staffId, or null. */
export const CashierId = z.string().min(1).max(128).nullable();

/** Every tx message names its txId, its terminal and when it was made. */
const TxBase = z.object({ txId: TxId, terminalId: TerminalId, createdAt: IsoTime });
/** Sales and voids also name the club, the card and the signed-in cashier. */
const CardTx = TxBase.extend({ clubId: ClubId, cardUid: CardUid, cashierId: CashierId.optional() });

export const SaleMsg = CardTx.extend({
  type: z.literal('sale'),
  items: z.array(SaleLine).min(1).max(MAX_SALE_LINES),
  total: NonNegOre,
  offline: z.boolean(),
  cardAuth: CardAuth.optional(),
});
export type SaleMsg = z.infer<typeof SaleMsg>;

export const VoidMsg = CardTx.extend({
  type: z.literal('void'),
  voids: TxId,
});
export type VoidMsg = z.infer<typeof VoidMsg>;

export const ReversalMsg = TxBase.extend({
  type: z.literal('reversal'),
});
export type ReversalMsg = z.infer<typeof ReversalMsg>;

export const TxMsg = z.discriminatedUnion('type', [SaleMsg, VoidMsg, ReversalMsg]);
export type TxMsg = z.infer<typeof TxMsg>;
