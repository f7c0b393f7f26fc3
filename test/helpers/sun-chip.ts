// An emulated NTAG 424 DNA (hal/ntag424) as the issuing desk leaves it: personalised with keys
// diversified from the demo club's master key, so the reference ledger verifies its SUNs.
import { cardKeys, Ntag424Card, personalise, SDM_FILE_READ_KEY, sunCmacValid } from '../../hal/ntag424/index.ts';
import type { SunRead } from '../../hal/types.ts';
import { DEMO_CARD_URL, DEMO_SUN_KEYS } from '../../sim/demo-club.ts';

export async function issuedChip(uid: string): Promise<Ntag424Card> {
  const chip = new Ntag424Card({ uid });
  chip.powerOn();
  await personalise(async (a) => chip.transmit(a), { ...DEMO_SUN_KEYS, baseUrl: DEMO_CARD_URL });
  chip.powerOff();
  return chip;
}

/** Whether a SUN is one the issued chip `uid` made (its SDM file-read key, the demo master's). */
export const genuineSun = (uid: string, sun: SunRead): boolean =>
  sunCmacValid(
    cardKeys(DEMO_SUN_KEYS.masterKey, uid, DEMO_SUN_KEYS.systemId)[SDM_FILE_READ_KEY]!,
    uid,
    sun.ctr,
    sun.cmac,
  );
