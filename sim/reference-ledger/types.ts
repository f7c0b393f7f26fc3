// Records the reference ledger is seeded with and reports back.
import type { CardRules, Catalog, StaffRole, TerminalConfigMsg } from '../../contract/index.ts';

/** A card as the technician or the seed hands it over; the ledger names the photo by its SHA-256. */
export interface CardSeed {
  cardUid: string;
  holderId: string;
  name: string;
  balance: number;
  status?: 'active' | 'blocked';
  /** PNG or JPEG bytes, or null for a card without a photo. */
  photo: Buffer | null;
  /** The parents' rules. */
  rules?: CardRules;
  /** `sun` for a personalised NTAG 424 DNA (its sunCounter starts at 0); default `uid`. */
  auth?: 'uid' | 'sun';
}

/** A staff card as the club office hands it over. */
export interface StaffSeed {
  cardUid: string;
  staffId: string;
  name: string;
  role: StaffRole;
}

export interface ClubSeed {
  clubId: string;
  catalog: Catalog;
  cards: CardSeed[];
  staff?: StaffSeed[];
  /**
   * Contract § Access: the terminals of this club (terminalIds), as the club office registers them.
   * The ledger declines `invalid` every message of a terminal that is not registered with the club it names.
   */
  terminals?: string[];
  /** Per-terminal config published on `terminals/{id}/config`; only for terminals of this club. */
  terminalConfigs?: Record<string, TerminalConfigMsg>;
}

/** One movement of money booked for a tx message. */
export interface LedgerEntry {
  seq: number;
  at: string;
  type: 'sale' | 'reversal' | 'void';
  /** The sale's txId (sale, reversal) or the void's own txId (void). */
  txId: string;
  /** For a void: the txId of the sale it refunds. */
  ref: string | null;
  clubId: string;
  cardUid: string;
  /** Change of the balance in øre: negative for a sale. */
  amount: number;
  offline: boolean;
  terminalId: string;
  /** The signed-in cashier's staffId the tx message carried (null: nobody, or a 1.0 terminal). */
  cashierId: string | null;
}

export interface LedgerCounters {
  /** Well-formed tx messages (answered, approved or declined). */
  accepted: number;
  /** Payloads that broke the contract: logged, not answered, no state change. */
  rejected: number;
}
