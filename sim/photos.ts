// Deterministic portraits for the simulator's children: the terminal shows the photo so a cashier
// recognises the child, so every seed gets its own background, skin, hair, style and shirt. They
// are photo-like (light falling from one side, shaded skin, hair strands, woven cloth, sensor
// grain), so a check that the screen shows the photo faithfully means something.
import { createHash } from 'node:crypto';
import jpeg from 'jpeg-js';
import { PNG } from 'pngjs';

export { sha256Hex } from '../contract/index.ts';

type Rgb = readonly [number, number, number];

const SKIN: Rgb[] = [
  [255, 224, 196],
  [241, 194, 160],
  [224, 172, 130],
  [198, 134, 94],
  [141, 85, 56],
  [95, 60, 40],
];
const HAIR: Rgb[] = [
  [30, 24, 20],
  [74, 48, 30],
  [120, 78, 40],
  [176, 98, 44],
  [222, 188, 110],
  [240, 220, 160],
  [150, 40, 30],
  [60, 70, 160],
];
const EYES: Rgb[] = [
  [70, 110, 180],
  [90, 60, 30],
  [60, 130, 80],
  [40, 40, 40],
];

function hsl(h: number, s: number, l: number): Rgb {
  const k = (n: number) => (n + h / 30) % 12;
  const a = s * Math.min(l, 1 - l);
  const f = (n: number) => l - a * Math.max(-1, Math.min(k(n) - 3, Math.min(9 - k(n), 1)));
  return [Math.round(f(0) * 255), Math.round(f(8) * 255), Math.round(f(4) * 255)];
}

const mix = (a: Rgb, b: Rgb, t: number): Rgb =>
  [0, 1, 2].map((i) => Math.round(a[i] * (1 - t) + b[i] * t)) as unknown as Rgb;

/** A shape in the 120×150 reference frame: a test for a point, and its colour. */
interface Layer {
  inside: (x: number, y: number) => boolean;
  color: Rgb;
  texture?: 'hair' | 'shirt' | 'skin';
}

const ellipse = (cx: number, cy: number, rx: number, ry: number) => (x: number, y: number) =>
  ((x - cx) / rx) ** 2 + ((y - cy) / ry) ** 2 <= 1;
const rect = (x0: number, y0: number, x1: number, y1: number) => (x: number, y: number) =>
  x >= x0 && x <= x1 && y >= y0 && y <= y1;
const ring = (cx: number, cy: number, r: number, w: number) => (x: number, y: number) =>
  Math.abs(Math.hypot(x - cx, y - cy) - r) <= w / 2;

function layers(seed: string): { bg: [Rgb, Rgb]; shapes: Layer[] } {
  const h = createHash('sha256').update(seed).digest();
  const pick = <T>(list: readonly T[], i: number): T => list[h[i] % list.length];
  const bgHue = (h[0] / 255) * 360;
  const skin = pick(SKIN, 1);
  const hair = pick(HAIR, 2);
  const eye = pick(EYES, 3);
  const style = h[4] % 4; // 0 short, 1 long, 2 curly, 3 bun
  const glasses = h[5] % 4 === 0;
  const shirt = hsl((h[6] / 255) * 360, 0.55, 0.5);
  const shade = mix(skin, [0, 0, 0], 0.15);
  const cheek = mix(skin, [240, 110, 120], 0.35);
  const white: Rgb = [255, 255, 255];
  const dark: Rgb = [40, 25, 25];

  const shapes: Layer[] = [];
  const add = (inside: Layer['inside'], color: Rgb, texture?: Layer['texture']) =>
    shapes.push({ inside, color, ...(texture ? { texture } : {}) });
  // Behind the head: long hair falls to the shoulders.
  if (style === 1) add((x, y) => ellipse(60, 66, 40, 46)(x, y) || rect(20, 66, 100, 118)(x, y), hair, 'hair');
  add(ellipse(60, 170, 58, 50), shirt, 'shirt');
  add(rect(50, 92, 70, 122), shade);
  add(ellipse(60, 120, 14, 8), shade);
  add(ellipse(60, 126, 16, 7), mix(shirt, white, 0.35)); // collar
  add(ellipse(30, 70, 7, 9), skin, 'skin');
  add(ellipse(90, 70, 7, 9), skin, 'skin');
  add(ellipse(60, 68, 30, 36), skin, 'skin');
  // Hair on top of the head, by style.
  const cap = (x: number, y: number) => ellipse(60, 52, 33, 28)(x, y) && y < 50 - Math.abs(x - 60) * 0.12;
  if (style === 2) {
    add(
      (x, y) =>
        cap(x, y) ||
        [
          [34, 46],
          [44, 34],
          [58, 29],
          [72, 33],
          [84, 44],
          [30, 60],
          [90, 60],
        ].some(([cx, cy]) => Math.hypot(x - cx, y - cy) <= 10),
      hair,
      'hair',
    );
  } else {
    add(cap, hair, 'hair');
    add(ellipse(style === 0 ? 46 : 70, 46, 20, 9), hair, 'hair'); // fringe swept to one side
  }
  if (style === 3) add(ellipse(60, 22, 14, 12), hair, 'hair');
  // Face.
  for (const ex of [48, 72]) {
    add(ellipse(ex, 71, 6.5, 7), white);
    add(ellipse(ex, 72, 4, 4.5), eye);
    add(ellipse(ex, 72, 2, 2.2), dark);
    add(ellipse(ex + 1.5, 70.5, 1, 1), white);
    add(rect(ex - 6, 60, ex + 6, 62), mix(hair, [0, 0, 0], 0.2));
    if (glasses) add(ring(ex, 71, 9, 2), [50, 50, 60]);
  }
  if (glasses) add(rect(57, 70, 63, 71.5), [50, 50, 60]);
  add(ellipse(40, 86, 5, 3.5), cheek);
  add(ellipse(80, 86, 5, 3.5), cheek);
  add(ellipse(60, 81, 3, 2.5), shade);
  // Open smile with a row of teeth.
  add((x, y) => y >= 88 && ellipse(60, 88, 12, 10)(x, y), [150, 40, 50]);
  add((x, y) => y >= 88 && y <= 91 && ellipse(60, 88, 10, 10)(x, y), white);
  return { bg: [hsl(bgHue, 0.6, 0.86), hsl(bgHue, 0.5, 0.72)], shapes };
}

