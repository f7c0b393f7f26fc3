// Deterministic cartoon portraits for the simulator's children: the terminal shows the photo so a
// cashier recognises the child, so every seed gets its own background, skin, hair, style and shirt.
import { createHash } from 'node:crypto';
import { PNG } from 'pngjs';

export { sha256Hex } from '../contract/index.ts';

type Rgb = readonly [number, number, number];

const SKIN: Rgb[] = [[255, 224, 196], [241, 194, 160], [224, 172, 130], [198, 134, 94], [141, 85, 56], [95, 60, 40]];
const HAIR: Rgb[] = [[30, 24, 20], [74, 48, 30], [120, 78, 40], [176, 98, 44], [222, 188, 110], [240, 220, 160], [150, 40, 30], [60, 70, 160]];
const EYES: Rgb[] = [[70, 110, 180], [90, 60, 30], [60, 130, 80], [40, 40, 40]];

function hsl(h: number, s: number, l: number): Rgb {
  const k = (n: number) => (n + h / 30) % 12;
  const a = s * Math.min(l, 1 - l);
  const f = (n: number) => l - a * Math.max(-1, Math.min(k(n) - 3, Math.min(9 - k(n), 1)));
  return [Math.round(f(0) * 255), Math.round(f(8) * 255), Math.round(f(4) * 255)];
}

const mix = (a: Rgb, b: Rgb, t: number): Rgb => [0, 1, 2].map((i) => Math.round(a[i]! * (1 - t) + b[i]! * t)) as unknown as Rgb;

/** A shape in the 120×150 reference frame: a test for a point, and its colour. */
interface Layer { inside: (x: number, y: number) => boolean; color: Rgb }

const ellipse = (cx: number, cy: number, rx: number, ry: number) =>
  (x: number, y: number) => ((x - cx) / rx) ** 2 + ((y - cy) / ry) ** 2 <= 1;
const rect = (x0: number, y0: number, x1: number, y1: number) =>
  (x: number, y: number) => x >= x0 && x <= x1 && y >= y0 && y <= y1;
const ring = (cx: number, cy: number, r: number, w: number) =>
  (x: number, y: number) => Math.abs(Math.hypot(x - cx, y - cy) - r) <= w / 2;

function layers(seed: string): { bg: [Rgb, Rgb]; shapes: Layer[] } {
  const h = createHash('sha256').update(seed).digest();
  const pick = <T>(list: readonly T[], i: number): T => list[h[i]! % list.length]!;
  const bgHue = (h[0]! / 255) * 360;
  const skin = pick(SKIN, 1);
  const hair = pick(HAIR, 2);
  const eye = pick(EYES, 3);
  const style = h[4]! % 4; // 0 short, 1 long, 2 curly, 3 bun
  const glasses = h[5]! % 4 === 0;
  const shirt = hsl((h[6]! / 255) * 360, 0.55, 0.5);
  const shade = mix(skin, [0, 0, 0], 0.15);
  const cheek = mix(skin, [240, 110, 120], 0.35);
  const white: Rgb = [255, 255, 255];
  const dark: Rgb = [40, 25, 25];

  const shapes: Layer[] = [];
  const add = (inside: Layer['inside'], color: Rgb) => shapes.push({ inside, color });
  // Behind the head: long hair falls to the shoulders.
  if (style === 1) add((x, y) => ellipse(60, 66, 40, 46)(x, y) || rect(20, 66, 100, 118)(x, y), hair);
  add(ellipse(60, 170, 58, 50), shirt);
  add(rect(50, 92, 70, 122), shade);
  add(ellipse(60, 120, 14, 8), shade);
  add(ellipse(60, 126, 16, 7), mix(shirt, white, 0.35)); // collar
  add(ellipse(30, 70, 7, 9), skin);
  add(ellipse(90, 70, 7, 9), skin);
  add(ellipse(60, 68, 30, 36), skin);
  // Hair on top of the head, by style.
  const cap = (x: number, y: number) => ellipse(60, 52, 33, 28)(x, y) && y < 50 - Math.abs(x - 60) * 0.12;
  if (style === 2) {
    add((x, y) => cap(x, y) || [[34, 46], [44, 34], [58, 29], [72, 33], [84, 44], [30, 60], [90, 60]]
      .some(([cx, cy]) => Math.hypot(x - cx!, y - cy!) <= 10), hair);
  } else {
    add(cap, hair);
    add(ellipse(style === 0 ? 46 : 70, 46, 20, 9), hair); // fringe swept to one side
  }
  if (style === 3) add(ellipse(60, 22, 14, 12), hair);
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

/** A PNG portrait (default 120×150) that is the same for the same seed and differs between seeds. */
export function portraitPng(seed: string, opts: { width?: number; height?: number } = {}): Buffer {
  const width = opts.width ?? 120;
  const height = opts.height ?? 150;
  const { bg, shapes } = layers(seed);
  const png = new PNG({ width, height });
  const sx = 120 / width;
  const sy = 150 / height;
  // 2×2 samples per pixel smooth the edges.
  const offsets = [0.25, 0.75];
  for (let py = 0; py < height; py++) {
    for (let px = 0; px < width; px++) {
      const acc = [0, 0, 0];
      for (const oy of offsets) {
        for (const ox of offsets) {
          const x = (px + ox) * sx;
          const y = (py + oy) * sy;
          let c = mix(bg[0], bg[1], y / 150);
          for (const l of shapes) if (l.inside(x, y)) c = l.color;
          for (let i = 0; i < 3; i++) acc[i]! += c[i]!;
        }
      }
      const o = (py * width + px) * 4;
      for (let i = 0; i < 3; i++) png.data[o + i] = Math.round(acc[i]! / 4);
      png.data[o + 3] = 255;
    }
  }
  return PNG.sync.write(png, { colorType: 2 });
}
