// File settings of an NTAG 424 DNA file and their wire form (datasheet § 10.7: ChangeFileSettings,
// GetFileSettings), SDM with plain UID and counter mirrors included. Shared by the personaliser,
// which writes them, and the simulated card, which applies and reports them.

/** Access condition: a key number 0-4, 0xE free, 0xF never. */
export type Access = number;
export const FREE = 0xe;
export const NEVER = 0xf;

export interface AccessRights {
  read: Access;
  write: Access;
  readWrite: Access;
  change: Access;
}

export interface SdmSettings {
  uidMirror: boolean;
  ctrMirror: boolean;
  /** SDMMetaRead: 0xE for plain mirrors (the only kind this project uses). */
  metaRead: Access;
  /** SDMFileRead: the key of the SUN's MAC; 0xF for none. */
  fileRead: Access;
  ctrRet: Access;
  uidOffset: number;
  ctrOffset: number;
  macInputOffset: number;
  macOffset: number;
}

export interface FileSettings {
  /** 0 plain, 1 MAC, 3 full. */
  commMode: 0 | 1 | 3;
  access: AccessRights;
  sdm: SdmSettings | null;
}

const u24 = (n: number): Buffer => Buffer.from([n & 0xff, (n >> 8) & 0xff, (n >> 16) & 0xff]);
const accessBytes = (a: AccessRights): Buffer => Buffer.from([(a.readWrite << 4) | a.change, (a.read << 4) | a.write]);

/** The settings part of ChangeFileSettings (and of GetFileSettings after type/size). */
export function encodeSettings(s: FileSettings): Buffer {
  const parts: Buffer[] = [Buffer.from([(s.sdm ? 0x40 : 0) | s.commMode]), accessBytes(s.access)];
  if (s.sdm) {
    const d = s.sdm;
    // SDMOptions: UID mirror, read counter mirror, ASCII encoding (required for SDM).
    parts.push(
      Buffer.from([
        (d.uidMirror ? 0x80 : 0) | (d.ctrMirror ? 0x40 : 0) | 0x01,
        (d.metaRead << 4) | d.fileRead,
        0xf0 | d.ctrRet,
      ]),
    );
    if (d.metaRead === FREE && d.uidMirror) parts.push(u24(d.uidOffset));
    if (d.metaRead === FREE && d.ctrMirror) parts.push(u24(d.ctrOffset));
    if (d.fileRead !== NEVER) parts.push(u24(d.macInputOffset), u24(d.macOffset));
  }
  return Buffer.concat(parts);
}

export class SettingsError extends Error {}

/**
 * Parses the settings part; throws SettingsError for what this card model does not accept here
 * (encrypted PICC data, encrypted file data, a counter limit, stray bytes), each a parameter error.
 */
export function decodeSettings(b: Buffer): FileSettings {
  let i = 0;
  const need = (n: number) => {
    if (i + n > b.length) throw new SettingsError('settings too short');
  };
  const byte = () => {
    need(1);
    return b[i++];
  };
  const u24r = () => {
    need(3);
    const v = b[i] | (b[i + 1] << 8) | (b[i + 2] << 16);
    i += 3;
    return v;
  };
  const opt = byte();
  if (opt & ~0x43) throw new SettingsError('unknown file option bits');
  const commMode = (opt & 0x03) as 0 | 1 | 2 | 3;
  if (commMode === 2) throw new SettingsError('communication mode 2 does not exist');
  const a0 = byte(),
    a1 = byte();
  const access: AccessRights = { readWrite: a0 >> 4, change: a0 & 0x0f, read: a1 >> 4, write: a1 & 0x0f };
  let sdm: SdmSettings | null = null;
  if (opt & 0x40) {
    const o = byte();
    if (!(o & 0x01)) throw new SettingsError('SDM needs ASCII encoding');
    if (o & 0x30) throw new SettingsError('encrypted file data and counter limits are not supported');
    if (o & 0x0e) throw new SettingsError('unknown SDM option bits');
    const s0 = byte(),
      s1 = byte();
    const metaRead = s0 >> 4,
      fileRead = s0 & 0x0f,
      ctrRet = s1 & 0x0f;
    if (metaRead !== FREE && metaRead !== NEVER) throw new SettingsError('encrypted PICC data is not supported');
    const uidMirror = (o & 0x80) !== 0,
      ctrMirror = (o & 0x40) !== 0;
    const uidOffset = metaRead === FREE && uidMirror ? u24r() : 0;
    const ctrOffset = metaRead === FREE && ctrMirror ? u24r() : 0;
    const macInputOffset = fileRead !== NEVER ? u24r() : 0;
    const macOffset = fileRead !== NEVER ? u24r() : 0;
    sdm = { uidMirror, ctrMirror, metaRead, fileRead, ctrRet, uidOffset, ctrOffset, macInputOffset, macOffset };
  }
  if (i !== b.length) throw new SettingsError('stray bytes after the settings');
  return { commMode, access, sdm };
}

/** Whether the mirrors and the MAC lie inside a file of `size` bytes, in order, without overlapping. */
export function sdmFits(d: SdmSettings, size: number): boolean {
  const spans: [number, number][] = [];
  if (d.metaRead === FREE && d.uidMirror) spans.push([d.uidOffset, d.uidOffset + 14]);
  if (d.metaRead === FREE && d.ctrMirror) spans.push([d.ctrOffset, d.ctrOffset + 6]);
  if (d.fileRead !== NEVER) {
    if (d.macInputOffset > d.macOffset) return false;
    spans.push([d.macOffset, d.macOffset + 16]);
  }
  spans.sort((x, y) => x[0] - y[0]);
  return spans.every(([s, e], k) => e <= size && (k === 0 || s >= spans[k - 1][1]));
}

/** GetFileSettings' answer: file type 00 ‖ settings with the size after the access rights. */
export function encodeGetFileSettings(s: FileSettings, size: number): Buffer {
  const enc = encodeSettings(s);
  return Buffer.concat([Buffer.from([0x00]), enc.subarray(0, 3), u24(size), enc.subarray(3)]);
}

export function decodeGetFileSettings(b: Buffer): { settings: FileSettings; size: number } {
  if (b.length < 7 || b[0] !== 0x00) throw new SettingsError('not a standard data file');
  const size = b[4] | (b[5] << 8) | (b[6] << 16);
  return { settings: decodeSettings(Buffer.concat([b.subarray(1, 4), b.subarray(7)])), size };
}
