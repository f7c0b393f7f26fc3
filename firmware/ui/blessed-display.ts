// Draws the screen model on the console with blessed. draw() only stores the model and schedules
// a frame: the daemon never waits for the terminal, and photos arrive when they are decoded.
import type { Display, PhotoLookup, ScreenModel } from '../../hal/types.ts';
import type { ConsoleScreen } from './console-screen.ts';
import type { Overlay } from './draw-context.ts';
import type { Lang } from './labels.ts';
import type { Logger } from '../log.ts';
import { PhotoCache } from './photo-cache.ts';
import { formatClock } from './format.ts';
import { renderFrame } from './frame.ts';

export interface BlessedDisplayOptions {
  lang: Lang;
  photos: PhotoLookup;
  overlay?: Overlay;
  /** Photo refusals (reason and size only). */
  log?: Pick<Logger, 'warn'>;
  /** For tests: the clock shown. */
  now?: () => Date;
}

export class BlessedDisplay implements Display {
  readonly #photos: PhotoCache;
  readonly #now: () => Date;
  #model: ScreenModel | null = null;
  #scheduled = false;
  #clockShown = '';
  #ticker: NodeJS.Timeout | null = null;

  constructor(private readonly console: ConsoleScreen, private readonly opts: BlessedDisplayOptions) {
    this.#photos = new PhotoCache(opts.photos, () => this.redraw(), opts.log ? { log: opts.log } : {});
    this.#now = opts.now ?? (() => new Date());
    console.onResize(() => this.redraw());
  }

  async start(): Promise<void> {
    this.console.start();
    // The clock on screen changes once a minute; look every second so it is never late.
    this.#ticker ??= setInterval(() => { if (formatClock(this.#now()) !== this.#clockShown) this.redraw(); }, 1000);
    this.#ticker.unref();
    this.redraw();
  }

  async stop(): Promise<void> {
    if (this.#ticker) clearInterval(this.#ticker);
    this.#ticker = null;
    this.console.stop();
    await this.#photos.close();
  }

  draw(model: ScreenModel): void {
    // Back at idle the sale is over: no child's photo stays in memory.
    if (model.screen === 'idle') this.#photos.clear();
    this.#model = model;
    this.redraw();
  }

  /** The model drawn last (or about to be). */
  get model(): ScreenModel | null { return this.#model; }

  /** Schedules one frame for everything that changed in this turn of the event loop. */
  redraw(): void {
    if (this.#scheduled) return;
    this.#scheduled = true;
    setImmediate(() => {
      this.#scheduled = false;
      this.#frame();
    });
  }

  #frame(): void {
    if (!this.console.started) return;
    const { cols, rows } = this.console.size;
    const now = this.#now();
    this.#clockShown = formatClock(now);
    const frame = renderFrame(this.#model, cols, rows, {
      lang: this.opts.lang, now, photo: (sha) => this.#photos.get(sha),
      ...(this.opts.overlay ? { overlay: this.opts.overlay } : {}),
    });
    this.console.show(frame.lines());
  }
}
