// A simulated NTAG 424 DNA as an APDU responder `(apdu) => response`, with power on/off and an
// ATR, so hal/sim, tests and a vpcd virtual card can all use it. It answers what klubkort sends
// (datasheet NT4H2421Gx): ISOSelectFile, ISOReadBinary with SDM mirroring (plain UID and counter,
// the SUN's MAC, the counter raised once per read after a selection or power-on), GetVersion,
// AuthenticateEV2First, GetFileSettings, ChangeFileSettings, WriteData to a plain file, and
// ChangeKey, with EV2 secure messaging (command counter, MACs, Full-mode encryption).
// Anything else answers 911C / 6D00, as the chip does for a command it does not know.
import { randomBytes } from 'node:crypto';
import { aesCmac, cbcDecrypt, cbcEncrypt, rotl1, sameBytes, truncateMac } from './aes.ts';
import { NDEF_AID, SW } from './apdu.ts';
import {
  decodeSettings,
  encodeGetFileSettings,
  FREE,
  NEVER,
  sdmFits,
  SettingsError,
  type FileSettings,
} from './file-settings.ts';
import { crc32nk, Ev2Session } from './secure-messaging.ts';
import { sdmMacSessionKey } from './sun.ts';
import { must } from '../../lib/must.ts';

/** ATR a PC/SC reader builds for an ISO 14443-4 card with no historical bytes of its own. */
export const NTAG424_ATR = Buffer.from('3B8180018080', 'hex');
/** GetVersion's hardware and software parts of an NTAG 424 DNA (vendor NXP, type 04, subtype 02). */
export const NTAG424_VERSION = { hw: Buffer.from('04040230001105', 'hex'), sw: Buffer.from('04040201001105', 'hex') };

export interface Ntag424Options {
  /** 7-byte UID, 14 hex. */
  uid: string;
  /** Five application keys; factory default: all zero. */
  keys?: Buffer[];
  /** Start value of the SDM read counter. */
  sdmCounter?: number;
  /** GetVersion's first two parts, to emulate another chip of the family. */
  version?: { hw: Buffer; sw: Buffer };
  random?: (n: number) => Buffer;
}

/** The card's files: capability container, NDEF file, proprietary file (factory settings). */
interface CardFile {
  fid: number;
  data: Buffer;
  settings: FileSettings;
}

const reply = (data: Buffer | null, sw: number): Buffer => {
  const t = Buffer.alloc(2);
  t.writeUInt16BE(sw);
  return data ? Buffer.concat([data, t]) : t;
};
const u24 = (b: Buffer, i: number): number => b[i] | (b[i + 1] << 8) | (b[i + 2] << 16);
const hex = (b: Buffer) => b.toString('hex').toUpperCase();

export class Ntag424Card {
  readonly uid: Buffer;
  #keys: Buffer[];
  #keyVersions = [0, 0, 0, 0, 0];
  #files = new Map<number, CardFile>();
  #sdmCounter: number;
  #version: { hw: Buffer; sw: Buffer };
  #random: (n: number) => Buffer;

  #powered = false;
  #appSelected = false;
  #file: CardFile | null = null;
  /** The NDEF file as this selection reads it: mirrored once, at its first read. */
  #view: Buffer | null = null;
  #auth: Ev2Session | null = null;
  #pending: { keyNo: number; rndB: Buffer } | null = null;
  #versionFrame = 0;

