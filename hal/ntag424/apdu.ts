// ISO 7816-4 APDUs of an NTAG 424 DNA and its native commands wrapped in ISO framing (CLA 90).
// Everything here is pure over a `transmit`, so the real driver, the simulated card and tests share it.

/** Sends one command APDU and resolves with the response data followed by SW1 SW2. */
export type Transmit = (apdu: Buffer) => Promise<Buffer>;

export const NDEF_AID = Buffer.from('D2760000850101', 'hex');
export const NDEF_FILE_ID = Buffer.from('E104', 'hex');
export const NDEF_FILE_NO = 0x02;

/** Status words (ISO 7816-4, and the native 91xx family). */
export const SW = {
  OK: 0x9000,
  WRONG_LENGTH: 0x6700,
  SECURITY: 0x6982,
  WRONG_PARAMS: 0x6a86,
  NOT_FOUND: 0x6a82,
  WRONG_P1P2: 0x6b00,
  INS_UNKNOWN: 0x6d00,
  CLA_UNKNOWN: 0x6e00,
  N_OK: 0x9100,
  N_MORE: 0x91af,
  N_LENGTH: 0x917e,
  N_PARAMETER: 0x919e,
  N_NO_SUCH_KEY: 0x9140,
  N_PERMISSION: 0x919d,
  N_AUTH: 0x91ae,
  N_INTEGRITY: 0x911e,
  N_BOUNDARY: 0x91be,
  N_COMMAND: 0x911c,
  N_NOT_FOUND: 0x91f0,
} as const;

export class ApduError extends Error {
  constructor(
    message: string,
    readonly sw: number | null,
  ) {
    super(message);
  }
}

export interface Answer {
  data: Buffer;
  sw: number;
}

/** Splits a response; a response without a status word is a broken transfer. */
export function answer(resp: Buffer, what: string): Answer {
  if (!Buffer.isBuffer(resp) || resp.length < 2)
    throw new ApduError(`${what}: no status word in the card's answer`, null);
  return { data: resp.subarray(0, resp.length - 2), sw: resp.readUInt16BE(resp.length - 2) };
}

export const hexSw = (sw: number): string => sw.toString(16).toUpperCase().padStart(4, '0');

const apdu = (cla: number, ins: number, p1: number, p2: number, data?: Buffer, le?: number): Buffer =>
  Buffer.concat([
    Buffer.from([cla, ins, p1, p2]),
    data && data.length > 0 ? Buffer.concat([Buffer.from([data.length]), data]) : Buffer.alloc(0),
    le === undefined ? Buffer.alloc(0) : Buffer.from([le & 0xff]),
  ]);

/** ISOSelectFile by DF name (the NDEF application), no FCI wanted. */
export const selectAid = (aid: Buffer = NDEF_AID): Buffer => apdu(0x00, 0xa4, 0x04, 0x0c, aid, 0);
/** ISOSelectFile of an EF under the current DF by its file identifier. */
export const selectFile = (fid: Buffer): Buffer => apdu(0x00, 0xa4, 0x00, 0x0c, fid, 0);
/** ISOReadBinary of the selected file; `le` 0 means up to 256 bytes. */
export const readBinary = (offset: number, le: number): Buffer =>
  apdu(0x00, 0xb0, (offset >> 8) & 0x7f, offset & 0xff, undefined, le);
/** A native command in ISO framing: 90 cmd 00 00 [Lc data] 00. */
export const native = (cmd: number, data?: Buffer): Buffer => apdu(0x90, cmd, 0x00, 0x00, data, 0);

/** Largest ISOReadBinary asked for at once (a short APDU's response fits the ACR122U's buffer). */
const READ_CHUNK = 0xf0;

/**
 * Reads `length` bytes of the selected file from `offset`, in chunks; a card that answers with
 * fewer bytes than asked (a short read) is asked again for the rest.
 * Resolves null when the card refuses the read (not found / no access) or answers OK without data;
 * throws on a broken transfer.
 */
export async function readFile(transmit: Transmit, offset: number, length: number): Promise<Buffer | null> {
  const parts: Buffer[] = [];
  let done = 0;
  while (done < length) {
    const want = Math.min(READ_CHUNK, length - done);
    const a = answer(await transmit(readBinary(offset + done, want)), 'READ BINARY');
    if (a.sw !== SW.OK) {
      if (refusal(a.sw)) return null;
      throw new ApduError(`READ BINARY: status ${hexSw(a.sw)}`, a.sw);
    }
    // A card that says OK and gives nothing has nothing to give (not a broken transfer): no file to read.
    if (a.data.length === 0) return null;
    parts.push(a.data.subarray(0, want));
    done += Math.min(a.data.length, want);
  }
  return Buffer.concat(parts);
}

/**
 * A card that says it has no such application, file or access (or does not speak ISO 7816-4 at
 * all, as a MIFARE Classic behind an ACR122U) simply carries no SUN; anything else is a read error.
 */
export function refusal(sw: number): boolean {
  const hi = sw >> 8;
  return (
    sw === SW.SECURITY ||
    hi === 0x6a ||
    sw === SW.INS_UNKNOWN ||
    sw === SW.CLA_UNKNOWN ||
    hi === 0x63 ||
    sw === 0x6985 ||
    sw === SW.WRONG_LENGTH ||
    sw === SW.WRONG_P1P2
  );
}

/** Sends an ISO command; true on 9000, false on a refusal, throws on a broken transfer. */
export async function isoCommand(transmit: Transmit, cmd: Buffer, what: string): Promise<boolean> {
  const a = answer(await transmit(cmd), what);
  if (a.sw === SW.OK) return true;
  if (refusal(a.sw)) return false;
  throw new ApduError(`${what}: status ${hexSw(a.sw)}`, a.sw);
}
