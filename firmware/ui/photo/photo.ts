// The child's photo in character cells: each cell is an upper half block '▀' whose foreground is
// the upper pixel and background the lower one, in the xterm 256-colour palette. A cell is about
// twice as tall as wide, so one cell = 1×2 square pixels and the aspect ratio is kept.
import type { Canvas, Rect } from '../draw/canvas.ts';
import type { PreparedPhoto } from '../../../hal/types.ts';

/** Decoded pixels, 4 bytes (RGBA) a pixel, row by row. */
export interface Rgba {
  width: number;
  height: number;
  data: Uint8Array;
  /**
   * Set when the photo was read prepared ahead instead of decoded: `data` is then empty, the size
   * is the decoded photo's, and the pixel output paints one of `sizes` (or asks for the pixels).
   */
  prepared?: { sha: string; sizes: readonly PreparedPhoto[] };
}

/** The largest size within maxW×maxH with the source's aspect ratio (at least 1×1). */
export function fitSize(w: number, h: number, maxW: number, maxH: number): { w: number; h: number } {
  if (w <= 0 || h <= 0 || maxW <= 0 || maxH <= 0) return { w: 0, h: 0 };
  const s = Math.min(maxW / w, maxH / h);
  return { w: Math.max(1, Math.min(maxW, Math.round(w * s))), h: Math.max(1, Math.min(maxH, Math.round(h * s))) };
}

/**
 * Resamples to tw×th: shrinking averages each target pixel's area of the source (partly covered
 * pixels by their share), enlarging interpolates linearly; alpha is laid over black. Self-contained
 * (no helpers, no closures): the decoder worker runs this very function from its source text.
 */
export function resample(img: Rgba, tw: number, th: number): Rgba {
  // Per axis, for each target index: its source indices and weights (x first, then y).
  const taps: { idx: number[]; wt: number[] }[][] = [[], []];
  for (let ax = 0; ax < 2; ax++) {
    const n = ax === 0 ? img.width : img.height,
      t = ax === 0 ? tw : th,
      s = n / t;
    for (let k = 0; k < t; k++) {
      const idx: number[] = [],
        wt: number[] = [];
      if (s >= 1) {
        const a = k * s,
          b = (k + 1) * s;
        for (let i = Math.floor(a); i < Math.min(n, Math.ceil(b)); i++) {
          const w = Math.min(b, i + 1) - Math.max(a, i);
          if (w > 1e-9) {
            idx.push(i);
            wt.push(w / s);
          }
        }
      } else {
        const c = Math.max(0, Math.min(n - 1, (k + 0.5) * s - 0.5));
        const i0 = Math.floor(c),
          i1 = Math.min(n - 1, i0 + 1);
        idx.push(i0, i1);
        wt.push(1 - (c - i0), c - i0);
      }
      taps[ax].push({ idx, wt });
    }
  }
  // Horizontal pass into premultiplied RGB rows, then the vertical pass.
  const tmp = new Float32Array(tw * img.height * 3);
  for (let y = 0; y < img.height; y++) {
    for (let x = 0; x < tw; x++) {
      const tap = taps[0][x];
      let r = 0,
        g = 0,
        b = 0;
      for (let j = 0; j < tap.idx.length; j++) {
        const i = (y * img.width + tap.idx[j]) * 4,
          w = (tap.wt[j] * img.data[i + 3]) / 255;
        r += img.data[i] * w;
        g += img.data[i + 1] * w;
        b += img.data[i + 2] * w;
      }
      const o = (y * tw + x) * 3;
      tmp[o] = r;
      tmp[o + 1] = g;
      tmp[o + 2] = b;
    }
  }
  const out = new Uint8Array(tw * th * 4);
  for (let y = 0; y < th; y++) {
    const tap = taps[1][y];
    for (let x = 0; x < tw; x++) {
      let r = 0,
        g = 0,
        b = 0;
      for (let j = 0; j < tap.idx.length; j++) {
        const i = (tap.idx[j] * tw + x) * 3,
          w = tap.wt[j];
        r += tmp[i] * w;
        g += tmp[i + 1] * w;
        b += tmp[i + 2] * w;
      }
      const o = (y * tw + x) * 4;
      out[o] = Math.round(r);
      out[o + 1] = Math.round(g);
      out[o + 2] = Math.round(b);
      out[o + 3] = 255;
    }
  }
  return { width: tw, height: th, data: out };
}

const LEVELS = [0, 95, 135, 175, 215, 255];
const nearestLevel = (v: number): number => {
  let best = 0;
  for (let i = 1; i < LEVELS.length; i++) if (Math.abs(LEVELS[i] - v) < Math.abs(LEVELS[best] - v)) best = i;
  return best;
};

/** The nearest xterm-256 colour: the 6×6×6 cube (16–231) or the grey ramp (232–255). */
export function xterm256(r: number, g: number, b: number): number {
  const [ri, gi, bi] = [nearestLevel(r), nearestLevel(g), nearestLevel(b)];
  const cube = 16 + 36 * ri + 6 * gi + bi;
  const dc = (LEVELS[ri] - r) ** 2 + (LEVELS[gi] - g) ** 2 + (LEVELS[bi] - b) ** 2;
  const gi2 = Math.max(0, Math.min(23, Math.round(((r + g + b) / 3 - 8) / 10)));
  const gv = 8 + 10 * gi2;
  const dg = (gv - r) ** 2 + (gv - g) ** 2 + (gv - b) ** 2;
  return dg < dc ? 232 + gi2 : cube;
}

/** The cells a photo takes in a box of cols×rows, aspect kept; a cell is 1×2 pixels in half blocks, or its real size in pixels. */
export function photoCellSize(
  img: { width: number; height: number },
  cols: number,
  rows: number,
  cell = { w: 1, h: 2 },
): { cols: number; rows: number } {
  const { w, h } = fitSize(img.width, img.height, cols * cell.w, rows * cell.h);
  return { cols: Math.ceil(w / cell.w), rows: Math.ceil(h / cell.h) };
}

/** Draws the photo as large as fits, centred in the rect; returns the rect it covers. */
export function drawPhoto(c: Canvas, r: Rect, img: Rgba): Rect {
  const { w, h } = fitSize(img.width, img.height, r.w, r.h * 2);
  if (w === 0) return { ...r, w: 0, h: 0 };
  const px = resample(img, w, h);
  const cellRows = Math.ceil(h / 2);
  const x0 = r.x + Math.floor((r.w - w) / 2),
    y0 = r.y + Math.floor((r.h - cellRows) / 2);
  const colour = (x: number, y: number): number => {
    const i = (y * w + x) * 4;
    return xterm256(px.data[i], px.data[i + 1], px.data[i + 2]);
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