  constructor(o: Ntag424Options) {
    if (!/^[0-9A-Fa-f]{14}$/.test(o.uid)) throw new RangeError('an NTAG 424 DNA UID is 7 bytes (14 hex)');
    this.uid = Buffer.from(o.uid, 'hex');
    this.#keys = (o.keys ?? Array.from({ length: 5 }, () => Buffer.alloc(16))).map((k) => Buffer.from(k));
    if (this.#keys.length !== 5 || this.#keys.some((k) => k.length !== 16)) throw new RangeError('five 16-byte keys');
    this.#sdmCounter = o.sdmCounter ?? 0;
    this.#version = o.version ?? NTAG424_VERSION;
    this.#random = o.random ?? randomBytes;
    const cc = Buffer.alloc(32);
    Buffer.from('001720010000ff0406e104010000000506e10500808283', 'hex').copy(cc);
    const plain = (
      read: number,
      write: number,
      readWrite: number,
      change: number,
      commMode: 0 | 3 = 0,
    ): FileSettings => ({ commMode, access: { read, write, readWrite, change }, sdm: null });
    this.#files.set(1, { fid: 0xe103, data: cc, settings: plain(FREE, 0, 0, 0) });
    this.#files.set(2, { fid: 0xe104, data: Buffer.alloc(256), settings: plain(FREE, FREE, FREE, 0) });
    this.#files.set(3, { fid: 0xe105, data: Buffer.alloc(128), settings: plain(2, 3, 3, 0, 3) });
  }

  get sdmCounter(): number {
    return this.#sdmCounter;
  }
  get powered(): boolean {
    return this.#powered;
  }
  /** For tests and the bench: the card's current keys (a real chip never tells). */
  keys(): Buffer[] {
    return this.#keys.map((k) => Buffer.from(k));
  }
  fileSettings(fileNo: number): FileSettings | null {
    return this.#files.get(fileNo)?.settings ?? null;
  }

  /** The card enters a field: a fresh activation, nothing selected or authenticated. */
  powerOn(): Buffer {
    this.#powered = true;
    this.#reset();
    this.#appSelected = false;
    this.#file = null;
    return Buffer.from(NTAG424_ATR);
  }

  powerOff(): void {
    this.#powered = false;
    this.#reset();
  }

  /** Answers one command APDU; never throws (a broken APDU gets a status word). */
  transmit(apdu: Buffer): Buffer {
    if (!this.#powered) throw new Error('card is not in the field');
    if (apdu.length < 4) return reply(null, SW.WRONG_LENGTH);
    const [cla, ins, p1, p2] = [apdu[0], apdu[1], apdu[2], apdu[3]];
    const body = parseBody(apdu);
    if (!body) return reply(null, cla === 0x90 ? SW.N_LENGTH : SW.WRONG_LENGTH);
    if (cla === 0x90) return this.#native(ins, p1, p2, body.data);
    if (cla !== 0x00) return reply(null, SW.CLA_UNKNOWN);
    switch (ins) {
      case 0xa4:
        return this.#select(p1, body.data);
      case 0xb0:
        return this.#readBinary(((p1 & 0x7f) << 8) | p2, body.le ?? 256);
      default:
        return reply(null, SW.INS_UNKNOWN);
    }
  }

  #reset(): void {
    this.#auth = null;
    this.#pending = null;
    this.#view = null;
    this.#versionFrame = 0;
  }

  // --- ISO 7816-4 ---

  #select(p1: number, data: Buffer): Buffer {
    if (p1 === 0x04) {
      if (!sameBytes(data, NDEF_AID)) return reply(null, SW.NOT_FOUND);
      this.#reset();
      this.#appSelected = true;
      this.#file = null;
      return reply(null, SW.OK);
    }
    if (p1 === 0x00 && data.length === 2 && this.#appSelected) {
      const fid = data.readUInt16BE(0);
      const f = [...this.#files.values()].find((x) => x.fid === fid);
      if (!f) return reply(null, SW.NOT_FOUND);
      this.#file = f;
      this.#view = null;
      return reply(null, SW.OK);
    }
    return reply(null, SW.NOT_FOUND);
  }

  #readBinary(offset: number, le: number): Buffer {
    const f = this.#file;
    if (!f) return reply(null, 0x6986);
    const a = f.settings.access;
    const free = a.read === FREE || a.readWrite === FREE;
    if (!free || f.settings.commMode !== 0) return reply(null, SW.SECURITY);
    if (offset >= f.data.length) return reply(null, SW.WRONG_P1P2);
    const view = this.#mirrored(f);
    return reply(view.subarray(offset, Math.min(view.length, offset + le)), SW.OK);
  }

