// A photo as a sixel image: scaled to fit maxW×maxH pixels (aspect kept), quantised to a palette
// fitted to it (palette.ts) and encoded. Pure and synchronous: the preparer's worker thread runs it
// (photo-prepare-worker.ts), so that a photo's 20–60 ms here (100–250 ms on a Pi) never holds the screen.
import { FINALIZER, introducer, toRGBA8888 } from 'sixel';
// Indexed encoding (our palette, our indices) is exported by the module, not the package index.
import { sixelEncodeIndexed } from 'sixel/lib/SixelEncoder.js';
import { fitPalette } from './palette.ts';
import { fitSize, resample, type Rgba } from './photo.ts';

/** An encoded image: the DCS sequence and its size in pixels. */
export interface SixelImage {
  seq: string;
  width: number;
  height: number;
}

/** `img` scaled to fit maxW×maxH (unchanged when it fits exactly). */
export function scaleToFit(img: Rgba, maxW: number, maxH: number): Rgba {
  const { w, h } = fitSize(img.width, img.height, maxW, maxH);
  return img.width === w && img.height === h ? img : resample(img, w, h);
}

export function sixelImage(img: Rgba, maxW: number, maxH: number, colors: number): SixelImage {
  const px = scaleToFit(img, maxW, maxH);
  const q = fitPalette(px, colors);
  const seq =
    introducer(0) +
    sixelEncodeIndexed(
      q.indices,
      px.width,
      px.height,
      q.palette.map(([r, g, b]) => toRGBA8888(r, g, b)),
    ) +
    FINALIZER;
  return { seq, width: px.width, height: px.height };
}

/**
 * A grey box of the photo's size, built without encoding (a few bytes a sixel row): shown when
 * the preparation failed, so the cashier sees that a photo belongs there and must check the child.
 */
export function placeholderSixel(img: { width: number; height: number }, maxW: number, maxH: number): SixelImage {
  const { w, h } = fitSize(img.width, img.height, maxW, maxH);
  const row = `#0!${w}~`;
  const seq = `${introducer(0)}#0;2;40;40;40${Array.from({ length: Math.ceil(h / 6) }, () => row).join('-')}${FINALIZER}`;
  return { seq, width: w, height: h };
}
