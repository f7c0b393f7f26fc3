// AES-128 primitives for NTAG 424 DNA over node:crypto (no hand-written cipher): raw CBC without
// padding, AES-CMAC (RFC 4493 / NIST SP 800-38B) and the card's MAC truncation.
import { createCipheriv, createDecipheriv, timingSafeEqual } from 'node:crypto';

export const BLOCK = 16;
const ZERO_IV = Buffer.alloc(BLOCK);

function check(key: Buffer, iv: Buffer, data: Buffer): void {
  if (key.length !== 16) throw new RangeError('AES-128 key must be 16 bytes');
  if (iv.length !== BLOCK) throw new RangeError('IV must be 16 bytes');
  if (data.length % BLOCK !== 0) throw new RangeError('data must be whole 16-byte blocks');
}

/** AES-128-CBC encryption of whole blocks, no padding (the card pads itself, ISO 9797-1 method 2). */
export function cbcEncrypt(key: Buffer, iv: Buffer, data: Buffer): Buffer {
  check(key, iv, data);
  const c = createCipheriv('aes-128-cbc', key, iv).setAutoPadding(false);
  return Buffer.concat([c.update(data), c.final()]);
}

export function cbcDecrypt(key: Buffer, iv: Buffer, data: Buffer): Buffer {
  check(key, iv, data);
  const d = createDecipheriv('aes-128-cbc', key, iv).setAutoPadding(false);
  return Buffer.concat([d.update(data), d.final()]);
}

/** One block through the cipher (CBC with a zero IV over one block is ECB). */
export const encryptBlock = (key: Buffer, block: Buffer): Buffer => cbcEncrypt(key, ZERO_IV, block);

/** Doubling in GF(2^128) for the CMAC subkeys. */
function dbl(b: Buffer): Buffer {
  const out = Buffer.alloc(BLOCK);
  for (let i = 0; i < BLOCK; i++) out[i] = ((b[i] << 1) | (i + 1 < BLOCK ? b[i + 1] >> 7 : 0)) & 0xff;
  if (b[0] & 0x80) out[BLOCK - 1] ^= 0x87;
  return out;
}

/** ISO 9797-1 padding method 2: 0x80 then zeros up to a whole block (always at least one byte). */
export function pad80(data: Buffer): Buffer {
  const len = (Math.floor(data.length / BLOCK) + 1) * BLOCK;
  const out = Buffer.alloc(len);
  data.copy(out);
  out[data.length] = 0x80;
  return out;
}

/** Removes ISO 9797-1 method 2 padding; null when there is none (a wrong key or tampered data). */
export function unpad80(data: Buffer): Buffer | null {
  let i = data.length - 1;
  while (i >= 0 && data[i] === 0) i--;
  if (i < 0 || data[i] !== 0x80 || data.length - i > BLOCK) return null;
  return data.subarray(0, i);
}

/** AES-CMAC, 16 bytes. */
export function aesCmac(key: Buffer, message: Buffer): Buffer {
  const l = encryptBlock(key, ZERO_IV);
  const k1 = dbl(l);
  const complete = message.length > 0 && message.length % BLOCK === 0;
  const m = complete ? Buffer.from(message) : pad80(message);
  const last = m.subarray(m.length - BLOCK);
  const sub = complete ? k1 : dbl(k1);
  for (let i = 0; i < BLOCK; i++) last[i] ^= sub[i];
  const enc = cbcEncrypt(key, ZERO_IV, m);
  return enc.subarray(enc.length - BLOCK);
}

/** The card's 8-byte MAC: bytes 1, 3, 5 … 15 (counting from 0) of a 16-byte CMAC. */
export function truncateMac(mac: Buffer): Buffer {
  const out = Buffer.alloc(8);
  for (let i = 0; i < 8; i++) out[i] = mac[2 * i + 1];
  return out;
}

/** Rotates left by one byte (RndA', RndB' of the authentication). */
export const rotl1 = (b: Buffer): Buffer => Buffer.concat([b.subarray(1), b.subarray(0, 1)]);

/** Byte-for-byte equality in constant time for equal lengths. */
export const sameBytes = (a: Buffer, b: Buffer): boolean => a.length === b.length && timingSafeEqual(a, b);
