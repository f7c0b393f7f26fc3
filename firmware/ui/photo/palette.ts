// A palette fitted to each photo, fast enough for every tap: median cut over a 15-bit colour
// histogram (the sixel package's own quantiser takes ~10× longer on a Pi-sized photo), each box's
// colour the mean of its pixels, each pixel the index of its box. Sixel terminals hold 256 colour registers.
import type { Rgba } from './photo.ts';
import { must } from '../../../lib/must.ts';

interface ColourBox {
  bins: number[];
  count: number;
}

const channel = (bin: number, c: 0 | 1 | 2) => (bin >> (10 - 5 * c)) & 31;

/** Splits the box with the most pixels × widest channel at its median pixel. */
function splitBox(box: ColourBox, hist: Uint32Array): [ColourBox, ColourBox] | null {
  if (box.bins.length < 2) return null;
  let best: 0 | 1 | 2 = 0,
    bestRange = -1;
  for (const c of [0, 1, 2] as const) {
    let lo = 31,
      hi = 0;
    for (const b of box.bins) {
      const v = channel(b, c);
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
    if (hi - lo > bestRange) {
      bestRange = hi - lo;
      best = c;
    }
  }
  const sorted = box.bins.sort((a, b) => channel(a, best) - channel(b, best));
  let acc = 0,
    cut = 0;
  while (cut < sorted.length - 1 && acc + hist[sorted[cut]] <= box.count / 2) acc += hist[sorted[cut++]];
  cut = Math.max(1, cut);
  const left = sorted.slice(0, cut),
    right = sorted.slice(cut);
  const sum = (bins: number[]) => bins.reduce((n, b) => n + hist[b], 0);
  return [
    { bins: left, count: sum(left) },
    { bins: right, count: sum(right) },
  ];
}

/** The image as palette indices (one a pixel), and at most `colors` colours as [r, g, b]. */
export function fitPalette(img: Rgba, colors = 256): { indices: Uint16Array; palette: [number, number, number][] } {
  const n = img.width * img.height;
  const hist = new Uint32Array(32768);
  const binOf = new Uint16Array(n);
  for (let i = 0; i < n; i++) {
    const o = i * 4;
    const b = ((img.data[o] >> 3) << 10) | ((img.data[o + 1] >> 3) << 5) | (img.data[o + 2] >> 3);
    binOf[i] = b;
    hist[b]++;
  }
  const used: number[] = [];
  for (let b = 0; b < 32768; b++) if (hist[b]) used.push(b);
  const boxes: ColourBox[] = [{ bins: used, count: n }];
  while (boxes.length < colors) {
    // The most populous box that can still be split.
    let i = -1;
    for (let k = 0; k < boxes.length; k++)
      if (boxes[k].bins.length > 1 && (i < 0 || boxes[k].count > boxes[i].count)) i = k;
    if (i < 0) break;
    boxes.splice(i, 1, ...must(splitBox(boxes[i], hist), 'a split of a box of more than one bin'));
  }
  // Each box's colour is the mean of its pixels (in full 8-bit precision).
  const sums = boxes.map(() => [0, 0, 0, 0]);
  const boxOfBin = new Int16Array(32768).fill(-1);
  boxes.forEach((b, k) => {
    for (const bin of b.bins) boxOfBin[bin] = k;
  });
  for (let i = 0; i < n; i++) {
    const s = sums[boxOfBin[binOf[i]]],
      o = i * 4;
    s[0] += img.data[o];
    s[1] += img.data[o + 1];
    s[2] += img.data[o + 2];
    s[3]++;
  }
  const palette = sums.map(
    (s) => [0, 1, 2].map((c) => Math.round(s[c] / Math.max(1, s[3]))) as [number, number, number],
  );
  const indices = new Uint16Array(n);
  for (let i = 0; i < n; i++) indices[i] = boxOfBin[binOf[i]];
  return { indices, palette };
}
