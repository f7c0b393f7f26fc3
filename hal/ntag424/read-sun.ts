// One tap's read of a card's SUN: select the NDEF application and file, read the NDEF length and
// record, parse the URI. Over any `transmit` (nfc-pcsc's reader with autoProcessing off, the
// simulated card, a test's fake).
import type { SunRead } from '../types.ts';
import { ApduError, isoCommand, NDEF_FILE_ID, readFile, selectAid, selectFile, type Transmit } from './apdu.ts';
import { NDEF_FILE_SIZE, ndefUri, parseSunUri } from './ndef.ts';

export type { Transmit };

/**
 * The SUN the card's NDEF file mirrors; null when the card has none (no NDEF application or file,
 * no read access, no URI, or a URI without the contract's query) — a UID card or a clone.
 * Throws when the transfer breaks (card pulled away, garbled answer): a read error, as for the UID.
 */
export async function readSun(transmit: Transmit): Promise<SunRead | null> {
  if (!(await isoCommand(transmit, selectAid(), 'SELECT application'))) return null;
  if (!(await isoCommand(transmit, selectFile(NDEF_FILE_ID), 'SELECT NDEF file'))) return null;
  const nlen = await readFile(transmit, 0, 2);
  if (!nlen) return null;
  const len = nlen.readUInt16BE(0);
  if (len === 0) return null;
  if (len > NDEF_FILE_SIZE - 2) throw new ApduError(`NDEF length ${len} does not fit the file`, null);
  const message = await readFile(transmit, 2, len);
  if (!message) return null;
  const uri = ndefUri(message);
  return uri === null ? null : parseSunUri(uri);
}
