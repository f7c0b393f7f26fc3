// Draws the screen model on the console with blessed. draw() only stores the model and schedules
// a frame: the daemon never waits for the terminal, and photos arrive when they are decoded.
// With a pixel path (sixel, framebuffer) the photo is painted into its box after each frame.
import type { Display, PhotoLookup, PreparedPhotoStore, ScreenModel } from '../../hal/types.ts';
import type { ConsoleScreen } from './console-screen.ts';
import type { Overlay } from './draw-context.ts';
import type { Lang } from './labels.ts';
import type { Logger } from '../log.ts';
import type { DisplayConfig } from '../config/schema.ts';
import type { PhotoMode } from './draw-context.ts';
import { choosePhotoOutput, type PhotoPlacement, type PixelOutput, type Preparer } from './photo/photo-output.ts';
import { PhotoPrefill } from './photo/photo-prefill.ts';
import type { Rect } from './draw/canvas.ts';
import { text } from '../words.ts';
import { PhotoCache } from './photo/photo-cache.ts';
import { PhotoPreparer } from './photo/photo-preparer.ts';
import { formatClock } from './format.ts';
import { PHOTO_SCREENS, renderFrame } from './frame.ts';
import type { Intervals, TimerHandle, Timers } from '../../lib/timers.ts';

export interface BlessedDisplayOptions {
  lang: Lang;
  photos: PhotoLookup;
  /** Photos prepared ahead for the pixel output (the journal's): filled in the background, read at a tap. */
  prepared?: PreparedPhotoStore;
  /** For tests: what prepares photos off the thread (a worker of its own otherwise). */
  preparer?: Preparer & { close(): Promise<void> };
  overlay?: Overlay;
  /** Photo refusals (reason and size only), and the photo path chosen. */
  log?: Pick<Logger, 'warn' | 'info'>;
  /** `display` of the config: how the photo is shown (auto when left out). */
  display?: DisplayConfig;
  /** For tests: the clock shown. */
  now?: () => Date;
  /** The club's time zone (config `timeZone`): the times on screen are its. */
  timeZone?: string;
  /** The clock's ticker and the photo deadlines. */
  timers: Timers & Intervals;
}

/** When a prepared photo is drawn the second time (see #photoReady). */
const AGAIN_MS = 400;

export class BlessedDisplay implements Display {
  readonly #photos: PhotoCache;
  readonly #now: () => Date;
  #model: ScreenModel | null = null;
  #scheduled = false;
  #clockShown = '';
  #ticker: TimerHandle | null = null;
  #output: PixelOutput | null = null;
  #painted: PhotoPlacement | null = null;
  /** Scales and encodes photos off the event loop (a worker), so keys and taps never wait for one. */
  readonly #preparer: Preparer & { close(): Promise<void> };
  #prefill: PhotoPrefill | null = null;
  #repaintBeforePhoto = false;
  #again: TimerHandle | null = null;

