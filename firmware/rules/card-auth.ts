// Contract 1.1 § Genuine cards, on the terminal: it holds no card keys, so it refuses on its own only
// what it can see is not the card: a `sun` card whose tap brought no SUN or another mirrored uid, and
// for an offline approval a counter it has seen before (a replayed read). The ledger checks the cmac.
import type { CardAuth, CardRecord } from '../../contract/index.ts';
import type { SunRead } from '../../hal/types.ts';

export const isSunCard = (record: Pick<CardRecord, 'auth'>): boolean => record.auth === 'sun';

/** At the tap: null when the tap may stand for the card, else `card_auth`. */
export function tapAuthProblem(record: Pick<CardRecord, 'auth' | 'cardUid'>, sun: SunRead | null): 'card_auth' | null {
  if (!isSunCard(record)) return null;
  return sun && sun.uid === record.cardUid ? null : 'card_auth';
}

/** What the sale message carries for the card: the tap's SUN for a `sun` card, nothing for a `uid` card. */
export function saleCardAuth(record: Pick<CardRecord, 'auth'>, sun: SunRead | null): CardAuth | undefined {
  return isSunCard(record) && sun ? { ctr: sun.ctr, cmac: sun.cmac } : undefined;
}

/**
 * For an offline approval: the counter must be above the record's `sunCounter` and above every
 * counter this terminal already put into another sale of the card (`highestUsed`, null: none).
 * `sentAbove`: for the fallback of a sale sent online, the `sunCounter` the record had before it
 * was sent. A record that has since reached exactly this read's counter is the ledger having
 * accepted this very read while the terminal waited (its answer late): not a replay. A counter the
 * record knew before, or one below a newer read accepted since, still is.
 */
export function offlineAuthProblem(
  record: Pick<CardRecord, 'auth' | 'sunCounter'>,
  auth: CardAuth | undefined,
  highestUsed: number | null,
  sentAbove?: number | null,
): 'card_auth' | null {
  if (!isSunCard(record)) return null;
  if (!auth) return 'card_auth';
  const now = record.sunCounter ?? 0;
  if (sentAbove !== undefined && now === auth.ctr && auth.ctr > (sentAbove ?? 0) && auth.ctr > (highestUsed ?? -1))
    return null;
  return auth.ctr > Math.max(now, highestUsed ?? -1) ? null : 'card_auth';
}
