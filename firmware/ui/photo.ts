// The child's photo in character cells: each cell is an upper half block '▀' whose foreground is
// the upper pixel and background the lower one, in the xterm 256-colour palette. A cell is about
// twice as tall as wide, so one cell = 1×2 square pixels and the aspect ratio is kept.
import type { Canvas, Rect } from './canvas.ts';

/** Decoded pixels, 4 bytes (RGBA) a pixel, row by row. */
export interface Rgba { width: number; height: number; data: Uint8Array }

/** The largest size within maxW×maxH with the source's aspect ratio (at least 1×1). */
export function fitSize(w: number, h: number, maxW: number, maxH: number): { w: number; h: number } {
  if (w <= 0 || h <= 0 || maxW <= 0 || maxH <= 0) return { w: 0, h: 0 };
  const s = Math.min(maxW / w, maxH / h);
  return { w: Math.max(1, Math.min(maxW, Math.round(w * s))), h: Math.max(1, Math.min(maxH, Math.round(h * s))) };
}

/** Resamples by averaging each target pixel's source block (nearest pixel when enlarging); alpha over black. */
export function resample(img: Rgba, tw: number, th: number): Rgba {
  const out = new Uint8Array(tw * th * 4);
  const sx = img.width / tw, sy = img.height / th;
  for (let ty = 0; ty < th; ty++) {
    const y0 = Math.floor(ty * sy), y1 = Math.max(y0 + 1, Math.floor((ty + 1) * sy));
    for (let tx = 0; tx < tw; tx++) {
      const x0 = Math.floor(tx * sx), x1 = Math.max(x0 + 1, Math.floor((tx + 1) * sx));
      let r = 0, g = 0, b = 0, n = 0;
      for (let y = y0; y < y1; y++) {
        for (let x = x0; x < x1; x++) {
          const i = (y * img.width + x) * 4;
          const a = img.data[i + 3]! / 255;
          r += img.data[i]! * a; g += img.data[i + 1]! * a; b += img.data[i + 2]! * a; n++;
        }
      }
      const o = (ty * tw + tx) * 4;
      out[o] = Math.round(r / n); out[o + 1] = Math.round(g / n); out[o + 2] = Math.round(b / n); out[o + 3] = 255;
    }
  }
  return { width: tw, height: th, data: out };
}

const LEVELS = [0, 95, 135, 175, 215, 255];
const nearestLevel = (v: number): number => {
  let best = 0;
  for (let i = 1; i < LEVELS.length; i++) if (Math.abs(LEVELS[i]! - v) < Math.abs(LEVELS[best]! - v)) best = i;
  return best;
};

/** The nearest xterm-256 colour: the 6×6×6 cube (16–231) or the grey ramp (232–255). */
export function xterm256(r: number, g: number, b: number): number {
  const [ri, gi, bi] = [nearestLevel(r), nearestLevel(g), nearestLevel(b)];
  const cube = 16 + 36 * ri + 6 * gi + bi;
  const dc = (LEVELS[ri]! - r) ** 2 + (LEVELS[gi]! - g) ** 2 + (LEVELS[bi]! - b) ** 2;
  const gi2 = Math.max(0, Math.min(23, Math.round(((r + g + b) / 3 - 8) / 10)));
  const gv = 8 + 10 * gi2;
  const dg = (gv - r) ** 2 + (gv - g) ** 2 + (gv - b) ** 2;
  return dg < dc ? 232 + gi2 : cube;
}

/** The cell size a photo takes in a box of cols×rows, aspect kept (1 cell = 1×2 pixels). */
export function photoCellSize(img: { width: number; height: number }, cols: number, rows: number): { cols: number; rows: number } {
  const { w, h } = fitSize(img.width, img.height, cols, rows * 2);
  return { cols: w, rows: Math.ceil(h / 2) };
}

/** Draws the photo as large as fits, centred in the rect; returns the rect it covers. */
export function drawPhoto(c: Canvas, r: Rect, img: Rgba): Rect {
  const { w, h } = fitSize(img.width, img.height, r.w, r.h * 2);
  if (w === 0) return { ...r, w: 0, h: 0 };
  const px = resample(img, w, h);
  const cellRows = Math.ceil(h / 2);
  const x0 = r.x + Math.floor((r.w - w) / 2), y0 = r.y + Math.floor((r.h - cellRows) / 2);
  const colour = (x: number, y: number): number => {
    const i = (y * w + x) * 4;
    return xterm256(px.data[i]!, px.data[i + 1]!, px.data[i + 2]!);
  };
  for (let cy = 0; cy < cellRows; cy++) {
    for (let x = 0; x < w; x++) {
      // An odd last pixel row leaves the lower half to the box's own background.
      const lower = 2 * cy + 1 < h ? colour(x, 2 * cy + 1) : undefined;
      c.put(x0 + x, y0 + cy, '▀', { fg: colour(x, 2 * cy), ...(lower === undefined ? {} : { bg: lower }) });
    }
  }
  return { x: x0, y: y0, w, h: cellRows };
}
