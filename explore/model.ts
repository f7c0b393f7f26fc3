// The model: what the cashier saw and what the nemesis did, on the explorer's monotonic clock (the
// truth no fault steps). The invariants judge the terminal and the ledger against it. Result screens
// come from the simulator's screen topic (SimClient.screens), so a result a restarted terminal
// recovers and shows counts as seen, as the cashier saw it.
import type { Catalog, TerminalConfigMsg } from '../contract/index.ts';
import { performance } from 'node:perf_hooks';

/** Truth time: the explorer's monotonic clock, which no fault steps. */
export const truthNow = (): number => performance.now();

/** A span of truth time; `to` null while it lasts. */
export interface Span {
  from: number;
  to: number | null;
}

export interface ClosedCard {
  uid: string;
  at: number;
  name: string;
  note: string | null;
  photo: Buffer | null;
}

export interface Model {
  terminalUp: boolean;
  brokerUp: boolean;
  refusing: boolean;
  ledgerUp: boolean;
  ledgerPaused: boolean;
  /**
   * The ledger's retained status says offline: it stopped while the broker was up. A ledger gone
   * while the broker was down leaves "online" there, and a terminal is live by the contract then.
   */
  ledgerSaysOffline: boolean;
  diskFull: boolean;
  readerPlugged: boolean;
  /** When the disk was last freed (erasure may wait for room). */
  diskFreeSince: number;
  /** Spans in which the terminal could not be live: the broker down or refusing it, or the ledger's status offline. */
  cut: Span[];
  /** Spans in which the terminal process ran. */
  alive: Span[];
  /** Truth times of a new boot (the terminal restarted after it). */
  reboots: number[];
  /** Truth times of Enter on a confirm or void screen. */
  enters: number[];
  /** Every terminal config the ledger published (the terminal may hold any of them). */
  configs: TerminalConfigMsg[];
  /** uid → truth times the ledger blocked or closed it, and unblocked it. */
  blocked: Map<string, Span[]>;
  closed: ClosedCard[];
  /**
   * Photos the office replaced: the card, when the new record was published (truth time), the old
   * photo's bytes and SHA-256 (null: it had none), the new bytes.
   */
  photos: { uid: string; at: number; old: Buffer | null; oldSha: string | null; now: Buffer }[];
  /** Balances when the history began and the top-ups since. */
  start: Map<string, number>;
  topUps: Map<string, number>;
  /** Cards added during the history (their names are personal data like the demo children's). */
  added: { uid: string; name: string; photo: Buffer }[];
  /** Every catalog the ledger published, with when (the terminal prices a sale by the newest it holds). */
  catalogs: { at: number; catalog: Catalog }[];
  /**
   * Parents' category rules published by the ledger: `from` when the change was asked, `at` when it
   * was committed (the terminal may hold it from `from`, and knows it once online a while after `at`).
   */
  rules: { uid: string; from: number; at: number; block: string[]; unblock: string[] }[];
  /** Staff cards the office added (their names are personal data). */
  staffAdded: { uid: string; name: string; staffId: string }[];
  /** Truth times the office added or removed a staff card (a removed cashier is signed out; the screen follows a moment later). */
  staffChanges: number[];
  /**
   * `requireCashier` as the ledger published it: `from` when asked, `at` when committed (the terminal
   * knows it once online a while after `at`). The history begins without it.
   */
  cashierRule: { from: number; at: number; on: boolean }[];
  /** At each Enter on a confirm or void screen: the cashier the screen showed (null: nobody signed in). */
  shownCashier: { at: number; name: string | null }[];
  /** Sales the terminal refused before a basket because nobody was signed in (requireCashier). */
  refusedNoCashier: number;
  /** `sun` cards a forged or replayed read of which was shown approved (offline: the terminal cannot tell). */
  forgedApproved: Set<string>;
  /** `sun` cards a forged or replayed read of which was shown declined card_auth since the disk last had room at a kill. */
  forgedUnstored: Set<string>;
  /**
   * Of those, the ones whose decline a kill may have taken from memory before the disk took it: the
   * terminal then holds the read's counter as sent, and refuses the genuine card offline until the
   * ledger approves a read of it online (the journal then forgets the higher counter).
   */
  forgedKept: Set<string>;
  faults: Record<string, number>;
  checks: Record<string, number>;
  /** When the journal was last copied aside (null: never), and whether a restore happened since. */
  backupAt: number | null;
  /** Sales the terminal refused at the tap (no txId, no money moved). */
  refusedAtTap: number;
  /** Real time each kind of step took, in ms (where a history's time goes). */
  stepMs: Record<string, number>;
}

/** `spawned`: when the world started the terminal's first process (its screens from then on are its life's). */
export function initialModel(
  config: TerminalConfigMsg,
  start: Map<string, number>,
  catalog: Catalog,
  spawned = truthNow(),
): Model {
  const t = truthNow();
  return {
    terminalUp: true,
    brokerUp: true,
    refusing: false,
    ledgerUp: true,
    ledgerPaused: false,
    ledgerSaysOffline: false,
    diskFull: false,
    readerPlugged: true,
    diskFreeSince: t,
    cut: [],
    alive: [{ from: spawned, to: null }],
    reboots: [],
    enters: [],
    configs: [config],
    blocked: new Map(),
    closed: [],
    photos: [],
    start,
    topUps: new Map(),
    added: [],
    rules: [],
    staffAdded: [],
    staffChanges: [],
    cashierRule: [],
    shownCashier: [],
    refusedNoCashier: 0,
    forgedApproved: new Set(),
    forgedUnstored: new Set(),
    forgedKept: new Set(),
    catalogs: [{ at: -Infinity, catalog }],
    faults: {},
    checks: {},
    stepMs: {},
    refusedAtTap: 0,
    backupAt: null,
  };
}

export const open = (spans: Span[]): Span | undefined => spans.find((s) => s.to === null);
export function begin(spans: Span[], t = truthNow()): void {
  if (!open(spans)) spans.push({ from: t, to: null });
}
export function end(spans: Span[], t = truthNow()): void {
  const s = open(spans);
  if (s) s.to = t;
}
/** The span of `spans` that holds `t`. */
export const spanAt = (spans: Span[], t: number): Span | undefined =>
  spans.find((s) => s.from <= t && (s.to === null || t < s.to));

/** Whether the terminal can be live now: the broker up and accepting it, the ledger's status not offline. */
export function updateCut(m: Model): void {
  if (!m.brokerUp || m.refusing || m.ledgerSaysOffline) begin(m.cut);
  else end(m.cut);
}

/** Whether `requireCashier` is on in the newest config the ledger published (the terminal may not know it yet). */
export const cashierRequired = (m: Readonly<Model>): boolean => m.cashierRule.at(-1)?.on ?? false;

export const fault = (m: Model, kind: string): void => {
  m.faults[kind] = (m.faults[kind] ?? 0) + 1;
};
export const checked = (m: Model, kind: string, n = 1): void => {
  m.checks[kind] = (m.checks[kind] ?? 0) + n;
};
