// The NDEF file of a `sun` card: one URI record whose query mirrors `uid`, `ctr` and `cmac`
// (contract 1.1 § Genuine cards). Builds the personalisation template with its mirror offsets, and
// parses what a read returned.
import type { SunRead } from '../types.ts';

/** NFC Forum URI identifier codes this module writes or reads (the rest are read as no prefix). */
const URI_PREFIXES: Record<number, string> = {
  0x00: '',
  0x01: 'http://www.',
  0x02: 'https://www.',
  0x03: 'http://',
  0x04: 'https://',
};
/** The NDEF file (E104) of an NTAG 424 DNA: 256 bytes, the first two the NDEF message length. */
export const NDEF_FILE_SIZE = 256;

export interface SunTemplate {
  /** The whole file: NLEN ‖ the NDEF message with zeros where the card mirrors. */
  file: Buffer;
  /** Offsets in the file of the mirrored ASCII: uid (14), ctr (6) and cmac (16). */
  uidOffset: number;
  ctrOffset: number;
  macOffset: number;
}

/**
 * `baseUrl`: where a phone that reads the card lands (e.g. the club's portal), `https://…` without
 * a query. The query is appended in the contract's order.
 */
export function sunTemplate(baseUrl: string): SunTemplate {
  const m = /^(https?:\/\/)(.+)$/.exec(baseUrl);
  if (!m || /[?#\s]/.test(m[2]))
    throw new RangeError('the card URL must be http(s)://host/path without query, fragment or spaces');
  const code = m[1] === 'https://' ? 0x04 : 0x03;
  const uidQ = '?uid=',
    ctrQ = '&ctr=',
    macQ = '&cmac=';
  const rest = `${m[2]}${uidQ}${'0'.repeat(14)}${ctrQ}${'0'.repeat(6)}${macQ}${'0'.repeat(16)}`;
  const payload = Buffer.concat([Buffer.from([code]), Buffer.from(rest, 'ascii')]);
  if (payload.length > 255 || payload.length + 6 > NDEF_FILE_SIZE)
    throw new RangeError('the card URL is too long for the NDEF file');
  // Short record: MB ME SR, TNF well-known; type 'U'.
  const record = Buffer.concat([Buffer.from([0xd1, 0x01, payload.length, 0x55]), payload]);
  const file = Buffer.concat([Buffer.from([record.length >> 8, record.length & 0xff]), record]);
  const text = file.toString('latin1');
  const uidOffset = text.indexOf(uidQ) + uidQ.length;
  const ctrOffset = text.indexOf(ctrQ, uidOffset) + ctrQ.length;
  const macOffset = text.indexOf(macQ, ctrOffset) + macQ.length;
  return { file, uidOffset, ctrOffset, macOffset };
}

/** The URI of the first URI record in an NDEF message (without NLEN); null when there is none. */
export function ndefUri(message: Buffer): string | null {
  let i = 0;
  while (i + 3 <= message.length) {
    const hdr = message[i];
    const sr = (hdr & 0x10) !== 0,
      il = (hdr & 0x08) !== 0;
    const typeLen = message[i + 1];
    let p = i + 2;
    let payloadLen: number;
    if (sr) payloadLen = message[p++];
    else {
      if (p + 4 > message.length) return null;
      payloadLen = message.readUInt32BE(p);
      p += 4;
    }
    const idLen = il ? message[p++] : 0;
    const type = message.subarray(p, p + typeLen);
    const start = p + typeLen + idLen;
    const end = start + payloadLen;
    if (end > message.length) return null;
    if ((hdr & 0x07) === 0x01 && type.length === 1 && type[0] === 0x55 && payloadLen >= 1) {
      return (URI_PREFIXES[message[start]] ?? '') + message.subarray(start + 1, end).toString('latin1');
    }
    if (hdr & 0x40) return null; // ME: the last record
    i = end;
  }
  return null;
}

/** The SUN a URI mirrors, or null when it has none in the contract's form (a UID card, a clone). */
export function parseSunUri(uri: string): SunRead | null {
  const q = uri.indexOf('?');
  if (q < 0) return null;
  const params = new URLSearchParams(uri.slice(q + 1));
  const uid = params.get('uid'),
    ctr = params.get('ctr'),
    cmac = params.get('cmac');
  if (
    !uid ||
    !ctr ||
    !cmac ||
    !/^[0-9A-Fa-f]{14}$/.test(uid) ||
    !/^[0-9A-Fa-f]{6}$/.test(ctr) ||
    !/^[0-9A-Fa-f]{16}$/.test(cmac)
  )
    return null;
  return { uid: uid.toUpperCase(), ctr: parseInt(ctr, 16), cmac: cmac.toUpperCase() };
}