/** Texture of a layer by kind: how much lighter or darker a point is than the layer's flat colour. */
type Texture = (x: number, y: number) => number;
const TEXTURES: Record<string, Texture> = {
  // Strands: fine waves along the hair's fall.
  hair: (x, y) => 0.18 * Math.sin(x * 2.1 + Math.sin(y * 0.35) * 3) + 0.08 * Math.sin(x * 5.3 + y * 0.7),
  // Cloth: a woven criss-cross.
  shirt: (x, y) => 0.06 * Math.sin(x * 4) * Math.sin(y * 4),
  // Skin: rounded by light from the upper left.
  skin: (x, y) => 0.1 - ((x - 50) ** 2 + (y - 58) ** 2) / 6000,
};

/** Pixel noise, the same for the same place and seed: a camera sensor's grain. */
const grain = (x: number, y: number, seed: number): number => {
  let h = (x * 374761393 + y * 668265263 + seed * 2246822519) | 0;
  h = Math.imul(h ^ (h >>> 13), 1274126177);
  return (((h ^ (h >>> 16)) >>> 0) / 4294967295 - 0.5) * 14;
};

/** A portrait as RGBA pixels (default 300×375). */
export function portraitRgba(
  seed: string,
  opts: { width?: number; height?: number } = {},
): { width: number; height: number; data: Buffer } {
  const width = opts.width ?? 300;
  const height = opts.height ?? width * 1.25;
  const { bg, shapes } = layers(seed);
  const seedN = createHash('sha256').update(seed).digest().readUInt32BE(0);
  const data = Buffer.alloc(width * height * 4);
  const sx = 120 / width;
  const sy = 150 / height;
  // 2×2 samples per pixel smooth the edges of small portraits; large ones have pixels enough.
  const offsets = width * height > 40_000 ? [0.5] : [0.25, 0.75];
  const n2 = offsets.length ** 2;
  for (let py = 0; py < height; py++) {
    for (let px = 0; px < width; px++) {
      const acc = [0, 0, 0];
      for (const oy of offsets) {
        for (const ox of offsets) {
          const x = (px + ox) * sx;
          const y = (py + oy) * sy;
          // The backdrop: a vertical gradient with a soft light spot behind the head.
          let c = mix(
            mix(bg[0], bg[1], y / 150),
            [255, 255, 255],
            Math.max(0, 0.35 - Math.hypot(x - 40, y - 40) / 160),
          );
          let tex: Texture | undefined;
          for (const l of shapes)
            if (l.inside(x, y)) {
              c = l.color;
              tex = l.texture ? TEXTURES[l.texture] : undefined;
            }
          const k = 1 + (tex ? tex(x, y) : 0);
          for (let i = 0; i < 3; i++) acc[i] += c[i] * k;
        }
      }
      const o = (py * width + px) * 4;
      const n = grain(px, py, seedN);
      for (let i = 0; i < 3; i++) data[o + i] = Math.max(0, Math.min(255, Math.round(acc[i] / n2 + n)));
      data[o + 3] = 255;
    }
  }
  return { width, height, data };
}

/** The portrait as a PNG (default 120×150, lossless: for tests that need exact pixels). */
export function portraitPng(seed: string, opts: { width?: number; height?: number } = {}): Buffer {
  const img = portraitRgba(seed, { width: opts.width ?? 120, height: opts.height ?? 150 });
  const png = new PNG({ width: img.width, height: img.height });
  img.data.copy(png.data);
  return PNG.sync.write(png, { colorType: 2 });
}

/** The portrait as a JPEG, as a parent's phone photo would come (about 20–30 KB at 300×375). */
export function portraitJpeg(seed: string, opts: { width?: number; height?: number; quality?: number } = {}): Buffer {
  return Buffer.from(jpeg.encode(portraitRgba(seed, opts), opts.quality ?? 85).data);
}

/**
 * A PNG of seeded noise, which does not compress: at the default 100×100 pixels ~30 KB, like a
 * school portrait as JPEG (drawing 1,000 real portraits would take minutes), 3 bytes a pixel.
 */
export function noisePhoto(seed: number, side = 100): Buffer {
  const png = new PNG({ width: side, height: side });
  let x = (seed * 2654435761) >>> 0 || 1;
  for (let i = 0; i < png.data.length; i++) {
    // xorshift32: deterministic per seed.
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    png.data[i] = (i & 3) === 3 ? 255 : x & 0xff;
  }
  return PNG.sync.write(png, { colorType: 2 });
}
