// Personalisation of a blank NTAG 424 DNA for klubkort (the PCD side, over any `transmit`):
// authenticate with the factory key 0, write the NDEF URI template, switch on SDM with plain UID
// and counter mirrors and the MAC, change all five keys to the card's diversified ones (key 0
// last: it ends the session), and read a SUN back to prove it. Every check that can refuse the
// card runs before the first write.
import { randomBytes } from 'node:crypto';
import { cbcDecrypt, cbcEncrypt, rotl1, sameBytes } from './aes.ts';
import { answer, ApduError, hexSw, isoCommand, native, NDEF_FILE_NO, selectAid, SW, type Transmit } from './apdu.ts';
import { cardKeys, SDM_FILE_READ_KEY } from './diversify.ts';
import { decodeGetFileSettings, encodeSettings, FREE, NEVER, type FileSettings } from './file-settings.ts';
import { sunTemplate } from './ndef.ts';
import { readSun } from './read-sun.ts';
import { crc32nk, Ev2Session } from './secure-messaging.ts';
import { sunCmacValid } from './sun.ts';

export type RefusalReason = 'not_ntag424' | 'personalised' | 'wrong_key';

/** The card was refused before anything was written to it. */
export class PersonaliseRefused extends Error {
  constructor(
    message: string,
    readonly reason: RefusalReason,
  ) {
    super(message);
  }
}

export interface PersonaliseOptions {
  masterKey: Buffer;
  systemId: string;
  /** Where a phone reading the card lands, e.g. the parents' portal: https://host/path */
  baseUrl: string;
  /** Key 0 of a blank card (NXP ships 16 zero bytes). */
  factoryKey?: Buffer;
  random?: (n: number) => Buffer;
}

export interface Personalised {
  uid: string;
  ctr: number;
}

const KEY_VERSION = 0x01;
const u24 = (n: number): Buffer => Buffer.from([n & 0xff, (n >> 8) & 0xff, (n >> 16) & 0xff]);

/** GetVersion's three frames; null when the chip does not answer as an NTAG 424 DNA. */
async function ntag424Uid(t: Transmit): Promise<string | null> {
  const hw = answer(await t(native(0x60)), 'GetVersion');
  // Vendor NXP (04), type NTAG (04), subtype 424 DNA (02).
  if (hw.sw !== SW.N_MORE || hw.data.length !== 7 || hw.data[0] !== 0x04 || hw.data[1] !== 0x04 || hw.data[2] !== 0x02)
    return null;
  const sw = answer(await t(native(0xaf)), 'GetVersion');
  if (sw.sw !== SW.N_MORE) return null;
  const prod = answer(await t(native(0xaf)), 'GetVersion');
  if (prod.sw !== SW.N_OK || prod.data.length < 7) return null;
  return prod.data.subarray(0, 7).toString('hex').toUpperCase();
}

/** AuthenticateEV2First; null when the card says the key is wrong. */
async function authenticate(
  t: Transmit,
  keyNo: number,
  key: Buffer,
  random: (n: number) => Buffer,
): Promise<Ev2Session | null> {
  const first = answer(await t(native(0x71, Buffer.from([keyNo, 0x00]))), 'AuthenticateEV2First');
  if (first.sw !== SW.N_MORE || first.data.length !== 16)
    throw new ApduError(`AuthenticateEV2First: status ${hexSw(first.sw)}`, first.sw);
  const rndB = cbcDecrypt(key, Buffer.alloc(16), first.data);
  const rndA = random(16);
  const second = answer(
    await t(native(0xaf, cbcEncrypt(key, Buffer.alloc(16), Buffer.concat([rndA, rotl1(rndB)])))),
    'AuthenticateEV2First',
  );
  if (second.sw === SW.N_AUTH) return null;
  if (second.sw !== SW.N_OK || second.data.length !== 32)
    throw new ApduError(`AuthenticateEV2First: status ${hexSw(second.sw)}`, second.sw);
  const plain = cbcDecrypt(key, Buffer.alloc(16), second.data);
  // The card proves it holds the key too: RndA' must come back.
  if (!sameBytes(plain.subarray(4, 20), rotl1(rndA)))
    throw new ApduError('AuthenticateEV2First: the card did not prove the key', null);
  return Ev2Session.derive(key, rndA, rndB, plain.subarray(0, 4), keyNo);
}

/** A command in Full mode (`full`) or MAC mode; checks the answer's MAC unless the session ends with it. */
async function secure(
  t: Transmit,
  s: Ev2Session,
  cmd: number,
  header: Buffer,
  plain: Buffer,
  what: string,
  opts: { full: boolean; endsSession?: boolean },
): Promise<Buffer> {
  const data = opts.full && plain.length > 0 ? s.encryptCommand(plain) : plain;
  const mac = s.commandMac(cmd, header, data);
  const a = answer(await t(native(cmd, Buffer.concat([header, data, mac]))), what);
  if (a.sw !== SW.N_OK) throw new ApduError(`${what}: status ${hexSw(a.sw)}`, a.sw);
  if (opts.endsSession) return Buffer.alloc(0);
  if (a.data.length < 8) throw new ApduError(`${what}: answer without MAC`, a.sw);
  const body = a.data.subarray(0, a.data.length - 8);
  if (!sameBytes(s.responseMac(0x00, body), a.data.subarray(a.data.length - 8)))
    throw new ApduError(`${what}: the answer's MAC is wrong`, a.sw);
  s.cmdCtr++;
  return body;
}

