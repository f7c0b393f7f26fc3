// Contract § Simulator control, `screen`: the screen model, everything a display draws. The first
// six fields are exactly the contract's `sim/{terminalId}/screen` payload; `view` carries what a
// full display shows beyond that.
import type { KeyName } from './simulator.ts';

export type ScreenName = 'idle' | 'basket' | 'tap' | 'confirm' | 'result' | 'balance' | 'void' | 'report' | 'error';

export interface BasketLine {
  sku: string;
  name: string;
  unitPrice: number;
  qty: number;
}
export interface ScreenBasket {
  items: BasketLine[];
  total: number;
}
/** `note` is the parent's note (control characters stripped), null when none. */
export interface ScreenCard {
  name: string;
  balance: number;
  photo: string | null;
  note?: string | null;
}
/** The signed-in cashier, or null. */
export interface ScreenCashier {
  name: string;
  role: 'cashier' | 'lead';
}
/** `reason` is the ledger's or the terminal's own refusal reason; null when approved. */
export interface ScreenResult {
  status: 'approved' | 'declined';
  reason: string | null;
  balance: number | null;
  txId: string | null;
}

export interface CatalogPageItem {
  key: string;
  sku: string;
  name: string;
  price: number;
}
export interface ReportView {
  date: string;
  sales: number;
  salesTotal: number;
  offlineSales: number;
  offlineTotal: number;
  voids: number;
  voidsTotal: number;
  /** The money the day's sales brought after its voids: salesTotal − voidsTotal. */
  net: number;
  /** Declined sales: refused by the terminal (at the tap or at Enter) or declined by the ledger. */
  declined: number;
  /** `declined` by reason, the most frequent first. */
  declinedBy: { reason: string; count: number }[];
  queue: number;
  /** While someone is signed in. */
  cashier?: CashierReport | null;
}
/**
 * `cashierId`: the staffId that made the sale (null: nobody signed in). `child`: the first name
 * of the card's holder (null: no longer held); `seller`: the name of the cashier who made the sale
 * (null: nobody signed in, or a staff card no longer held).
 */
export interface VoidView {
  txId: string;
  total: number;
  createdAt: string;
  items: BasketLine[];
  voided: boolean;
  cashierId?: string | null;
  child?: string | null;
  seller?: string | null;
}
/** The signed-in cashier's figures since sign-in. */
export interface CashierReport {
  name: string;
  sales: number;
  salesTotal: number;
  voids: number;
  voidsTotal: number;
}
/** What the parents' rules mean for the basket on `confirm` and a refusal's `result`. */
export interface RulesView {
  leftToday: number | null;
  blockedItem: string | null;
}

/**
 * The card reader as the cashier sees it: `not_answering` while it is on USB but silent (the
 * terminal is healing it), `replug` once healing failed and only pulling the plug helps.
 */
export const READER_STATUSES = ['ready', 'unplugged', 'not_answering', 'replug'] as const;
export type ReaderStatus = (typeof READER_STATUSES)[number];

/**
 * Why the terminal decides offline, as the status bar says it: the broker cannot be reached, refuses
 * the connection (`not_authorized`: its password file or ACL; `unavailable`: it says so), the TLS
 * handshake fails, or the broker is reached but the ledger's status is `offline`.
 */
export type OfflineReason = 'unreachable' | 'refused' | 'not_authorized' | 'unavailable' | 'tls' | 'ledger_offline';

export interface ScreenView {
  lang: 'da' | 'en';
  clubId: string;
  terminalId: string;
  /** Sales and voids not yet answered by the ledger. */
  queue: number;
  reader: ReaderStatus;
  /** Where the yes/no feedback goes: the LEDs and buzzer ('ok'), else the reader's own LED and beeper, else only the screen. */
  indicators: 'ok' | 'reader' | 'screen';
  catalog: { page: number; pages: number; items: CatalogPageItem[] } | null;
  report: ReportView | null;
  void: VoidView | null;
  /** Keys the cashier can press now, with a short label each, in display order. */
  hints: { key: KeyName | string; label: string }[];
  /** True while an approval is being decided (Enter was pressed on confirm). */
  busy: boolean;
  errorKind: 'reader' | 'config' | 'broker' | 'storage' | null;
  /** While not online: why (null when not known). */
  offlineReason?: OfflineReason | null;
  /**
   * The ledger has not answered since then (ISO time): an online sale got no answer in time and none
   * came since, or the ledger's status is `offline` (since the terminal was last live). Null while
   * it answers. `online` stays true in the first case (the contract's `screen.online`).
   */
  ledgerSilentSince?: string | null;
  /** The parents' rules on confirm and on a refusal by them; null elsewhere or without rules. */
  rules?: RulesView | null;
  /** The balance after the sale is below the config's warning amount (confirm, result). */
  lowBalance?: boolean;
  /** On `result`: what the cashier does next, one sentence (the keys for it are in `hints`). */
  next?: string | null;
}

export interface ScreenModel {
  screen: ScreenName;
  basket: ScreenBasket | null;
  card: ScreenCard | null;
  result: ScreenResult | null;
  message: string;
  online: boolean;
  /** Always set by the terminal (null when nobody is signed in); optional for hand-made models. */
  cashier?: ScreenCashier | null;
  view: ScreenView;
}
