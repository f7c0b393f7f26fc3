// Prepares the stored photos ahead for the screen, in the background: decoded (its own decoder
// thread), scaled and encoded (the display's preparer thread) and kept in the journal
// (PreparedPhotoStore), so that a tap reads one row instead (tap → photo at a quarter of a Pi's core:
// p99 ~500–900 ms preparing at the tap). One photo at a time, only while the screen is idle (a sale
// gets the CPU), resting as long as each photo took: the loop and the keys are not held. Only the
// sizes the screen in use needs are kept; what other outputs had is dropped.
import type { Logger } from '../../log.ts';
import type { PhotoLookup, PreparedPhotoStore } from '../../../hal/types.ts';
import type { PixelOutput, Preparer } from './photo-output.ts';
import { DecodeCancelled, PhotoDecoder } from './photo-cache.ts';
import { ImageRefused } from './image-header.ts';
import type { Rgba } from './photo.ts';
import type { Timers } from '../../../lib/timers.ts';

/** Photos looked for per read of the store. */
const BATCH = 16;
/** The longest rest after a photo, and the wait while a sale is on screen. */
const MAX_REST_MS = 500;

export interface PrefillDeps {
  store: PreparedPhotoStore;
  lookup: PhotoLookup;
  output: PixelOutput;
  preparer: Preparer;
  /** The box the screen gives a photo of this shape, in pixels; null when it shows none now. */
  box: (shape: { width: number; height: number }) => { maxW: number; maxH: number } | null;
  /** True while no sale is on screen. */
  idle: () => boolean;
  timers: Timers;
  log?: Pick<Logger, 'warn' | 'info'>;
  /** A decoder of its own (the display's serves the taps); made when needed, closed when done. */
  decoder?: () => PhotoDecoder;
}

export class PhotoPrefill {
  #running: Promise<void> | null = null;
  #again = false;
  #stopped = false;
  #decoder: PhotoDecoder | null = null;
  /** Ends the rest under way at once (stop: a clock that never fires must not hold the daemon's stop). */
  #wake: (() => void) | null = null;
  /** Photos refused by the decoder (for good: a SHA-256's bytes never change): not tried again. */
  readonly #refused = new Set<string>();

  constructor(private readonly d: PrefillDeps) {}

  /** Photos may be waiting: prepares them (again after the run under way, if one is). */
  kick(): void {
    if (this.#stopped) return;
    if (this.#running !== null) {
      this.#again = true;
      return;
    }
    this.#running = this.#run().finally(() => {
      this.#running = null;
      if (this.#again && !this.#stopped) {
        this.#again = false;
        this.kick();
      }
    });
  }

  /** Resolves when no run is under way (tests, the bench). */
  async settled(): Promise<void> {
    while (this.#running !== null) await this.#running;
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    this.#wake?.();
    this.#decoder?.cancel();
    await this.#running;
  }

  async #run(): Promise<void> {
    const key = this.d.output.preparedKey;
    try {
      await this.d.store.prune(key);
      let prepared = 0;
      for (let after = ''; !this.#stopped; ) {
        const batch = await this.d.store.unprepared(key, after, BATCH);
        if (batch.length === 0) break;
        for (const sha of batch) {
          after = sha;
          if (this.#refused.has(sha)) continue;
          await this.#whileBusy();
          if (this.#stopped) return;
          const since = performance.now();
          if (await this.#one(sha, key)) prepared++;
          await this.#rest(Math.min(MAX_REST_MS, performance.now() - since));
        }
      }
      if (prepared > 0) this.d.log?.info({ photos: prepared, output: key }, 'photos prepared ahead');
    } catch (e) {
      // The journal closing under it, a full disk: the taps prepare at the tap meanwhile.
      this.d.log?.warn({ err: (e as Error).message }, 'preparing photos ahead stopped');
    } finally {
      const dec = this.#decoder;
      this.#decoder = null;
      await dec?.close();
    }
  }

  /** Prepares one photo; false when it is gone, refused, or the screen shows no photo now. */
  async #one(sha: string, key: string): Promise<boolean> {
    const bytes = await this.d.lookup(sha);
    if (!bytes || bytes.length === 0) return false;
    let img: Rgba;
    try {
      this.#decoder ??= this.d.decoder?.() ?? new PhotoDecoder({ timers: this.d.timers });
      img = await this.#decoder.decode(bytes);
    } catch (e) {
      if (e instanceof ImageRefused) this.#refused.add(sha);
      else if (!(e instanceof DecodeCancelled)) throw e;
      return false;
    }
    const box = this.d.box(img);
    if (!box) return false;
    let p;
    try {
      p = await this.d.output.prepareAhead(this.d.preparer, img, box.maxW, box.maxH);
    } catch {
      // The preparer failed (died, hung): the tap prepares this one itself.
      return false;
    }
    return this.d.store.put(sha, key, { srcWidth: img.width, srcHeight: img.height, ...p });
  }

  async #whileBusy(): Promise<void> {
    while (!this.#stopped && !this.d.idle()) await this.#rest(MAX_REST_MS);
  }

  #rest(ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const t = this.d.timers.setTimeout(resolve, Math.max(0, ms), true);
      this.#wake = () => {
        this.d.timers.clearTimeout(t);
        resolve();
      };
    }).finally(() => {
      this.#wake = null;
    });
  }
}