/** WriteData to a plain file inside the session (it counts as a command). */
async function writePlain(t: Transmit, s: Ev2Session, fileNo: number, data: Buffer): Promise<void> {
  for (let off = 0; off < data.length; off += 128) {
    const part = data.subarray(off, off + 128);
    const a = answer(
      await t(native(0x8d, Buffer.concat([Buffer.from([fileNo]), u24(off), u24(part.length), part]))),
      'WriteData',
    );
    if (a.sw !== SW.N_OK) throw new ApduError(`WriteData: status ${hexSw(a.sw)}`, a.sw);
    s.cmdCtr++;
  }
}

async function changeKey(t: Transmit, s: Ev2Session, keyNo: number, oldKey: Buffer, newKey: Buffer): Promise<void> {
  if (keyNo === s.keyNo) {
    await secure(
      t,
      s,
      0xc4,
      Buffer.from([keyNo]),
      Buffer.concat([newKey, Buffer.from([KEY_VERSION])]),
      `ChangeKey ${keyNo}`,
      { full: true, endsSession: true },
    );
    return;
  }
  const x = Buffer.alloc(16);
  for (let i = 0; i < 16; i++) x[i] = newKey[i] ^ oldKey[i];
  await secure(
    t,
    s,
    0xc4,
    Buffer.from([keyNo]),
    Buffer.concat([x, Buffer.from([KEY_VERSION]), crc32nk(newKey)]),
    `ChangeKey ${keyNo}`,
    { full: true },
  );
}

/** The NDEF file's settings after personalisation: free read, writes and changes with key 0, SDM on. */
export function sdmSettings(baseUrl: string): FileSettings {
  const tpl = sunTemplate(baseUrl);
  return {
    commMode: 0,
    access: { read: FREE, write: 0, readWrite: 0, change: 0 },
    sdm: {
      uidMirror: true,
      ctrMirror: true,
      metaRead: FREE,
      fileRead: SDM_FILE_READ_KEY,
      ctrRet: NEVER,
      uidOffset: tpl.uidOffset,
      ctrOffset: tpl.ctrOffset,
      // The MAC's input is empty: it starts where the MAC goes (contract: CMAC(K_ses, empty message)).
      macInputOffset: tpl.macOffset,
      macOffset: tpl.macOffset,
    },
  };
}

export async function personalise(t: Transmit, o: PersonaliseOptions): Promise<Personalised> {
  const random = o.random ?? randomBytes;
  const tpl = sunTemplate(o.baseUrl);
  if (!(await isoCommand(t, selectAid(), 'SELECT application'))) {
    throw new PersonaliseRefused('not an NTAG 424 DNA: the card has no NDEF application D2760000850101', 'not_ntag424');
  }
  const uid = await ntag424Uid(t);
  if (!uid) throw new PersonaliseRefused('not an NTAG 424 DNA: GetVersion does not answer as one', 'not_ntag424');
  const fs = answer(await t(native(0xf5, Buffer.from([NDEF_FILE_NO]))), 'GetFileSettings');
  if (fs.sw !== SW.N_OK) throw new ApduError(`GetFileSettings: status ${hexSw(fs.sw)}`, fs.sw);
  const current = decodeGetFileSettings(fs.data).settings;
  if (current.sdm || current.access.write !== FREE || current.access.change !== 0) {
    throw new PersonaliseRefused(
      'the card is already personalised (its NDEF file has SDM or restricted access): nothing written',
      'personalised',
    );
  }
  const factory = o.factoryKey ?? Buffer.alloc(16);
  const s = await authenticate(t, 0, factory, random);
  if (!s)
    throw new PersonaliseRefused("wrong key: the card's key 0 is not the factory key: nothing written", 'wrong_key');

  const keys = cardKeys(o.masterKey, uid, o.systemId);
  await writePlain(t, s, NDEF_FILE_NO, tpl.file);
  await secure(t, s, 0x5f, Buffer.from([NDEF_FILE_NO]), encodeSettings(sdmSettings(o.baseUrl)), 'ChangeFileSettings', {
    full: true,
  });
  for (const n of [1, 2, 3, 4]) await changeKey(t, s, n, factory, keys[n]);
  await changeKey(t, s, 0, factory, keys[0]);

  const sun = await readSun(t);
  if (!sun || sun.uid !== uid || !sunCmacValid(keys[SDM_FILE_READ_KEY], uid, sun.ctr, sun.cmac)) {
    throw new ApduError('the card was written but its SUN does not verify: do not issue it', null);
  }
  return { uid, ctr: sun.ctr };
}
