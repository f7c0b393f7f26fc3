// Records the journal keeps. Sales and voids are this terminal's own; cards, photos, catalog and
// config are the ledger's, cached.
import type { SaleLine, TxMsg } from '../../contract/index.ts';

export type SaleStatus = 'pending' | 'approved' | 'declined';

export interface StoredSale {
  txId: string;
  cardUid: string | null;
  items: SaleLine[];
  total: number;
  createdAt: string;
  offline: boolean;
  status: SaleStatus;
  reason: string | null;
  answered: boolean;
  resultVersion: number | null;
  voidedBy: string | null;
  /** The staffId signed in when the sale was made (null: nobody). */
  cashierId: string | null;
}

export interface OutboxEntry {
  seq: number;
  txId: string;
  type: TxMsg['type'];
  offline: boolean;
  message: TxMsg;
}

export interface DayReport {
  sales: number;
  salesTotal: number;
  offlineSales: number;
  offlineTotal: number;
  voids: number;
  voidsTotal: number;
  /** salesTotal − voidsTotal: what the day brought after its voids. */
  net: number;
  declined: number;
  /** `declined` by reason, the most frequent first. */
  declinedBy: { reason: string; count: number }[];
}

/** The newest rows of the sales and voids tables at a moment: the rows after it came since. */
export interface RowMark {
  sale: number;
  void: number;
}

/**
 * The business day (firmware/terminal/business-day.ts): its local date now, every date it has been
 * shown as (a step of the wall clock renames the day; the newest last), and its first rows.
 */
export interface BusinessDayView {
  date: string;
  names: readonly string[];
  mark: RowMark;
}
