// The sale state machine's states, events and effects. Transitions (machine.ts) are pure; the
// controller performs the effects (journal, ledger, indicators, timers) and feeds events back.
import type { KeyName, CatalogItem, CardRules } from '../../contract/index.ts';
import type { Cashier } from '../rules/cashiers.ts';
import type { BasketLine, ScreenResult, ReportView, VoidView, ReaderStatus } from '../../contract/index.ts';
import type { BuzzerPattern, Led, SunRead } from '../../hal/types.ts';
import type { TextKey } from '../words.ts';

/**
 * A card as the sale sees it: `uid` is used for the sale only and never displayed. It carries the
 * parents' rules, `note` ready to show (control characters stripped), and today's spending (the
 * record's count for today plus this terminal's sales of today not in it yet). `sun`: what the tap's read of a `sun` card mirrored, sent with the sale;
 * never displayed.
 */
export interface CardView {
  uid: string;
  name: string;
  photo: string | null;
  available: number;
  rules?: CardRules;
  note?: string | null;
  spentToday?: number;
  sun?: SunRead | null;
}

/** Where a declined sale's basket goes back to (the basket is kept after every decline, so the cashier need not ring it up again). */
export interface KeptBasket {
  lines: BasketLine[];
  page: number;
}

/** `removed`: with the `catalogItemRemoved` or `blockedRemoved` notice, the names of the lines taken out. */
interface Basket {
  lines: BasketLine[];
  page: number;
  notice: TextKey | null;
  removed?: readonly string[];
}

export type SaleState =
  | ({ screen: 'idle' } & Basket)
  | ({ screen: 'basket' } & Basket)
  | ({ screen: 'tap' } & Basket)
  | ({ screen: 'confirm'; card: CardView; busy: boolean } & Basket)
  /** `void`: after a void, the sale it voided (what and whose the screen says). */
  | {
      screen: 'result';
      result: ScreenResult;
      card: CardView | null;
      offline: boolean;
      voided: boolean;
      kept?: KeptBasket | null;
      void?: VoidView | null;
    }
  | { screen: 'balance'; card: CardView }
  | { screen: 'void'; sale: VoidView | null }
  | { screen: 'report'; report: ReportView };

/** A tapped card after the controller looked it up: a refusal, or a card that may pay. */
export type TapLookup =
  | { ok: true; card: CardView }
  | { ok: false; reason: 'blocked' | 'unknown_card' | 'card_auth'; card: CardView | null }
  /** A staff card; it never pays. */
  | { ok: false; reason: 'staff'; staff: Cashier; card: null };

export type SaleEvent =
  | { type: 'key'; key: KeyName }
  | { type: 'tap'; lookup: TapLookup }
  /** The reader was plugged in or pulled out. */
  | { type: 'reader'; status: ReaderStatus }
  /** The reader saw a card but could not read it (pulled away mid-read, bad UID). */
  | { type: 'readError' }
  | { type: 'decided'; result: ScreenResult; card: CardView | null; offline: boolean }
  | { type: 'voidLoaded'; sale: VoidView | null }
  | { type: 'voided'; result: ScreenResult }
  | { type: 'reportLoaded'; report: ReportView }
  /** The result/balance screen's time is up. */
  | { type: 'timeout' }
  /** A new catalog version is in the context: the open basket is resolved again against it. */
  | { type: 'catalogChanged' }
  /** The card on the confirm screen changed at the ledger (blocked, closed, topped up). */
  | { type: 'cardChanged'; lookup: TapLookup }
  /** After a restart: the last sale's result, decided on disk but never seen by the cashier. */
  | { type: 'recovered'; result: ScreenResult; card: CardView | null; offline: boolean };

export type Effect =
  | { type: 'indicate'; led: Led; buzzer: BuzzerPattern | null }
  | { type: 'authorise'; lines: BasketLine[]; card: CardView }
  /** A basket refused at the tap (nothing sent): kept in the journal for the day's report. */
  | { type: 'recordRefusal'; lines: BasketLine[]; card: CardView | null; reason: string }
  | { type: 'loadVoid' }
  | { type: 'void'; txId: string }
  | { type: 'loadReport' }
  /** Who is signed in from now on (null: signed out). */
  | { type: 'setCashier'; cashier: Cashier | null }
  | { type: 'forward' }
  /** Sends `timeout` after the given time unless another transition happens first. */
  | { type: 'resetAfter'; ms: number };

/** What transitions read but do not own. */
export interface SaleContext {
  catalog: readonly CatalogItem[];
  maxPurchase: number;
  resultScreenMs: number;
  /** Selling needs `ready`; anything else shows the reader's error screen. */
  reader: ReaderStatus;
  /** The signed-in cashier, whether one is required to sell, and the balance below which the cashier is warned. */
  cashier: Cashier | null;
  requireCashier: boolean;
  lowBalance: number;
}

export const PAGE_SIZE = 9;
