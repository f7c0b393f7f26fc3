// Runtime schemas for every payload of ../shared/protocol.md (contract v1).
// Types are derived from these, so a payload that passed validation is exactly what the code expects.
import { z } from 'zod';

export const CLUB_ID = /^[a-z0-9-]{1,32}$/;
export const TERMINAL_ID = /^[a-z0-9-]{1,64}$/;
export const CARD_UID = /^([0-9A-F]{8}|[0-9A-F]{14}|[0-9A-F]{20})$/;
export const SHA256_HEX = /^[0-9a-f]{64}$/;
/** Largest photo the contract allows. */
export const MAX_PHOTO_BYTES = 256 * 1024;
/** No single item of 200 kr or more is ever sold (contract: fixed). */
export const ITEM_PRICE_CEILING = 20000;

export const ClubId = z.string().regex(CLUB_ID);
export const TerminalId = z.string().regex(TERMINAL_ID);
export const CardUid = z.string().regex(CARD_UID);
export const Sha256 = z.string().regex(SHA256_HEX);
/** Integer øre; the contract forbids floats and strings. */
export const Ore = z.number().int().safe();
export const NonNegOre = Ore.nonnegative();
export const IsoTime = z.string().datetime({ offset: false, precision: 3 });
export const TxId = z.string().uuid();

export const CardRecord = z.object({
  cardUid: CardUid,
  holderId: z.string().min(1).max(128),
  name: z.string().min(1).max(200),
  photo: Sha256.nullable(),
  status: z.enum(['active', 'blocked']),
  balance: Ore,
  version: z.number().int().nonnegative().safe(),
  updatedAt: IsoTime,
});
export type CardRecord = z.infer<typeof CardRecord>;

export const CatalogItem = z.object({
  sku: z.string().min(1).max(64),
  name: z.string().min(1).max(100),
  price: NonNegOre,
  category: z.string().max(64),
});
export type CatalogItem = z.infer<typeof CatalogItem>;

export const Catalog = z.object({
  version: z.number().int().nonnegative().safe(),
  items: z.array(CatalogItem).max(1000),
});
export type Catalog = z.infer<typeof Catalog>;

export const OfflineConfig = z.object({
  perCardLimit: NonNegOre,
  terminalLimit: NonNegOre,
  maxAgeSeconds: z.number().int().nonnegative().safe(),
});
export const TerminalConfigMsg = z.object({
  maxPurchase: NonNegOre,
  offline: OfflineConfig,
});
export type TerminalConfigMsg = z.infer<typeof TerminalConfigMsg>;

export const SaleLine = z.object({
  sku: z.string().min(1).max(64),
  name: z.string().min(1).max(100),
  unitPrice: NonNegOre,
  qty: z.number().int().min(1).max(1000),
});
export type SaleLine = z.infer<typeof SaleLine>;

export const SaleMsg = z.object({
  type: z.literal('sale'),
  txId: TxId,
  terminalId: TerminalId,
  clubId: ClubId,
  cardUid: CardUid,
  items: z.array(SaleLine).min(1).max(100),
  total: NonNegOre,
  createdAt: IsoTime,
  offline: z.boolean(),
});
export type SaleMsg = z.infer<typeof SaleMsg>;

export const VoidMsg = z.object({
  type: z.literal('void'),
  txId: TxId,
  voids: TxId,
  terminalId: TerminalId,
  clubId: ClubId,
  cardUid: CardUid,
  createdAt: IsoTime,
});
export type VoidMsg = z.infer<typeof VoidMsg>;

export const ReversalMsg = z.object({
  type: z.literal('reversal'),
  txId: TxId,
  terminalId: TerminalId,
  createdAt: IsoTime,
});
export type ReversalMsg = z.infer<typeof ReversalMsg>;

export const TxMsg = z.discriminatedUnion('type', [SaleMsg, VoidMsg, ReversalMsg]);
export type TxMsg = z.infer<typeof TxMsg>;

export const DeclineReason = z.enum(['insufficient_funds', 'blocked', 'unknown_card', 'limit', 'reversed', 'invalid']);
export type DeclineReason = z.infer<typeof DeclineReason>;

export const ResultMsg = z.object({
  txId: TxId,
  type: z.enum(['sale', 'void', 'reversal']),
  status: z.enum(['approved', 'declined']),
  reason: DeclineReason.optional(),
  balance: Ore.optional(),
  cardVersion: z.number().int().nonnegative().safe().optional(),
  offline: z.boolean().optional(),
}).refine((r) => r.status === 'approved' || r.reason !== undefined, { message: 'a decline needs a reason' });
export type ResultMsg = z.infer<typeof ResultMsg>;

export const StatusMsg = z.union([
  z.object({ state: z.literal('online'), version: z.string(), since: IsoTime, queue: z.number().int().nonnegative() }),
  z.object({ state: z.literal('offline') }),
]);
export type StatusMsg = z.infer<typeof StatusMsg>;

// --- simulator control topics ---
export const KEY_NAMES = [
  'enter', 'escape', 'backspace', 'up', 'down',
  '0', '1', '2', '3', '4', '5', '6', '7', '8', '9',
  'f1', 'f2', 'f3', 'f4', 'f5', 'f6', 'f7', 'f8', 'f9', 'f10', 'f11', 'f12',
] as const;
export const KeyName = z.enum(KEY_NAMES);
export type KeyName = z.infer<typeof KeyName>;

export const SimReaderMsg = z.discriminatedUnion('action', [
  z.object({ action: z.literal('tap'), uid: CardUid }),
  z.object({ action: z.literal('remove') }),
  z.object({ action: z.literal('unplug') }),
  z.object({ action: z.literal('plug') }),
]);
export type SimReaderMsg = z.infer<typeof SimReaderMsg>;
export const SimKeyMsg = z.object({ key: KeyName });

/** Parses a JSON payload and validates it; returns a readable error instead of throwing. */
export function parsePayload<T>(schema: z.ZodType<T>, payload: Buffer | string):
  { ok: true; value: T } | { ok: false; error: string } {
  let json: unknown;
  try {
    json = JSON.parse(typeof payload === 'string' ? payload : payload.toString('utf8'));
  } catch {
    return { ok: false, error: 'not JSON' };
  }
  const r = schema.safeParse(json);
  if (r.success) return { ok: true, value: r.data };
  // Paths and messages only: never echo the payload's values (they may carry names).
  return { ok: false, error: r.error.issues.slice(0, 3).map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ') };
}
