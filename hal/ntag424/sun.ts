// Contract 1.1 § Genuine cards: the SUN check with the card's SDM file-read key K, which only the
// ledger holds (and the simulated card). Terminals never call this.
import { aesCmac, sameBytes, truncateMac } from './aes.ts';

const SV2_PREFIX = Buffer.from('3CC300010080', 'hex');
export const MAX_SDM_COUNTER = 0xffffff;

function uidBytes(uid: string | Buffer): Buffer {
  const b = typeof uid === 'string' ? Buffer.from(uid, 'hex') : uid;
  if (b.length !== 7) throw new RangeError('a SUN card UID is 7 bytes');
  return b;
}

/** SV2 = 3CC300010080 ‖ UID ‖ ctr (3 bytes, least significant first); K_ses = AES-CMAC(K, SV2). */
export function sdmMacSessionKey(k: Buffer, uid: string | Buffer, ctr: number): Buffer {
  if (!Number.isInteger(ctr) || ctr < 0 || ctr > MAX_SDM_COUNTER) throw new RangeError('SDM counter out of range');
  const c = Buffer.from([ctr & 0xff, (ctr >> 8) & 0xff, (ctr >> 16) & 0xff]);
  return aesCmac(k, Buffer.concat([SV2_PREFIX, uidBytes(uid), c]));
}

/** The SUN's `cmac`: the truncated AES-CMAC(K_ses, empty message), 16 upper-case hex. */
export function sunCmac(k: Buffer, uid: string | Buffer, ctr: number): string {
  return truncateMac(aesCmac(sdmMacSessionKey(k, uid, ctr), Buffer.alloc(0)))
    .toString('hex')
    .toUpperCase();
}

/** Whether `cmac` is the one card K made for this uid and counter (constant-time compare). */
export function sunCmacValid(k: Buffer, uid: string, ctr: number, cmac: string): boolean {
  if (!/^[0-9A-F]{16}$/.test(cmac) || !/^[0-9A-F]{14}$/.test(uid)) return false;
  return sameBytes(Buffer.from(sunCmac(k, uid, ctr), 'hex'), Buffer.from(cmac, 'hex'));
}
