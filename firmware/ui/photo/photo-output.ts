// The photo as real pixels: sixel escape sequences to the terminal (npm `sixel`, quantised to a
// palette fitted to each photo), or straight into the Linux framebuffer. The screens leave the
// photo box blank and say where it is; after each frame the display paints the photo there.
import { FINALIZER, introducer, toRGBA8888 } from 'sixel';
// Indexed encoding (our palette, our indices) is exported by the module, not the package index.
import { sixelEncodeIndexed } from 'sixel/lib/SixelEncoder.js';
import { fitPalette } from './palette.ts';
import { Framebuffer, type FramebufferPaths } from '../../../hal/pi/framebuffer.ts';
import type { DisplayConfig } from '../../config/schema.ts';
import type { Rect } from '../draw/canvas.ts';
import { fitSize, resample, type Rgba } from './photo.ts';
import type { TerminalAbilities } from '../draw/terminal-probe.ts';

export interface CellSize { w: number; h: number }
/** Where the photo goes, in cells (the photo box less its margin). */
export interface PhotoPlacement { rect: Rect; img: Rgba }

export interface PixelOutput {
  readonly kind: 'sixel' | 'framebuffer';
  /** A cell's size in pixels on a terminal of cols×rows. */
  cell(cols: number, rows: number): CellSize;
  /** Paints the photo as large as fits, centred in its rect. */
  paint(p: PhotoPlacement, cols: number, rows: number): void;
  /** Drops the scaled and encoded photo it keeps for the next frame (back at idle: no face kept). */
  forget(): void;
  close(): void;
}

/** The photo scaled to fit w×h pixels (aspect kept); the last result is kept for the next frame. */
class Scaler {
  #last: { img: Rgba; w: number; h: number; out: Rgba } | null = null;
  fit(img: Rgba, maxW: number, maxH: number): Rgba {
    const { w, h } = fitSize(img.width, img.height, maxW, maxH);
    const l = this.#last;
    if (l && l.img === img && l.w === w && l.h === h) return l.out;
    const out = img.width === w && img.height === h ? img : resample(img, w, h);
    this.#last = { img, w, h, out };
    return out;
  }
  clear(): void { this.#last = null; }
}

/** Sixel: the photo quantised to `colors` registers; the encoded sequence is kept until the photo or its size changes. */
export class SixelOutput implements PixelOutput {
  readonly kind = 'sixel';
  readonly #scaler = new Scaler();
  #encoded: { px: Rgba; seq: string } | null = null;

  constructor(private readonly write: (s: string) => void, private readonly cellSize: CellSize, private readonly colors = 256) {}

  cell(): CellSize { return this.cellSize; }

  /** The escape sequence drawing `p` (cursor saved and restored around it, so blessed's idea of it holds). */
  sequence(p: PhotoPlacement): string {
    const { w: cw, h: ch } = this.cellSize;
    const px = this.#scaler.fit(p.img, p.rect.w * cw, p.rect.h * ch);
    if (this.#encoded?.px !== px) {
      const q = fitPalette(px, this.colors);
      this.#encoded = { px, seq: introducer(0) + sixelEncodeIndexed(q.indices, px.width, px.height, q.palette.map(([r, g, b]) => toRGBA8888(r, g, b))) + FINALIZER };
    }
    // A sixel image starts at the cursor's cell: centred to the cell.
    const col = p.rect.x + Math.floor((p.rect.w * cw - px.width) / 2 / cw);
    const row = p.rect.y + Math.floor((p.rect.h * ch - px.height) / 2 / ch);
    return `\x1b7\x1b[${row + 1};${col + 1}H${this.#encoded.seq}\x1b8`;
  }

  paint(p: PhotoPlacement): void { this.write(this.sequence(p)); }
  forget(): void { this.#scaler.clear(); this.#encoded = null; }
  close(): void { this.forget(); }
}

/** The framebuffer: the console's cells divide the screen evenly, so a cell is the screen over cols×rows. */
export class FramebufferOutput implements PixelOutput {
  readonly kind = 'framebuffer';
  readonly #scaler = new Scaler();
  constructor(private readonly fb: Framebuffer) {}

