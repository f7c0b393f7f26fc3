// The photo as real pixels: sixel escape sequences to the terminal (npm `sixel`, quantised to a
// palette fitted to each photo), or straight into the Linux framebuffer. The screens leave the
// photo box blank and say where it is; after each frame the display paints the photo there.
import { placeholderSixel, scaleToFit, sixelImage, type SixelImage } from './photo-sixel.ts';
import type { PhotoPreparer } from './photo-preparer.ts';
import type { Logger } from '../../log.ts';
import { Framebuffer, type FramebufferPaths } from '../../../hal/pi/framebuffer.ts';
import type { DisplayConfig } from '../../config/schema.ts';
import type { PreparedPhoto } from '../../../hal/types.ts';
import type { Rect } from '../draw/canvas.ts';
import { fitSize, type Rgba } from './photo.ts';
import type { TerminalAbilities } from '../draw/terminal-probe.ts';

export interface CellSize {
  w: number;
  h: number;
}
/** Where the photo goes, in cells (the photo box less its margin). */
export interface PhotoPlacement {
  rect: Rect;
  img: Rgba;
}

export interface PixelOutput {
  readonly kind: 'sixel' | 'framebuffer';
  /** A cell's size in pixels on a terminal of cols×rows. */
  cell(cols: number, rows: number): CellSize;
  /** Paints the photo as large as fits, centred in its rect. */
  paint(p: PhotoPlacement, cols: number, rows: number): void;
  /** What its prepared photos are kept under (the output and what shapes their bytes). */
  readonly preparedKey: string;
  /** `img` prepared ahead for a box of maxW×maxH pixels, as a tap would paint it (photo-prefill.ts). */
  prepareAhead(
    preparer: Preparer,
    img: Rgba,
    maxW: number,
    maxH: number,
  ): Promise<Omit<PreparedPhoto, 'srcWidth' | 'srcHeight'>>;
  /** Drops the scaled and encoded photo it keeps for the next frame (back at idle: no face kept). */
  forget(): void;
  close(): void;
}

/**
 * Off the event loop: photos prepared by `preparer` (a worker); `ready` asks for the frame again
 * once one is (the display's redraw). Without it the photo is prepared in the frame (tests, bench).
 */
export interface OffThread {
  preparer: Preparer;
  ready: () => void;
  log?: Pick<Logger, 'warn'>;
  /** A photo read prepared ahead has no size for this box: its pixels are wanted (decoded). */
  needPixels?: (sha: string) => void;
}

/** What prepares a photo off the thread (PhotoPreparer; a test may count its calls). */
export type Preparer = Pick<PhotoPreparer, 'sixel' | 'scale'>;

type Box = { img: Rgba; maxW: number; maxH: number };
const sameBox = (a: Box | null, b: Box): a is Box =>
  a !== null && a.img === b.img && a.maxW === b.maxW && a.maxH === b.maxH;

/**
 * The photo prepared for its box (maxW×maxH pixels), kept for the next frames until the photo or
 * the box changes: in the frame, or in the worker (`get` is null until it is ready). A failed
 * preparation gives `failed` instead (a grey box: the cashier sees a photo belongs there).
 */
class Prepared<T> {
  #done: (Box & { value: T }) | null = null;
  #pending: Box | null = null;

  constructor(
    private readonly inFrame: (b: Box) => T,
    private readonly offThread: OffThread | undefined,
    private readonly inWorker: (p: Preparer, b: Box) => Promise<T>,
    private readonly failed: (b: Box) => T,
    private readonly stored: (p: PreparedPhoto) => T,
  ) {}