  constructor(
    private readonly console: ConsoleScreen,
    private readonly opts: BlessedDisplayOptions,
  ) {
    const { log, timers } = opts;
    const store = opts.prepared;
    this.#photos = new PhotoCache(opts.photos, () => this.redraw(), {
      timers,
      ...(log ? { log } : {}),
      ...(store ? { prepared: { store, output: () => this.#output?.preparedKey ?? null } } : {}),
    });
    this.#preparer = opts.preparer ?? new PhotoPreparer(log ? { log, timers } : { timers });
    this.#now = opts.now ?? (() => new Date());
    console.onResize(() => this.redraw());
  }

  async start(): Promise<void> {
    await this.console.start();
    if (!this.#output) {
      const cfg = this.opts.display ?? {
        photo: 'auto',
        framebuffer: { device: '/dev/fb0', sysfs: '/sys/class/graphics/fb0' },
      };
      const choice = choosePhotoOutput(
        cfg,
        this.console.abilities,
        this.console.term,
        (d) => this.console.writeRaw(d),
        {
          preparer: this.#preparer,
          ready: () => this.#photoReady(),
          needPixels: (sha) => this.#photos.needPixels(sha),
          ...(this.opts.log ? { log: this.opts.log } : {}),
        },
      );
      this.#output = choice.output;
      this.#startPrefill();
      const colors = this.console.colors;
      this.opts.log?.info(
        { photo: choice.output?.kind ?? (colors < 256 ? 'none' : 'cells'), why: choice.why, colors },
        'photo path',
      );
    }
    // The clock on screen changes once a minute; look every second so it is never late.
    this.#ticker ??= this.opts.timers.setInterval(
      () => {
        if (formatClock(this.#now(), this.opts.timeZone) !== this.#clockShown) this.redraw();
      },
      1000,
      true,
    );
    this.redraw();
  }

  async stop(): Promise<void> {
    if (this.#again) this.opts.timers.clearTimeout(this.#again);
    this.#again = null;
    if (this.#ticker) this.opts.timers.clearInterval(this.#ticker);
    this.#ticker = null;
    await this.#prefill?.stop();
    this.#prefill = null;
    this.console.stop();
    this.#output?.close();
    this.#output = null;
    this.#painted = null;
    await this.#photos.close();
    await this.#preparer.close();
  }

  draw(model: ScreenModel): void {
    // Back at idle the sale is over: no child's photo stays in memory.
    if (model.screen === 'idle') {
      this.#photos.clear();
      this.#output?.forget();
    }
    this.#model = model;
    // The photo's load (a prepared row's read, or its decode) starts now, beside the frame's work.
    if (model.card?.photo && PHOTO_SCREENS.has(model.screen) && this.#output) this.#photos.get(model.card.photo);
    this.redraw();
  }

  /** Resolves when the photos stored so far are prepared ahead (tests, the bench). */
  async photosPrepared(): Promise<void> {
    await this.#prefill?.settled();
  }

  /** With a pixel output and a store: prepares the stored photos now and whenever photos are stored. */
  #startPrefill(): void {
    const out = this.#output;
    const store = this.opts.prepared;
    if (!out || !store || this.#prefill) return;
    const prefill = new PhotoPrefill({
      store,
      lookup: this.opts.photos,
      output: out,
      preparer: this.#preparer,
      box: (shape) => this.#photoBox(out, shape),
      // Not before the terminal drew its first screen: the photo box is laid out like it.
      idle: () => this.#model?.screen === 'idle',
      timers: this.opts.timers,
      ...(this.opts.log ? { log: this.opts.log } : {}),
    });
    this.#prefill = prefill;
    store.onStored(() => {
      if (this.#prefill === prefill) prefill.kick();
    });
    prefill.kick();
  }

  /**
   * The box, in pixels, the confirm screen gives a photo of this shape on this console (as the
   * frame lays it out; the prepared size is the one a tap would make).
   */
  #photoBox(out: PixelOutput, shape: { width: number; height: number }): { maxW: number; maxH: number } | null {
    const model = this.#model;
    if (!this.console.started || !model) return null;
    const { cols, rows } = this.console.size;
    const cell = out.cell(cols, rows);
    const lang = model.view.lang;
    let placed: Rect | null = null;
    renderFrame(confirmOf(model, lang), cols, rows, {
      lang,
      now: this.#now(),
      photo: () => ({ kind: 'ready', img: { ...shape, data: new Uint8Array(0) } }),
      photoMode: { kind: 'pixels', cell, place: (rect) => (placed = rect) },
      ...(this.opts.overlay ? { overlay: this.opts.overlay } : {}),
    });
    const r = placed as Rect | null;
    return r ? { maxW: r.w * cell.w, maxH: r.h * cell.h } : null;
  }

  /** The photo path in use: 'sixel', 'framebuffer', 'cells', or 'none' (cannot be shown). */
  get photoPath(): 'sixel' | 'framebuffer' | 'cells' | 'none' {
    return this.#output?.kind ?? (this.console.colors < 256 ? 'none' : 'cells');
  }

  /** The model drawn last (or about to be). */
  get model(): ScreenModel | null {
    return this.#model;
  }

  /**
   * A photo prepared off the thread: the next frame draws every cell again before it paints the
   * photo, and so does one frame a little later. foot (the kiosk) now and then shows no sixel
   * written in the frame after the one that drew the cells under it (ui-kiosk, about one run in
   * ten on a busy machine; the cause in foot is not known): the photo is what the cashier checks
   * the child by, so it is drawn a second time rather than missed.
   */
  #photoReady(): void {
    this.#repaintBeforePhoto = true;
    this.redraw();
    if (this.#again) this.opts.timers.clearTimeout(this.#again);
    this.#again = this.opts.timers.setTimeout(
      () => {
        this.#again = null;
        this.#repaintBeforePhoto = true;
        this.redraw();
      },
      AGAIN_MS,
      true,
    );
  }

  /** Schedules one frame for everything that changed in this turn of the event loop. */
  redraw(): void {
    if (this.#scheduled) return;
    this.#scheduled = true;
    // A turn of the event loop, not a wait: every change of this turn makes one frame.
    setImmediate(() => {
      this.#scheduled = false;
      this.#frame();
    });
  }

  #frame(): void {
    if (!this.console.started) return;
    const { cols, rows } = this.console.size;
    const now = this.#now();
    this.#clockShown = formatClock(now, this.opts.timeZone);
    const out = this.#output;
    let placed: PhotoPlacement | null = null;
    const photoMode: PhotoMode = out
      ? {
          kind: 'pixels',
          cell: out.cell(cols, rows),
          place: (rect, img) => {
            placed = { rect, img };
          },
        }
      : { kind: this.console.colors < 256 ? 'none' : 'cells' };
    const frame = renderFrame(this.#model, cols, rows, {
      lang: this.opts.lang,
      now,
      photo: (sha) => this.#photos.get(sha),
      photoMode,
      ...(this.opts.timeZone ? { timeZone: this.opts.timeZone } : {}),
      ...(this.opts.overlay ? { overlay: this.opts.overlay } : {}),
    });
    this.console.show(frame.lines(this.console.colors));
    if (!out) return;
    const p = placed as PhotoPlacement | null;
    // Pixels of a photo that moved or went stay on screen until every cell is drawn again.
    if ((this.#painted && !samePlacement(this.#painted, p)) || (p && this.#repaintBeforePhoto)) this.console.repaint();
    this.#repaintBeforePhoto = false;
    this.#painted = p;
    if (p) out.paint(p, cols, rows);
  }
}

const samePlacement = (a: PhotoPlacement, b: PhotoPlacement | null): boolean =>
  b !== null &&
  a.img === b.img &&
  a.rect.x === b.rect.x &&
  a.rect.y === b.rect.y &&
  a.rect.w === b.rect.w &&
  a.rect.h === b.rect.h;

/** The screen drawn last as a confirm screen with nobody's card on it, for the photo box's layout only. */
function confirmOf(model: ScreenModel, lang: 'da' | 'en'): ScreenModel {
  return {
    ...model,
    screen: 'confirm',
    basket: null,
    result: null,
    card: { name: '', balance: 0, photo: 'prepared-ahead' },
    message: text(lang, 'confirm'),
  };
}
