// The offline rules in one place (contract § Terminal rules and defaults): the caps a terminal keeps
// while the ledger cannot answer, their defaults (the contract's, written once), and the decision
// whether the terminal may approve a sale on its own.
import { z } from 'zod';
import {
  CONTRACT_DEFAULTS,
  NonNegOre,
  type CardRecord,
  type OfflineConfig,
  type RefusalReason,
} from '../../contract/index.ts';
import { availableMoney } from './basket.ts';

/** The caps: the local config's section, which the ledger's `config` topic overrides as a whole. */
export type OfflineLimits = OfflineConfig;

const D = CONTRACT_DEFAULTS.offline;

/** The local config's `offline` section, every field defaulting to the contract. */
export const OfflineLimitsConfig = z
  .object({
    perCardLimit: NonNegOre.default(D.perCardLimit),
    terminalLimit: NonNegOre.default(D.terminalLimit),
    maxAgeSeconds: z.number().int().nonnegative().default(D.maxAgeSeconds),
  })
  .strict();

export interface OfflineInput {
  card: CardRecord | null;
  total: number;
  /** The card's unbooked spending (see availableMoney). */
  unbooked: number;
  /** Offline-approved, unanswered totals: this card's and the whole terminal's. */
  exposure: { card: number; terminal: number };
  limits: OfflineLimits;
  /** Seconds since the last live broker connection ended; 0 while connected. */
  offlineForSeconds: number;
}

export type Decision = { ok: true } | { ok: false; reason: RefusalReason };

export function decideOffline(i: OfflineInput): Decision {
  if (!i.card) return { ok: false, reason: 'unknown_card' };
  if (i.card.status !== 'active') return { ok: false, reason: 'blocked' };
  if (i.offlineForSeconds > i.limits.maxAgeSeconds) return { ok: false, reason: 'stale' };
  if (availableMoney(i.card, i.unbooked) < i.total) return { ok: false, reason: 'insufficient_funds' };
  if (i.exposure.card + i.total > i.limits.perCardLimit) return { ok: false, reason: 'offline_limit' };
  if (i.exposure.terminal + i.total > i.limits.terminalLimit) return { ok: false, reason: 'offline_limit' };
  return { ok: true };
}
