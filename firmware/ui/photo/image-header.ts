// Reads a photo's header without decoding, the way its decoder will read it: a hostile photo (a tiny
// file that inflates to 20,000×20,000 pixels) is refused before a single pixel is allocated. The
// size checked must be the size decoded, so the whole file is walked as the decoder walks it (pngjs:
// every chunk, the last IHDR wins; jpeg-js: every segment, the last frame header wins), and anything
// it could read differently from this walk (a second IHDR or frame header, a segment whose contents
// overrun its length, a chunk the decoder does not know) is refused.
import { crc32 } from 'node:zlib';

interface Size {
  width: number;
  height: number;
}
export interface PngHeader extends Size {
  format: 'png';
  bitDepth: 1 | 2 | 4 | 8 | 16;
  colorType: 0 | 2 | 3 | 4 | 6;
  interlaced: boolean;
  /** The bytes the image data inflates to, exactly, for this header (filter bytes included). */
  rawBytes: number;
  /** Where the IDAT chunks' data lies, in order: [start, end) offsets in the file. */
  idat: [number, number][];
}
export interface JpegHeader extends Size {
  format: 'jpeg';
  components: number;
  progressive: boolean;
}
export type ImageHeader = PngHeader | JpegHeader;

/** Bounds a photo must keep to be decoded at all (the portal's photos are about 600×800). */
export const IMAGE_LIMITS = { maxBytes: 4 * 1024 * 1024, maxSide: 4096, maxPixels: 16_000_000 } as const;
export type ImageLimits = { maxBytes: number; maxSide: number; maxPixels: number };

export type RefusalReason =
  | 'not_an_image'
  | 'truncated'
  | 'malformed'
  | 'unsupported'
  | 'too_many_bytes'
  | 'too_large'
  | 'decode_failed'
  | 'memory'
  | 'timeout';

/** Why a photo is not decoded; logged as `reason` (never with the photo or whose it is). */
export class ImageRefused extends Error {
  constructor(
    readonly reason: RefusalReason,
    detail: string,
  ) {
    super(`${reason}: ${detail}`);
  }
}

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
/**
 * Chunks (PNG) or markers (JPEG) walked at most: the walk runs on the main thread, and a file of
 * nothing but empty chunks would make it long. Encoders write a handful, or an IDAT per 8 KB.
 */
const MAX_PARTS = 4096;
/** Bit depths the PNG specification allows per colour type (pngjs takes any of 1–16 with any type). */
const PNG_DEPTHS: Record<number, readonly number[]> = {
  0: [1, 2, 4, 8, 16],
  2: [8, 16],
  3: [1, 2, 4, 8],
  4: [8, 16],
  6: [8, 16],
};
const PNG_CHANNELS: Record<number, number> = { 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 };
/** Adam7: each pass's first column, column step, first row, row step. */
const ADAM7 = [
  [0, 8, 0, 8],
  [4, 8, 0, 8],
  [0, 4, 4, 8],
  [2, 4, 0, 4],
  [0, 2, 2, 4],
  [1, 2, 0, 2],
  [0, 1, 1, 2],
] as const;

/** Inflated size of a PNG's image data: per row its filter byte and packed samples, per Adam7 pass if interlaced. */
function pngRawBytes(width: number, height: number, bitsPerPixel: number, interlaced: boolean): number {
  const image = (w: number, h: number) => (w > 0 && h > 0 ? (Math.ceil((w * bitsPerPixel) / 8) + 1) * h : 0);
  if (!interlaced) return image(width, height);
  return ADAM7.reduce(
    (sum, [x0, dx, y0, dy]) => sum + image(Math.ceil((width - x0) / dx), Math.ceil((height - y0) / dy)),
    0,
  );
}

