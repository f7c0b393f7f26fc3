// Contract § Terminal rules and defaults, and the refusal reasons a terminal shows. Every default
// here is written once: the config schema and the rules take them from this module.
import type { DeclineReason } from './results.ts';

/** No single item with a unit price of 200 kr or more is ever sold (fixed). */
export const ITEM_PRICE_CEILING = 20000;

export const CONTRACT_DEFAULTS = {
  /** A sale's total is at most this. */
  maxPurchase: ITEM_PRICE_CEILING - 1,
  /** An online sale's answer must come within this. */
  replyTimeoutMs: 2000,
  offline: {
    perCardLimit: 10000,
    terminalLimit: 300000,
    maxAgeSeconds: 86400,
  },
  /** Without a key or a tap this long, the cashier is signed out. */
  cashierIdleMinutes: 30,
  /** "today" is the club's local date. */
  timeZone: 'Europe/Copenhagen',
} as const;

/** The ledger's reasons plus the terminal's own refusals (contract: `offline_limit`, `stale`). */
export type RefusalReason = DeclineReason | 'offline_limit' | 'stale';