  get(box: Box): T | null {
    if (sameBox(this.#done, box)) return this.#done.value;
    const o = this.offThread;
    const ahead = box.img.prepared;
    if (ahead) {
      // Read prepared: the size that fits this box is the one a decode would have made, or none fits.
      const { w, h } = fitSize(box.img.width, box.img.height, box.maxW, box.maxH);
      const size = ahead.sizes.find((s) => s.width === w && s.height === h);
      if (size) {
        this.#done = { ...box, value: this.stored(size) };
        return this.#done.value;
      }
      o?.needPixels?.(ahead.sha);
      return null;
    }
    if (!o) {
      this.#done = { ...box, value: this.inFrame(box) };
      return this.#done.value;
    }
    if (!sameBox(this.#pending, box)) this.#prepare(box, o);
    return null;
  }

  /** A newer photo (or forget) makes the result moot. */
  #prepare(box: Box, o: OffThread): void {
    const job = { ...box };
    this.#pending = job;
    const done = (value: T) => {
      if (this.#pending !== job) return;
      this.#pending = null;
      this.#done = { ...job, value };
      o.ready();
    };
    this.inWorker(o.preparer, box).then(done, (e: Error) => {
      if (this.#pending !== job) return;
      o.log?.warn({ err: e.message }, 'photo not prepared: a placeholder shown');
      done(this.failed(box));
    });
  }

  forget(): void {
    this.#done = null;
    this.#pending = null;
  }
}

/**
 * Synchronized update (DECSET 2026) around the sixel: the terminal draws it whole or not yet. foot
 * drew a frame in the middle of the ~140 KB sequence now and then on a busy machine, and that foot
 * then showed no sixel at all (ui-kiosk under load: 6 runs in 14 before, 2 in 12 after). Terminals
 * without the mode ignore it.
 */
const SYNC_BEGIN = '\x1b[?2026h';
const SYNC_END = '\x1b[?2026l';

/** Sixel: the photo quantised to `colors` registers; the encoded sequence is kept until the photo or its size changes. */
export class SixelOutput implements PixelOutput {
  readonly kind = 'sixel';
  readonly #image: Prepared<SixelImage>;

  constructor(
    private readonly write: (s: string) => void,
    private readonly cellSize: CellSize,
    colors = 256,
    offThread?: OffThread,
  ) {
    this.#image = new Prepared(
      (b) => sixelImage(b.img, b.maxW, b.maxH, colors),
      offThread,
      (p, b) => p.sixel(b.img, b.maxW, b.maxH, colors),
      (b) => placeholderSixel(b.img, b.maxW, b.maxH),
      (p) => ({ seq: p.bytes.toString('latin1'), width: p.width, height: p.height }),
    );
    this.preparedKey = `sixel:${colors}`;
    this.#colors = colors;
  }

  readonly preparedKey: string;
  readonly #colors: number;

  async prepareAhead(preparer: Preparer, img: Rgba, maxW: number, maxH: number) {
    const s = await preparer.sixel(img, maxW, maxH, this.#colors);
    return { width: s.width, height: s.height, bytes: Buffer.from(s.seq, 'latin1') };
  }

  cell(): CellSize {
    return this.cellSize;
  }

  /** The escape sequence drawing `p` (cursor saved and restored around it, so blessed's idea of it holds; one synchronized update); null while it is prepared off the thread. */
  sequence(p: PhotoPlacement): string | null {
    const { w: cw, h: ch } = this.cellSize;
    const maxW = p.rect.w * cw,
      maxH = p.rect.h * ch;
    const e = this.#image.get({ img: p.img, maxW, maxH });
    if (!e) return null;
    // A sixel image starts at the cursor's cell: centred to the cell.
    const col = p.rect.x + Math.floor((maxW - e.width) / 2 / cw);
    const row = p.rect.y + Math.floor((maxH - e.height) / 2 / ch);
    return `${SYNC_BEGIN}\x1b7\x1b[${row + 1};${col + 1}H${e.seq}\x1b8${SYNC_END}`;
  }

  paint(p: PhotoPlacement): void {
    const seq = this.sequence(p);
    if (seq !== null) this.write(seq);
  }

  forget(): void {
    this.#image.forget();
  }
  close(): void {
    this.forget();
  }
}

/** A grey box of the photo's size in the box (the framebuffer's placeholder). */
function greyBox(b: Box): Rgba {
  const { w, h } = fitSize(b.img.width, b.img.height, b.maxW, b.maxH);
  const data = new Uint8Array(w * h * 4).fill(40);
  for (let i = 3; i < data.length; i += 4) data[i] = 255;
  return { width: w, height: h, data };
}

/** The framebuffer: the console's cells divide the screen evenly, so a cell is the screen over cols×rows. */
export class FramebufferOutput implements PixelOutput {
  readonly kind = 'framebuffer';
  readonly #scaled: Prepared<Rgba>;
  constructor(
    private readonly fb: Framebuffer,
    offThread?: OffThread,
  ) {
    this.#scaled = new Prepared(
      (b) => scaleToFit(b.img, b.maxW, b.maxH),
      offThread,
      (p, b) => p.scale(b.img, b.maxW, b.maxH),
      greyBox,
      (p) => ({
        width: p.width,
        height: p.height,
        data: new Uint8Array(p.bytes.buffer, p.bytes.byteOffset, p.bytes.length),
      }),
    );
  }

  readonly preparedKey = 'framebuffer';

  async prepareAhead(preparer: Preparer, img: Rgba, maxW: number, maxH: number) {
    const px = await preparer.scale(img, maxW, maxH);
    return {
      width: px.width,
      height: px.height,
      bytes: Buffer.from(px.data.buffer, px.data.byteOffset, px.data.length),
    };
  }

  cell(cols: number, rows: number): CellSize {
    const g = this.fb.geometry;
    return {
      w: Math.max(1, Math.floor(g.width / Math.max(1, cols))),
      h: Math.max(1, Math.floor(g.height / Math.max(1, rows))),
    };
  }

  paint(p: PhotoPlacement, cols: number, rows: number): void {
    const { w: cw, h: ch } = this.cell(cols, rows);
    const px = this.#scaled.get({ img: p.img, maxW: p.rect.w * cw, maxH: p.rect.h * ch });
    if (!px) return;
    this.fb.blit(
      p.rect.x * cw + Math.floor((p.rect.w * cw - px.width) / 2),
      p.rect.y * ch + Math.floor((p.rect.h * ch - px.height) / 2),
      px,
    );
  }

  forget(): void {
    this.#scaled.forget();
  }
  close(): void {
    this.forget();
    this.fb.close();
  }
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
export function choosePhotoOutput(
  cfg: DisplayConfig,
  t: TerminalAbilities,
  term: string | undefined,
  write: (s: string) => void,
  offThread?: OffThread,
): OutputChoice {
  const sixel = (): OutputChoice | string => {
    if (!t.sixel) return 'the terminal does not report sixel graphics';
    if (!t.cell) return 'the terminal does not report its cell size (CSI 16 t)';
    return {
      output: new SixelOutput(write, t.cell, Math.max(2, Math.min(256, t.colorRegisters ?? 256)), offThread),
      why: `sixel, cells of ${t.cell.w}×${t.cell.h} px`,
    };
  };
  const framebuffer = (): OutputChoice | string => {
    try {
      const fb = Framebuffer.open(cfg.framebuffer as FramebufferPaths);
      const g = fb.geometry;
      return {
        output: new FramebufferOutput(fb, offThread),
        why: `framebuffer ${g.width}×${g.height} at ${g.bitsPerPixel} bpp`,
      };
    } catch (e) {
      return `framebuffer ${cfg.framebuffer.device}: ${(e as Error).message}`;
    }
  };
  const cells = (why: string): OutputChoice => ({ output: null, why: `cells (${why})` });
  const pick = (r: OutputChoice | string) => (typeof r === 'string' ? cells(r) : r);
  switch (cfg.photo) {
    case 'cells':
      return cells('display.photo is cells');
    case 'sixel':
      return pick(sixel());
    case 'framebuffer':
      return pick(framebuffer());
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
export async function photoPathCheck(
  cfg: DisplayConfig,
  colors: number,
  probe: () => Promise<TerminalAbilities>,
  term = process.env.TERM,
): Promise<[boolean, string]> {
  const choice = choosePhotoOutput(cfg, await probe(), term, () => {});
  const kind = choice.output?.kind;
  choice.output?.close();
  if (kind) return [true, choice.why];
  if (colors >= 256) return [true, `${choice.why}; half blocks in ${colors} colours`];
  return [
    false,
    `cannot be shown: ${choice.why}; the terminal has ${colors} colours (256 needed for cells). Use the kiosk (cage + foot) or the framebuffer (docs/deploy.md)`,
  ];
}
