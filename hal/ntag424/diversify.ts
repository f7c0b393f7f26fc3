// Per-card keys diversified from one master key, NXP AN10922 style: K = AES-CMAC(master, 0x01 ‖ UID ‖
// key number ‖ system id). AES-CMAC's own padding and subkey choice are AN10922's for inputs up to
// 32 bytes, which the bound on the system id keeps. The master key lives only at the issuing desk and
// the ledger; a terminal never holds one.
import { aesCmac } from './aes.ts';

/** NTAG 424 DNA application keys 0 … 4. */
export const KEY_NUMBERS = [0, 1, 2, 3, 4] as const;
export type KeyNumber = (typeof KEY_NUMBERS)[number];
/** Key 0: application master key (file settings, keys). Key 2: SDM file-read key (the SUN's MAC). */
export const APP_MASTER_KEY: KeyNumber = 0;
export const SDM_FILE_READ_KEY: KeyNumber = 2;
export const MAX_SYSTEM_ID_BYTES = 23;

export function diversifyKey(master: Buffer, uid: string | Buffer, keyNo: KeyNumber, systemId: string): Buffer {
  if (master.length !== 16) throw new RangeError('the master key is 16 bytes (32 hex)');
  const u = typeof uid === 'string' ? Buffer.from(uid, 'hex') : uid;
  if (u.length !== 7) throw new RangeError('a SUN card UID is 7 bytes');
  const sys = Buffer.from(systemId, 'utf8');
  if (sys.length === 0 || sys.length > MAX_SYSTEM_ID_BYTES)
    throw new RangeError(`the system id is 1 to ${MAX_SYSTEM_ID_BYTES} bytes`);
  return aesCmac(master, Buffer.concat([Buffer.from([0x01]), u, Buffer.from([keyNo]), sys]));
}

/** All five diversified application keys of one card. */
export const cardKeys = (master: Buffer, uid: string | Buffer, systemId: string): Buffer[] =>
  KEY_NUMBERS.map((n) => diversifyKey(master, uid, n, systemId));

/** Parses a 32-hex master key; throws a readable error otherwise. */
export function parseMasterKey(hex: string): Buffer {
  if (!/^[0-9a-fA-F]{32}$/.test(hex)) throw new RangeError('the master key must be 32 hex digits (AES-128)');
  return Buffer.from(hex, 'hex');
}