  /** The file as this read sees it; SDM mirrors uid, counter and MAC, raising the counter once. */
  #mirrored(f: CardFile): Buffer {
    const d = f.settings.sdm;
    if (!d) return f.data;
    if (this.#view) return this.#view;
    if (this.#sdmCounter < 0xffffff) this.#sdmCounter++;
    const v = Buffer.from(f.data);
    if (d.metaRead === FREE && d.uidMirror) v.write(hex(this.uid), d.uidOffset, 'ascii');
    if (d.metaRead === FREE && d.ctrMirror)
      v.write(this.#sdmCounter.toString(16).toUpperCase().padStart(6, '0'), d.ctrOffset, 'ascii');
    if (d.fileRead !== NEVER) {
      const ks = sdmMacSessionKey(this.#keys[d.fileRead], this.uid, this.#sdmCounter);
      v.write(hex(truncateMac(aesCmac(ks, v.subarray(d.macInputOffset, d.macOffset)))), d.macOffset, 'ascii');
    }
    this.#view = v;
    return v;
  }

  // --- native commands ---

  #native(cmd: number, p1: number, p2: number, data: Buffer): Buffer {
    if (p1 !== 0 || p2 !== 0) return this.#fail(SW.N_PARAMETER);
    if (cmd !== 0xaf) this.#versionFrame = 0;
    if (!this.#appSelected && cmd !== 0x60) return this.#fail(SW.N_PERMISSION);
    switch (cmd) {
      case 0x60:
        return this.#getVersion(data);
      case 0xaf:
        return this.#additionalFrame(data);
      case 0x71:
        return this.#authFirst(data);
      case 0xf5:
        return this.#getFileSettings(data);
      case 0x5f:
        return this.#changeFileSettings(data);
      case 0x8d:
        return this.#writeData(data);
      case 0xc4:
        return this.#changeKey(data);
      default:
        return this.#fail(SW.N_COMMAND);
    }
  }

  /** An error ends the authentication, as the chip does. */
  #fail(sw: number): Buffer {
    this.#auth = null;
    this.#pending = null;
    return reply(null, sw);
  }

  #getVersion(data: Buffer): Buffer {
    if (data.length !== 0) return this.#fail(SW.N_LENGTH);
    this.#countPlain();
    this.#versionFrame = 1;
    return reply(this.#version.hw, SW.N_MORE);
  }

  #additionalFrame(data: Buffer): Buffer {
    if (this.#pending) return this.#authSecond(data);
    if (this.#versionFrame === 1) {
      this.#versionFrame = 2;
      return reply(this.#version.sw, SW.N_MORE);
    }
    if (this.#versionFrame === 2) {
      this.#versionFrame = 0;
      return reply(Buffer.concat([this.uid, Buffer.from('BA7C4E10AB', 'hex'), Buffer.from([0x12, 0x25])]), SW.N_OK);
    }
    return this.#fail(SW.N_COMMAND);
  }

  #authFirst(data: Buffer): Buffer {
    if (data.length < 2) return this.#fail(SW.N_LENGTH);
    const keyNo = data[0];
    if (keyNo > 4) return this.#fail(SW.N_NO_SUCH_KEY);
    this.#auth = null;
    const rndB = this.#random(16);
    this.#pending = { keyNo, rndB };
    return reply(cbcEncrypt(this.#keys[keyNo], Buffer.alloc(16), rndB), SW.N_MORE);
  }

  #authSecond(data: Buffer): Buffer {
    const p = must(this.#pending, 'the first part of the authentication');
    this.#pending = null;
    if (data.length !== 32) return this.#fail(SW.N_LENGTH);
    const key = this.#keys[p.keyNo];
    const plain = cbcDecrypt(key, Buffer.alloc(16), data);
    const rndA = plain.subarray(0, 16);
    if (!sameBytes(plain.subarray(16), rotl1(p.rndB))) return this.#fail(SW.N_AUTH);
    const ti = this.#random(4);
    this.#auth = Ev2Session.derive(key, rndA, p.rndB, ti, p.keyNo);
    const out = Buffer.concat([ti, rotl1(rndA), Buffer.alloc(12)]);
    return reply(cbcEncrypt(key, Buffer.alloc(16), out), SW.N_OK);
  }

  /** A plain command in an authenticated session still counts. */
  #countPlain(): void {
    if (this.#auth) this.#auth.cmdCtr++;
  }

  /** Checks a MAC'd command; returns the data before the MAC, or null (integrity error). */
  #checkMac(cmd: number, header: Buffer, rest: Buffer): Buffer | null {
    const s = this.#auth;
    if (!s || rest.length < 8) return null;
    const data = rest.subarray(0, rest.length - 8);
    return sameBytes(s.commandMac(cmd, header, data), rest.subarray(rest.length - 8)) ? data : null;
  }

  /** Answers a secure command: response data (encrypted when `full`) and its MAC; counts it. */
  #secureOk(plain: Buffer, full: boolean): Buffer {
    const s = must(this.#auth, 'an authenticated session');
    const data = full && plain.length > 0 ? s.encryptResponse(plain) : plain;
    const mac = s.responseMac(0x00, data);
    s.cmdCtr++;
    return reply(Buffer.concat([data, mac]), SW.N_OK);
  }

  #getFileSettings(data: Buffer): Buffer {
    if (data.length < 1) return this.#fail(SW.N_LENGTH);
    const f = this.#files.get(data[0]);
    if (!this.#auth) {
      if (data.length !== 1) return this.#fail(SW.N_LENGTH);
      return f ? reply(encodeGetFileSettings(f.settings, f.data.length), SW.N_OK) : this.#fail(SW.N_NOT_FOUND);
    }
    if (!this.#checkMac(0xf5, data.subarray(0, 1), data.subarray(1))) return this.#fail(SW.N_INTEGRITY);
    if (!f) return this.#fail(SW.N_NOT_FOUND);
    return this.#secureOk(encodeGetFileSettings(f.settings, f.data.length), false);
  }

  /** Decrypts a Full-mode command after its MAC; null: integrity error. */
  #full(cmd: number, header: Buffer, rest: Buffer): Buffer | null {
    const enc = this.#checkMac(cmd, header, rest);
    return enc ? must(this.#auth, 'an authenticated session').decryptCommand(enc) : null;
  }

  #changeFileSettings(data: Buffer): Buffer {
    if (data.length < 1) return this.#fail(SW.N_LENGTH);
    const f = this.#files.get(data[0]);
    if (!f) return this.#fail(SW.N_NOT_FOUND);
    const change = f.settings.access.change;
    if (change === NEVER) return this.#fail(SW.N_PERMISSION);
    if (!this.#auth || this.#auth.keyNo !== change) return this.#fail(SW.N_AUTH);
    const plain = this.#full(0x5f, data.subarray(0, 1), data.subarray(1));
    if (!plain) return this.#fail(SW.N_INTEGRITY);
    let s: FileSettings;
    try {
      s = decodeSettings(plain);
    } catch (e) {
      if (e instanceof SettingsError) return this.#fail(SW.N_PARAMETER);
      throw e;
    }
    // SDM is for the NDEF file only, and its mirrors must lie inside it.
    if (s.sdm && (f.fid !== 0xe104 || !sdmFits(s.sdm, f.data.length))) return this.#fail(SW.N_PARAMETER);
    f.settings = s;
    this.#view = null;
    return this.#secureOk(Buffer.alloc(0), false);
  }

  #writeData(data: Buffer): Buffer {
    if (data.length < 8) return this.#fail(SW.N_LENGTH);
    const f = this.#files.get(data[0]);
    if (!f) return this.#fail(SW.N_NOT_FOUND);
    const offset = u24(data, 1),
      length = u24(data, 4);
    const a = f.settings.access;
    const free = a.write === FREE || a.readWrite === FREE;
    const keyed = this.#auth && (this.#auth.keyNo === a.write || this.#auth.keyNo === a.readWrite);
    if (!free && !keyed) return this.#fail(a.write === NEVER && a.readWrite === NEVER ? SW.N_PERMISSION : SW.N_AUTH);
    // Only plain files are written by klubkort; a MAC'd or encrypted write is not emulated.
    if (f.settings.commMode !== 0) return this.#fail(SW.N_COMMAND);
    const payload = data.subarray(7);
    if (payload.length !== length) return this.#fail(SW.N_LENGTH);
    if (length === 0 || offset + length > f.data.length) return this.#fail(SW.N_BOUNDARY);
    payload.copy(f.data, offset);
    this.#view = null;
    this.#countPlain();
    return reply(null, SW.N_OK);
  }

  #changeKey(data: Buffer): Buffer {
    if (data.length < 1) return this.#fail(SW.N_LENGTH);
    const keyNo = data[0];
    if (keyNo > 4) return this.#fail(SW.N_NO_SUCH_KEY);
    if (this.#auth?.keyNo !== 0) return this.#fail(SW.N_AUTH);
    const plain = this.#full(0xc4, data.subarray(0, 1), data.subarray(1));
    if (!plain) return this.#fail(SW.N_INTEGRITY);
    if (keyNo === this.#auth.keyNo) {
      if (plain.length !== 17) return this.#fail(SW.N_LENGTH);
      this.#keys[keyNo] = Buffer.from(plain.subarray(0, 16));
      this.#keyVersions[keyNo] = plain[16];
      // The session's key is gone: the answer carries no MAC and the session ends.
      this.#auth = null;
      return reply(null, SW.N_OK);
    }
    if (plain.length !== 21) return this.#fail(SW.N_LENGTH);
    const newKey = Buffer.alloc(16);
    for (let i = 0; i < 16; i++) newKey[i] = plain[i] ^ this.#keys[keyNo][i];
    if (!sameBytes(crc32nk(newKey), plain.subarray(17, 21))) return this.#fail(SW.N_INTEGRITY);
    this.#keys[keyNo] = newKey;
    this.#keyVersions[keyNo] = plain[16];
    return this.#secureOk(Buffer.alloc(0), false);
  }
}

/** Lc/data/Le of a short APDU; null when the lengths do not add up. */
function parseBody(apdu: Buffer): { data: Buffer; le: number | null } | null {
  if (apdu.length === 4) return { data: Buffer.alloc(0), le: null };
  if (apdu.length === 5) return { data: Buffer.alloc(0), le: apdu[4] === 0 ? 256 : apdu[4] };
  const lc = apdu[4];
  if (lc === 0) return null;
  if (apdu.length === 5 + lc) return { data: apdu.subarray(5, 5 + lc), le: null };
  if (apdu.length === 6 + lc) return { data: apdu.subarray(5, 5 + lc), le: apdu[5 + lc] === 0 ? 256 : apdu[5 + lc] };
  return null;
}