function pngHeader(b: Uint8Array): PngHeader {
  const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
  let head: Omit<PngHeader, 'rawBytes' | 'idat'> | null = null;
  let palette = 0;
  const idat: [number, number][] = [];
  let idatEnded = false;
  // Every chunk after the first is after IHDR (checked below); a function because the switch's cases do not narrow `head`.
  const ihdr = () => {
    if (head === null) throw new ImageRefused('not_an_image', 'PNG without IHDR first');
    return head;
  };
  for (let i = 8, parts = 0; ; parts++) {
    if (parts > MAX_PARTS) throw new ImageRefused('malformed', `PNG of more than ${MAX_PARTS} chunks`);
    if (i + 12 > b.length)
      throw new ImageRefused('truncated', head ? 'PNG ends before IEND' : 'PNG shorter than its header');
    const length = v.getUint32(i);
    const type = String.fromCharCode(b[i + 4], b[i + 5], b[i + 6], b[i + 7]);
    const data = i + 8,
      end = data + length + 4;
    if (end > b.length) throw new ImageRefused('truncated', `PNG ends inside its ${type} chunk`);
    if (head === null && type !== 'IHDR') throw new ImageRefused('not_an_image', 'PNG without IHDR first');
    // pngjs checks the CRC of the chunks it reads and stops at a mismatch: refused here first.
    if (crc32(b.subarray(i + 4, data + length)) !== v.getUint32(data + length))
      throw new ImageRefused('malformed', `PNG ${type} chunk with a wrong CRC`);
    if (idat.length > 0 && type !== 'IDAT') idatEnded = true;
    switch (type) {
      case 'IHDR': {
        // pngjs takes every IHDR it meets, the last one deciding the size it allocates.
        if (head) throw new ImageRefused('malformed', 'PNG with a second IHDR (the decoder would take the last one)');
        if (length !== 13) throw new ImageRefused('malformed', `PNG IHDR of ${length} bytes`);
        const [depth, colorType, compression, filter, interlace] = [
          b[data + 8],
          b[data + 9],
          b[data + 10],
          b[data + 11],
          b[data + 12],
        ];
        if (!PNG_DEPTHS[colorType]?.includes(depth))
          throw new ImageRefused('unsupported', `PNG colour type ${colorType} at ${depth} bits`);
        if (compression !== 0 || filter !== 0 || interlace > 1)
          throw new ImageRefused('unsupported', 'PNG compression, filter or interlace method');
        head = {
          format: 'png',
          width: v.getUint32(data),
          height: v.getUint32(data + 4),
          bitDepth: depth as PngHeader['bitDepth'],
          colorType: colorType as PngHeader['colorType'],
          interlaced: interlace === 1,
        };
        break;
      }
      case 'PLTE': {
        const h = ihdr();
        // pngjs appends every PLTE's entries to one palette.
        if (palette > 0 || idat.length > 0)
          throw new ImageRefused('malformed', 'PNG with a second PLTE, or one after IDAT');
        if (h.colorType === 0 || h.colorType === 4 || length % 3 !== 0 || length === 0 || length > 3 * 256)
          throw new ImageRefused('malformed', `PNG PLTE of ${length} bytes for colour type ${h.colorType}`);
        palette = length / 3;
        break;
      }
      case 'IDAT':
        // pngjs inflates every IDAT's data as one stream, wherever it lies: the specification's
        // consecutive run is the only one allowed here.
        if (idatEnded) throw new ImageRefused('malformed', 'PNG with IDAT chunks apart');
        if (ihdr().colorType === 3 && palette === 0)
          throw new ImageRefused('malformed', 'PNG with a palette colour type and no PLTE');
        idat.push([data, data + length]);
        break;
      case 'IEND': {
        // pngjs refuses any byte after IEND, and reads none before its first IDAT as image data.
        if (idat.length === 0) throw new ImageRefused('malformed', 'PNG without IDAT');
        if (end !== b.length) throw new ImageRefused('malformed', 'PNG with bytes after IEND');
        const h = ihdr();
        return {
          ...h,
          rawBytes: pngRawBytes(h.width, h.height, h.bitDepth * PNG_CHANNELS[h.colorType], h.interlaced),
          idat,
        };
      }
      case 'tRNS': {
        const ct = ihdr().colorType;
        const fits =
          ct === 3 ? palette > 0 && length <= palette : ct === 0 ? length === 2 : ct === 2 ? length === 6 : false;
        if (!fits || idat.length > 0)
          throw new ImageRefused('malformed', `PNG tRNS of ${length} bytes for colour type ${ct}`);
        break;
      }
      case 'gAMA':
        if (length !== 4) throw new ImageRefused('malformed', `PNG gAMA of ${length} bytes`);
        break;
      default:
        // Ancillary chunks (sBIT, pHYs, tEXt…) pngjs skips unread; a critical one it does not know, it refuses.
        if ((b[i + 4] & 0x20) === 0)
          throw new ImageRefused('unsupported', `PNG critical chunk ${JSON.stringify(type)}`);
    }
    i = end;
  }
}

