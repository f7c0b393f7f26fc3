// The APDUs the driver sends: PC/SC GET DATA for the UID, and the ACR122U's own pseudo-APDUs
// (class FF, answered by the reader itself, not the card) for its beeper and LEDs.
import { CARD_UID } from '../../../contract/index.ts';

/** PC/SC GET DATA: the UID of the card in the field, then SW 90 00. */
export const GET_UID = Buffer.from([0xff, 0xca, 0x00, 0x00, 0x00]);

/** Upper-case hex UID from a GET DATA response; throws for a bad status or a UID of the wrong size. */
export function parseUidResponse(res: Buffer): string {
  if (res.length < 2 || res.readUInt16BE(res.length - 2) !== 0x9000) {
    throw new Error(`UID read refused (status ${res.subarray(-2).toString('hex') || 'none'})`);
  }
  const uid = res.subarray(0, -2).toString('hex').toUpperCase();
  if (!CARD_UID.test(uid)) throw new Error(`UID of ${uid.length / 2} bytes (4, 7 or 10 expected)`);
  return uid;
}

/**
 * Whether a card may carry a SUN, from what nfc-pcsc knows of it: a PC/SC part 3 storage card
 * (MIFARE Classic/Ultralight, NTAG 21x: nfc-pcsc's TAG_ISO_14443_3, ATR byte 5 4F, the start of
 * the PC/SC RID) speaks no ISO 7816-4 and is read for its UID alone; an ISO 14443-4 card (an NTAG
 * 424 DNA, a DESFire) or one it knows nothing of is asked for its NDEF file too. Saves a UID
 * card's tap its SELECT.
 */
export function mayCarrySun(card: { atr?: Buffer; standard?: string }): boolean {
  if (card.standard === 'TAG_ISO_14443_3') return false;
  return !(card.atr && card.atr.length > 5 && card.atr[5] === 0x4f);
}

/** Largest answer a card's own APDU may bring: a short APDU's 256 bytes and SW1 SW2. */
export const CARD_RESPONSE_MAX = 258;

/** ACR122U: "Set Buzzer Output Enable for Card Detection", off. */
export const BEEPER_OFF = Buffer.from([0xff, 0x00, 0x52, 0x00, 0x00]);

/** The ACR122U answers its pseudo-APDUs with 90 xx (xx: LED state for the LED command). */
export function checkReaderAnswer(res: Buffer): void {
  if (res[0] !== 0x90) throw new Error(`reader answered ${res.toString('hex') || 'nothing'}`);
}

/** What is used of a reader to send a pseudo-APDU; nfc-pcsc's Reader has it. */
interface ControlTarget {
  connect(mode: 'CONNECT_MODE_DIRECT'): Promise<unknown>;
  control(data: Buffer, max: number): Promise<Buffer>;
  disconnect(): Promise<unknown>;
}

/** Wraps each reader call, e.g. in a timeout; the identity by default. */
export type Guard = <T>(p: Promise<T>, what: string) => Promise<T>;

/** Turns a synchronous throw (nfc-pcsc does that when not connected) into a rejection. */
export async function call<T>(fn: () => Promise<T>): Promise<T> {
  return fn();
}

/**
 * Sends a pseudo-APDU without a card: a direct connection and SCardControl (CCID escape, which
 * libccid allows only with ifdDriverOptions 0x0001, docs/hardware.md). Throws on any failure or a
 * refused answer; always drops the connection again.
 */
export async function sendEscape(r: ControlTarget, command: Buffer, what: string, guard: Guard): Promise<void> {
  try {
    await guard(
      call(() => r.connect('CONNECT_MODE_DIRECT')),
      what,
    );
    checkReaderAnswer(
      await guard(
        call(() => r.control(command, 2)),
        what,
      ),
    );
  } finally {
    await call(() => r.disconnect()).catch(() => undefined);
  }
}
