// Reads a photo's dimensions from its PNG or JPEG header, without decoding: a hostile photo (a
// tiny file that inflates to 20,000×20,000 pixels) is refused before a single pixel is allocated.

export type ImageFormat = 'png' | 'jpeg';
export interface ImageHeader { format: ImageFormat; width: number; height: number }

/** Bounds a photo must keep to be decoded at all (the portal's photos are about 600×800). */
export const IMAGE_LIMITS = { maxBytes: 4 * 1024 * 1024, maxSide: 4096, maxPixels: 16_000_000 } as const;
export type ImageLimits = { maxBytes: number; maxSide: number; maxPixels: number };

/** Why a photo is not decoded; logged as `reason` (never with the photo or whose it is). */
export class ImageRefused extends Error {
  constructor(readonly reason: 'not_an_image' | 'truncated' | 'too_many_bytes' | 'too_large' | 'decode_failed' | 'memory' | 'timeout', detail: string) {
    super(`${reason}: ${detail}`);
  }
}

function pngHeader(b: Uint8Array): ImageHeader {
  // Signature (8), then the first chunk must be IHDR: length (4), type (4), width (4), height (4).
  if (b.length < 24) throw new ImageRefused('truncated', 'PNG shorter than its header');
  const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
  if (String.fromCharCode(b[12]!, b[13]!, b[14]!, b[15]!) !== 'IHDR') throw new ImageRefused('not_an_image', 'PNG without IHDR first');
  return { format: 'png', width: v.getUint32(16), height: v.getUint32(20) };
}

// SOF0–SOF15 carry the frame size; C4 (DHT), C8 (JPG) and CC (DAC) share the range but do not.
const isSof = (m: number) => m >= 0xc0 && m <= 0xcf && m !== 0xc4 && m !== 0xc8 && m !== 0xcc;

function jpegHeader(b: Uint8Array): ImageHeader {
  let i = 2;
  while (i + 4 <= b.length) {
    if (b[i] !== 0xff) throw new ImageRefused('not_an_image', 'JPEG marker expected');
    const marker = b[i + 1]!;
    // Fill bytes, and markers without a length (TEM, RSTn).
    if (marker === 0xff) { i++; continue; }
    if (marker === 0x01 || (marker >= 0xd0 && marker <= 0xd7)) { i += 2; continue; }
    if (marker === 0xd9 || marker === 0xda) break; // end of image, or scan data before any frame header
    const len = (b[i + 2]! << 8) | b[i + 3]!;
    if (len < 2) throw new ImageRefused('not_an_image', 'JPEG segment length');
    if (isSof(marker)) {
      if (i + 9 > b.length) break;
      return { format: 'jpeg', height: (b[i + 5]! << 8) | b[i + 6]!, width: (b[i + 7]! << 8) | b[i + 8]! };
    }
    i += 2 + len;
  }
  throw new ImageRefused('truncated', 'JPEG without a frame header');
}

/** The format and size the file claims; throws ImageRefused for anything else. */
export function readImageHeader(b: Uint8Array): ImageHeader {
  if (b.length >= 8 && b[0] === 0x89 && b[1] === 0x50 && b[2] === 0x4e && b[3] === 0x47 && b[4] === 0x0d && b[5] === 0x0a && b[6] === 0x1a && b[7] === 0x0a) return pngHeader(b);
  if (b.length >= 3 && b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff) return jpegHeader(b);
  throw new ImageRefused('not_an_image', 'neither PNG nor JPEG');
}

/** The header, when the photo is within the limits; throws ImageRefused before any decoding otherwise. */
export function checkImage(b: Uint8Array, limits: ImageLimits = IMAGE_LIMITS): ImageHeader {
  if (b.length > limits.maxBytes) throw new ImageRefused('too_many_bytes', `${b.length} bytes > ${limits.maxBytes}`);
  const h = readImageHeader(b);
  if (h.width < 1 || h.height < 1) throw new ImageRefused('not_an_image', `${h.width}×${h.height}`);
  if (h.width > limits.maxSide || h.height > limits.maxSide || h.width * h.height > limits.maxPixels) {
    throw new ImageRefused('too_large', `${h.width}×${h.height} > ${limits.maxSide} a side or ${limits.maxPixels} pixels`);
  }
  return h;
}
