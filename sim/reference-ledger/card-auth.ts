// Contract 1.1 § Genuine cards, on the ledger's side: the SUN of a `sun` card checked with the card's
// SDM file-read key, diversified from the master key in the ledger's config (the only place besides
// the issuing desk that holds it). Pure: booking.ts asks, and writes what follows.
import type { CardAuth, CardRecord } from '../../contract/index.ts';
import { diversifyKey, SDM_FILE_READ_KEY, sunCmacValid } from '../../hal/ntag424/index.ts';

/** The ledger's key material: the master key and the system id the cards were diversified with. */
export interface SunKeys {
  masterKey: Buffer;
  systemId: string;
}

/** `none`: a `uid` card (1.0 rules); `ok`: the SUN proves the card and is newer than any accepted. */
export type SunCheck = 'none' | 'ok' | 'fail';

export function checkSun(
  card: Pick<CardRecord, 'cardUid' | 'auth' | 'sunCounter'> | null,
  auth: CardAuth | undefined,
  keys: SunKeys | null,
): SunCheck {
  if (card?.auth !== 'sun') return 'none';
  // No key, no SUN, a counter not above the accepted one, or a wrong cmac: the card is not proven.
  if (!keys || !auth || !/^[0-9A-F]{14}$/.test(card.cardUid)) return 'fail';
  if (auth.ctr <= (card.sunCounter ?? 0)) return 'fail';
  const k = diversifyKey(keys.masterKey, card.cardUid, SDM_FILE_READ_KEY, keys.systemId);
  return sunCmacValid(k, card.cardUid, auth.ctr, auth.cmac) ? 'ok' : 'fail';
}

/** What a booked sale changes on the card besides money: an accepted counter, or a block. */
export function sunOutcome(check: SunCheck, auth: CardAuth | undefined): { sunCounter?: number; status?: 'blocked' } {
  if (check === 'ok' && auth) return { sunCounter: auth.ctr };
  // Only an offline sale is booked with a failed check (online it is declined): the card is blocked.
  if (check === 'fail') return { status: 'blocked' };
  return {};
}