  cell(cols: number, rows: number): CellSize {
    const g = this.fb.geometry;
    return { w: Math.max(1, Math.floor(g.width / Math.max(1, cols))), h: Math.max(1, Math.floor(g.height / Math.max(1, rows))) };
  }

  paint(p: PhotoPlacement, cols: number, rows: number): void {
    const { w: cw, h: ch } = this.cell(cols, rows);
    const px = this.#scaler.fit(p.img, p.rect.w * cw, p.rect.h * ch);
    this.fb.blit(p.rect.x * cw + Math.floor((p.rect.w * cw - px.width) / 2), p.rect.y * ch + Math.floor((p.rect.h * ch - px.height) / 2), px);
  }

  forget(): void { this.#scaler.clear(); }
  close(): void { this.forget(); this.fb.close(); }
}

export interface OutputChoice {
  output: PixelOutput | null;
  /** Why this one (logged once at start; no personal data). */
  why: string;
}

/**
 * Picks the photo path for `display.photo`: auto = sixel if the terminal said it has it and its
 * cell size, else the framebuffer on the bare console (TERM=linux) if it opens, else cells.
 */
export function choosePhotoOutput(cfg: DisplayConfig, t: TerminalAbilities, term: string | undefined, write: (s: string) => void): OutputChoice {
  const sixel = (): OutputChoice | string => {
    if (!t.sixel) return 'the terminal does not report sixel graphics';
    if (!t.cell) return 'the terminal does not report its cell size (CSI 16 t)';
    return { output: new SixelOutput(write, t.cell, Math.max(2, Math.min(256, t.colorRegisters ?? 256))), why: `sixel, cells of ${t.cell.w}×${t.cell.h} px` };
  };
  const framebuffer = (): OutputChoice | string => {
    try {
      const fb = Framebuffer.open(cfg.framebuffer as FramebufferPaths);
      const g = fb.geometry;
      return { output: new FramebufferOutput(fb), why: `framebuffer ${g.width}×${g.height} at ${g.bitsPerPixel} bpp` };
    } catch (e) {
      return `framebuffer ${cfg.framebuffer.device}: ${(e as Error).message}`;
    }
  };
  const cells = (why: string): OutputChoice => ({ output: null, why: `cells (${why})` });
  const pick = (r: OutputChoice | string) => (typeof r === 'string' ? cells(r) : r);
  switch (cfg.photo) {
    case 'cells': return cells('display.photo is cells');
    case 'sixel': return pick(sixel());
    case 'framebuffer': return pick(framebuffer());
    default: {
      const s = sixel();
      if (typeof s !== 'string') return s;
      if (term !== 'linux') return cells(`${s}; not the bare console (TERM=${term ?? ''}), so no framebuffer`);
      const f = framebuffer();
      return typeof f === 'string' ? cells(`${s}; ${f}`) : f;
    }
  }
}

/**
 * For `klubkort selftest`: which photo path this terminal gets, and whether it can show a photo
 * at all (a pixel path, or half blocks in 256 colours). Asks the terminal as the display does.
 */
export async function photoPathCheck(cfg: DisplayConfig, colors: number, probe: () => Promise<TerminalAbilities>, term = process.env.TERM): Promise<[boolean, string]> {
  const choice = choosePhotoOutput(cfg, await probe(), term, () => {});
  const kind = choice.output?.kind;
  choice.output?.close();
  if (kind) return [true, choice.why];
  if (colors >= 256) return [true, `${choice.why}; half blocks in ${colors} colours`];
  return [false, `cannot be shown: ${choice.why}; the terminal has ${colors} colours (256 needed for cells). Use the kiosk (cage + foot) or the framebuffer (docs/deploy.md)`];
}
