// The Linux framebuffer (/dev/fb0: the fbdev emulation under vc4-kms-v3d) as a place to put
// pixels: geometry from sysfs, RGB565 or XRGB8888, rectangles written row by row at their offset.
// Paths are injectable so tests use a plain file and a fake sysfs directory.
import { closeSync, openSync, readFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';

export interface FramebufferGeometry {
  width: number;
  height: number;
  bitsPerPixel: 16 | 32;
  stride: number;
}
/** Pixels as the UI has them: RGBA, 4 bytes a pixel, row by row. */
export interface RgbaImage {
  width: number;
  height: number;
  data: Uint8Array;
}

const readInt = (dir: string, name: string): number[] =>
  readFileSync(join(dir, name), 'utf8')
    .trim()
    .split(',')
    .map((v) => Number.parseInt(v, 10));

/** Reads bits_per_pixel, stride and virtual_size; throws with the reason when they do not make sense. */
export function readGeometry(sysfsDir: string): FramebufferGeometry {
  const [bpp] = readInt(sysfsDir, 'bits_per_pixel');
  const [stride] = readInt(sysfsDir, 'stride');
  const [width, height] = readInt(sysfsDir, 'virtual_size');
  if (bpp !== 16 && bpp !== 32) throw new Error(`framebuffer: ${bpp} bits per pixel (16 or 32 supported)`);
  if (!width || !height || !stride || width < 1 || height < 1 || stride < width * (bpp / 8)) {
    throw new Error(`framebuffer: geometry ${width}x${height} stride ${stride} does not fit`);
  }
  return { width, height, bitsPerPixel: bpp, stride };
}

/** One row of RGBA pixels in the framebuffer's format (little-endian: RGB565, or B,G,R,X). */
export function encodeRow(src: Uint8Array, from: number, count: number, bpp: 16 | 32, out: Buffer): void {
  for (let i = 0; i < count; i++) {
    const s = (from + i) * 4;
    const r = src[s],
      g = src[s + 1],
      b = src[s + 2];
    if (bpp === 32) {
      const o = i * 4;
      out[o] = b;
      out[o + 1] = g;
      out[o + 2] = r;
      out[o + 3] = 0xff;
    } else {
      out.writeUInt16LE(((r >> 3) << 11) | ((g >> 2) << 5) | (b >> 3), i * 2);
    }
  }
}

export interface FramebufferPaths {
  device: string;
  sysfs: string;
}

export class Framebuffer {
  readonly #fd: number;
  private constructor(
    readonly geometry: FramebufferGeometry,
    fd: number,
  ) {
    this.#fd = fd;
  }

  /** Opens the device for writing; throws (ENOENT, EACCES, bad geometry) when it cannot be used. */
  static open(paths: FramebufferPaths): Framebuffer {
    const geometry = readGeometry(paths.sysfs);
    return new Framebuffer(geometry, openSync(paths.device, 'r+'));
  }

  /** Writes the image with its top-left corner at (x, y), clipped to the screen. */
  blit(x: number, y: number, img: RgbaImage): void {
    const g = this.geometry;
    const bytes = g.bitsPerPixel / 8;
    const x0 = Math.max(0, x),
      x1 = Math.min(g.width, x + img.width);
    if (x1 <= x0) return;
    const row = Buffer.alloc((x1 - x0) * bytes);
    for (let iy = 0; iy < img.height; iy++) {
      const sy = y + iy;
      if (sy < 0 || sy >= g.height) continue;
      encodeRow(img.data, iy * img.width + (x0 - x), x1 - x0, g.bitsPerPixel, row);
      writeSync(this.#fd, row, 0, row.length, sy * g.stride + x0 * bytes);
    }
  }

  close(): void {
    closeSync(this.#fd);
  }
}
