// Contract § Ledger → terminals (retained), with the optional fields of 1.1 (card rules, spent, auth,
// roster, staff, ledger status, requireCashier). An absent 1.1 field means "no rule".
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { CardUid, IsoTime, NonNegOre, Ore, Sha256, Version } from './conventions.ts';

/** A photo's name on `clubs/{clubId}/photos/{sha256}`: the SHA-256 of its bytes, lower-case hex. */
export function sha256Hex(bytes: Buffer): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** Largest photo the contract allows. */
export const MAX_PHOTO_BYTES = 256 * 1024;
/** Largest roster payload the contract allows. */
export const MAX_ROSTER_BYTES = 256 * 1024;
/** A parent's note: at most 200 characters (code points, not UTF-16 units: an emoji is one). */
export const MAX_NOTE_CHARS = 200;

/** A local calendar day, `YYYY-MM-DD`. */
export const LocalDay = z.string().regex(/^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$/);

/** Set by the parents. */
export const CardRules = z.object({
  dailyLimit: NonNegOre.nullable().optional(),
  blockedCategories: z.array(z.string().max(64)).max(100).optional(),
  /** Personal data like the name: shown to the cashier, never logged, erased with the card. */
  note: z
    .string()
    .refine((n) => [...n].length <= MAX_NOTE_CHARS, `at most ${MAX_NOTE_CHARS} characters`)
    .nullable()
    .optional(),
});
export type CardRules = z.infer<typeof CardRules>;

/** What the ledger has booked on the card on that local day (sales minus voids, all terminals). */
export const Spent = z.object({ day: LocalDay, total: Ore });
export type Spent = z.infer<typeof Spent>;

export const CardAuthKind = z.enum(['uid', 'sun']);

export const CardRecord = z.object({
  cardUid: CardUid,
  holderId: z.string().min(1).max(128),
  name: z.string().min(1).max(200),
  photo: Sha256.nullable(),
  status: z.enum(['active', 'blocked']),
  balance: Ore,
  version: Version,
  updatedAt: IsoTime,
  rules: CardRules.optional(),
  spent: Spent.optional(),
  auth: CardAuthKind.optional(),
  /** For `sun` cards: the highest SDM read counter the ledger has accepted (0 when none). */
  sunCounter: z.number().int().min(0).max(0xffffff).optional(),
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
  version: Version,
  items: z.array(CatalogItem).max(1000),
});
export type Catalog = z.infer<typeof Catalog>;

export const OfflineConfig = z.object({
  perCardLimit: NonNegOre,
  terminalLimit: NonNegOre,
  maxAgeSeconds: z.number().int().nonnegative().safe(),
});
export type OfflineConfig = z.infer<typeof OfflineConfig>;

export const TerminalConfigMsg = z.object({
  maxPurchase: NonNegOre,
  offline: OfflineConfig,
  /** Nothing is sold while nobody is signed in. */
  requireCashier: z.boolean().optional(),
});
export type TerminalConfigMsg = z.infer<typeof TerminalConfigMsg>;

/** 1.1 § Roster: every payment card and staff card the ledger keeps for the club. */
export const Roster = z.object({
  version: Version,
  updatedAt: IsoTime,
  cards: z.array(CardUid),
  staff: z.array(CardUid),
});
export type Roster = z.infer<typeof Roster>;

/** 1.1 § Cashiers: a staff card; it never pays. */
export const StaffRole = z.enum(['cashier', 'lead']);
export type StaffRole = z.infer<typeof StaffRole>;
export const StaffRecord = z.object({
  cardUid: CardUid,
  staffId: z.string().min(1).max(128),
  name: z.string().min(1).max(200),
  role: StaffRole,
  version: Version,
  updatedAt: IsoTime,
});
export type StaffRecord = z.infer<typeof StaffRecord>;

/** 1.1 § Ledger status: retained, with the ledger connection's will `{"state":"offline"}`. */
export const LedgerStatus = z.union([
  z.object({ state: z.literal('online'), since: IsoTime }),
  z.object({ state: z.literal('offline') }),
]);
export type LedgerStatus = z.infer<typeof LedgerStatus>;