// jpeg-js reads these markers; any other (SOF3, SOF5–15: lossless, hierarchical or arithmetic
// frames; DAC; a stray RSTn or TEM) sends it into guesswork or an error, so it is refused here.
const SOF0 = 0xc0,
  SOF1 = 0xc1,
  SOF2 = 0xc2,
  DHT = 0xc4,
  EOI = 0xd9,
  SOS = 0xda,
  DQT = 0xdb,
  DNL = 0xdc,
  DRI = 0xdd,
  COM = 0xfe;
const isApp = (m: number) => m >= 0xe0 && m <= 0xef;
const isSof = (m: number) => m >= 0xc0 && m <= 0xcf && m !== DHT && m !== 0xc8 && m !== 0xcc;

/**
 * Walks every segment as jpeg-js does (its decoder reads each segment's contents by their own
 * counts, not by the segment's length): a segment whose contents do not end exactly at its length
 * would make it read the next marker elsewhere, so it is refused. Between the segments read here
 * and the decoder's there is no difference up to the first scan, where the frame header must be;
 * jpeg-js takes exactly one frame header, so after a scan it can find no other without failing.
 */
function jpegHeader(b: Uint8Array): JpegHeader {
  const u16 = (i: number) => (b[i] << 8) | b[i + 1];
  const frames: JpegHeader[] = [];
  let i = 2;
  for (let parts = 0; ; parts++) {
    if (parts > MAX_PARTS) throw new ImageRefused('malformed', `JPEG of more than ${MAX_PARTS} markers`);
    if (i + 2 > b.length)
      throw new ImageRefused(
        'truncated',
        frames.length ? 'JPEG without its end marker' : 'JPEG without a frame header',
      );
    if (b[i] !== 0xff) throw new ImageRefused('not_an_image', 'JPEG marker expected');
    const m = b[i + 1];
    i += 2;
    if (m === EOI) break;
    // As jpeg-js: FF00 is passed over; a run of FF is fill before a marker.
    if (m === 0x00) continue;
    if (m === 0xff) {
      if (b[i] !== 0xff) i--;
      continue;
    }
    if (
      !(
        isApp(m) ||
        m === COM ||
        m === DQT ||
        m === SOF0 ||
        m === SOF1 ||
        m === SOF2 ||
        m === DHT ||
        m === DRI ||
        m === DNL ||
        m === SOS
      )
    ) {
      throw new ImageRefused(
        'unsupported',
        isSof(m)
          ? `JPEG frame type SOF${m - SOF0} (only baseline, extended and progressive DCT)`
          : `JPEG marker FF${m.toString(16).toUpperCase()}`,
      );
    }
    if (i + 2 > b.length) throw new ImageRefused('truncated', 'JPEG ends inside a segment');
    const length = u16(i),
      end = i + length;
    if (length < 2 || end > b.length)
      throw new ImageRefused(
        end > b.length ? 'truncated' : 'malformed',
        `JPEG segment FF${m.toString(16).toUpperCase()} of ${length} bytes`,
      );
    // Where jpeg-js ends up after reading the segment's contents.
    let read = end;
    if (m === DQT) {
      for (read = i + 2; read < end; ) {
        const precision = b[read] >> 4;
        if (precision > 1) throw new ImageRefused('malformed', 'JPEG quantisation table precision');
        read += 1 + 64 * (precision + 1);
      }
    } else if (m === DHT) {
      for (read = i + 2; read < end; ) {
        let values = 0;
        for (let k = 1; k <= 16; k++) values += b[read + k] ?? 0;
        read += 17 + values;
      }
    } else if (m === DRI || m === DNL) {
      read = i + 4;
    } else if (isSof(m)) {
      const components = b[i + 7] ?? 0;
      read = i + 8 + 3 * components;
      if (read === end && components > 0) {
        for (let k = 0; k < components; k++)
          if (b[i + 9 + 3 * k] >> 4 === 0 || (b[i + 9 + 3 * k] & 15) === 0)
            throw new ImageRefused('malformed', 'JPEG sampling factor 0');
        if (b[i + 2] !== 8) throw new ImageRefused('unsupported', `JPEG of ${b[i + 2]}-bit samples`);
      }
      frames.push({ format: 'jpeg', height: u16(i + 3), width: u16(i + 5), components, progressive: m === SOF2 });
    } else if (m === SOS) {
      if (frames.length === 0) throw new ImageRefused('malformed', 'JPEG scan before its frame header');
      read = i + 6 + 2 * (b[i + 2] ?? 0);
    }
    if (read !== end)
      throw new ImageRefused(
        'malformed',
        `JPEG segment FF${m.toString(16).toUpperCase()} whose contents do not end at its length`,
      );
    i = end;
    if (m === SOS) {
      // Entropy-coded data up to the next marker: FF is followed by 00 (a stuffed byte) or a restart marker inside it.
      for (;;) {
        i = b.indexOf(0xff, i);
        if (i < 0 || i + 1 >= b.length) throw new ImageRefused('truncated', 'JPEG ends inside its scan data');
        const next = b[i + 1];
        if (next === 0x00 || (next >= 0xd0 && next <= 0xd7)) {
          i += 2;
          continue;
        }
        if (next === 0xff) {
          i++;
          continue;
        }
        break;
      }
    }
  }
  // jpeg-js decodes exactly one frame, sized by its last frame header.
  if (frames.length !== 1)
    throw new ImageRefused(
      frames.length ? 'malformed' : 'truncated',
      frames.length
        ? `JPEG with ${frames.length} frame headers (the decoder would take the last one)`
        : 'JPEG without a frame header',
    );
  return frames[0];
}

/** The format and size the file claims, as its decoder will read them; throws ImageRefused for anything else. */
export function readImageHeader(b: Uint8Array): ImageHeader {
  if (b.length >= 8 && PNG_SIGNATURE.every((x, i) => b[i] === x)) return pngHeader(b);
  if (b.length >= 3 && b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff) return jpegHeader(b);
  throw new ImageRefused('not_an_image', 'neither PNG nor JPEG');
}

/** The header, when the photo is within the limits; throws ImageRefused before any decoding otherwise. */
export function checkImage(b: Uint8Array, limits: ImageLimits = IMAGE_LIMITS): ImageHeader {
  if (b.length > limits.maxBytes) throw new ImageRefused('too_many_bytes', `${b.length} bytes > ${limits.maxBytes}`);
  const h = readImageHeader(b);
  if (h.width < 1 || h.height < 1) throw new ImageRefused('not_an_image', `${h.width}×${h.height}`);
  if (h.width > limits.maxSide || h.height > limits.maxSide || h.width * h.height > limits.maxPixels) {
    throw new ImageRefused(
      'too_large',
      `${h.width}×${h.height} > ${limits.maxSide} a side or ${limits.maxPixels} pixels`,
    );
  }
  return h;
}
