// Fetches and decodes photos off the drawing path. Photos are hostile until decoded safely: the
// header is read as the decoder will read it and checked first (image-header.ts), the memory the
// decode needs is worked out from it and bounded, decoding runs in a worker thread with a heap cap
// and a deadline, a newer photo cancels an older decode, and only a thumbnail comes back. What is
// kept is keyed by SHA-256 until the next idle.
import { Worker } from 'node:worker_threads';
import { createRequire } from 'node:module';
import type { PhotoLookup, PreparedPhotoStore } from '../../../hal/types.ts';
import type { Logger } from '../../log.ts';
import { PHOTO_THREAD_NICE } from './thread-priority.ts';
import { fitSize, resample, type Rgba } from './photo.ts';
import {
  checkImage,
  IMAGE_LIMITS,
  ImageRefused,
  type ImageHeader,
  type ImageLimits,
  type RefusalReason,
} from './image-header.ts';
import { systemTimers, type TimerHandle, type Timers } from '../../../lib/timers.ts';

export type PhotoState = { kind: 'loading' } | { kind: 'ready'; img: Rgba } | { kind: 'missing' };

/** Largest side kept after decoding: a photo box of 480 pixels high and more (sixel, framebuffer). */
export const THUMB_SIDE = 640;

/** What one decode may hold in memory, in MB (the pixels live outside the V8 heap: its cap does not bound them). */
export const DECODE_MEMORY_MB = 128;

const MB = 2 ** 20;

/**
 * The most memory decoding `h` can hold at once, from its header alone: every buffer the decoder
 * allocates is sized by the header, and none is assumed freed before the end (garbage collection
 * comes when it comes). pngjs 7 (parser-sync.js): the IDAT data joined; the inflated data twice (its
 * inflate's output buffer, then the joined copy, at most the size the header implies: pngjs stops
 * there, and for an interlaced image the worker checks the same bound first, a third copy); the
 * unfiltered rows and their joined copy; RGBA pixels (as 16-bit words at 16 bits) and, at 16 bits,
 * their 8-bit copy. jpeg-js keeps its own count of the memory it allocates and stops at its cap:
 * given what is left after the thumbnail. The thumbnail: its horizontal pass in floats, and its pixels.
 */
export function decodeMemory(
  h: ImageHeader,
  fileBytes: number,
  maxSide = THUMB_SIDE,
): { decoder: number; thumbnail: number } {
  const pixels = h.width * h.height;
  const { w, h: th } =
    h.width > maxSide || h.height > maxSide ? fitSize(h.width, h.height, maxSide, maxSide) : { w: 0, h: 0 };
  const thumbnail = w * h.height * 3 * 4 + w * th * 4;
  if (h.format === 'jpeg') return { decoder: 0, thumbnail };
  const wide = h.bitDepth === 16;
  const decoder =
    fileBytes + h.rawBytes * (h.interlaced ? 5 : 4) + pixels * 4 * (wide ? 2 : 1) + (wide ? pixels * 4 : 0);
  return { decoder, thumbnail };
}

// Plain CommonJS run with `eval`, so the worker needs no TypeScript loader (bin/klubkort.js
// registers tsx for the main thread only). Library paths come resolved from here; the resampler
// is photo.ts's own function, passed as source, so the thumbnail is the same on either thread.
// pngjs inflates an interlaced image's data with no bound on its size: before it does, the data is
// inflated here with the bound its header implies (zlib is deterministic: pngjs then gets no more).
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const { inflateSync } = require('node:zlib');
const { PNG } = require(workerData.pngjs);
const jpeg = require(workerData.jpegjs);
// Below the event loop's priority (thread-priority.ts; this thread's own, as Linux keeps it per thread).
try { require('node:os').setPriority(0, workerData.nice); } catch {}
const resample = ${resample.toString()};
parentPort.on('message', ({ id, bytes, maxSide, maxPixels, jpegMemoryMb, inflateBound }) => {
  try {
    const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    let img;
    if (buf[0] === 0x89 && buf[1] === 0x50) {
      if (inflateBound) {
        try {
          inflateSync(Buffer.concat(inflateBound.idat.map(([s, e]) => buf.subarray(s, e))), { maxOutputLength: inflateBound.bytes });
        } catch (e) {
          if (e && e.code === 'ERR_BUFFER_TOO_LARGE') {
            parentPort.postMessage({ id, reason: 'too_large', error: 'its image data inflates past the ' + inflateBound.bytes + ' bytes its header implies' });
            return;
          }
          throw e;
        }
      }
      img = PNG.sync.read(buf);
    }
    else if (buf[0] === 0xff && buf[1] === 0xd8) img = jpeg.decode(buf, { useTArray: true, formatAsRGBA: true, maxResolutionInMP: maxPixels / 1e6, maxMemoryUsageInMB: jpegMemoryMb });
    else throw new Error('neither PNG nor JPEG');
    let out = { width: img.width, height: img.height, data: new Uint8Array(img.data.buffer, img.data.byteOffset, img.data.byteLength) };
    if (out.width > maxSide || out.height > maxSide) {
      const s = Math.min(maxSide / out.width, maxSide / out.height);
      out = resample(out, Math.max(1, Math.round(out.width * s)), Math.max(1, Math.round(out.height * s)));
    }
    const data = out.data.byteOffset === 0 && out.data.byteLength === out.data.buffer.byteLength ? out.data : out.data.slice();
    parentPort.postMessage({ id, width: out.width, height: out.height, data }, [data.buffer]);
  } catch (e) {
    const error = String((e && e.message) || e);
    parentPort.postMessage({ id, error, reason: /maxMemoryUsageInMB/.test(error) ? 'memory' : undefined });
  }
});`;

type Reply =
  | { id: number; width: number; height: number; data: Uint8Array; error?: undefined }
  | { id: number; error: string; reason?: RefusalReason };

/** A decode that a newer one replaced; not a fault of the photo. */
export class DecodeCancelled extends Error {
  constructor() {
    super('cancelled by a newer photo');
  }
}

export interface DecoderOptions {
  limits?: ImageLimits;
  /** Side of the thumbnail returned. */
  maxSide?: number;
  /** The worker's V8 heap cap (old generation); past it the worker dies and the photo is refused. */
  heapMb?: number;
  /** What one decode may hold in memory (decodeMemory); a photo that needs more is refused before decoding. */
  memoryMb?: number;
  /** A decode still running after this is stopped and the photo refused. */
  timeoutMs?: number;
  /** The decode deadline's and the retry's; the system's unless given. */
  timers?: Timers;
}

interface Job {
  id: number;
  resolve: (img: Rgba) => void;
  reject: (e: Error) => void;
  timer: TimerHandle;
}

/**
 * One decoder thread, one photo at a time: a new decode cancels the one running (the worker is
 * ended, so a slow hostile photo never delays the next child's).
 */
export class PhotoDecoder {
  #worker: Worker | null = null;
  #job: Job | null = null;
  #next = 1;
  readonly #limits: ImageLimits;
  readonly #maxSide: number;
  readonly #heapMb: number;
  readonly #memoryMb: number;
  readonly #timeoutMs: number;
  readonly #clock: Timers;

  constructor(o: DecoderOptions = {}) {
    this.#clock = o.timers ?? systemTimers;
    this.#limits = o.limits ?? IMAGE_LIMITS;
    this.#maxSide = o.maxSide ?? THUMB_SIDE;
    this.#heapMb = o.heapMb ?? 96;
    this.#memoryMb = o.memoryMb ?? DECODE_MEMORY_MB;
    this.#timeoutMs = o.timeoutMs ?? 10_000;
  }

  /** Rejects with ImageRefused (checked before decoding, or the decoder gave up) or DecodeCancelled. */
  decode(bytes: Uint8Array): Promise<Rgba> {
    let header: ImageHeader, memory: ReturnType<typeof decodeMemory>;
    try {
      header = checkImage(bytes, this.#limits);
      memory = decodeMemory(header, bytes.length, this.#maxSide);
      const need = memory.decoder + memory.thumbnail;
      // jpeg-js counts its own: it gets what the thumbnail leaves.
      if (need > this.#memoryMb * MB) {
        throw new ImageRefused(
          'memory',
          `decoding ${header.width}×${header.height} needs up to ${Math.ceil(need / MB)} MB > ${this.#memoryMb} MB`,
        );
      }
    } catch (e) {
      return Promise.reject(e as Error);
    }
    this.cancel();
    const w = this.#start();
    const id = this.#next++;
    return new Promise((resolve, reject) => {
      const timer = this.#clock.setTimeout(
        () => this.#fail(new ImageRefused('timeout', `still decoding after ${this.#timeoutMs} ms`)),
        this.#timeoutMs,
        true,
      );
      this.#job = { id, resolve, reject, timer };
      w.postMessage({
        id,
        bytes,
        maxSide: this.#maxSide,
        maxPixels: this.#limits.maxPixels,
        jpegMemoryMb: Math.floor((this.#memoryMb * MB - memory.thumbnail) / MB),
        inflateBound:
          header.format === 'png' && header.interlaced ? { bytes: header.rawBytes, idat: header.idat } : null,
      });
    });
  }

  /** Stops the decode under way, if any (its promise rejects with DecodeCancelled). */
  cancel(): void {
    if (this.#job) this.#fail(new DecodeCancelled());
  }

  async close(): Promise<void> {
    this.cancel();
    const w = this.#worker;
    this.#worker = null;
    if (w) await w.terminate();
  }

  /** Ends the running job with `e`; the worker goes with it (it may be stuck in the decode). */
  #fail(e: Error): void {
    const job = this.#job;
    this.#job = null;
    if (job) {
      this.#clock.clearTimeout(job.timer);
      job.reject(e);
    }
    const w = this.#worker;
    this.#worker = null;
    if (w) void w.terminate();
  }

  #start(): Worker {
    if (this.#worker) return this.#worker;
    const req = createRequire(import.meta.url);
    const w = new Worker(WORKER_SOURCE, {
      eval: true,
      workerData: { pngjs: req.resolve('pngjs'), jpegjs: req.resolve('jpeg-js'), nice: PHOTO_THREAD_NICE },
      resourceLimits: { maxOldGenerationSizeMb: this.#heapMb, maxYoungGenerationSizeMb: 8, stackSizeMb: 4 },
    });
    w.unref();
    w.on('message', (m: Reply) => {
      const job = this.#job;
      if (!job || job.id !== m.id) return;
      this.#job = null;
      this.#clock.clearTimeout(job.timer);
      if (m.error !== undefined) job.reject(new ImageRefused(m.reason ?? 'decode_failed', m.error));
      else job.resolve({ width: m.width, height: m.height, data: m.data });
    });
    const gone = (e: Error) => {
      if (this.#worker !== w) return;
      this.#worker = null;
      const job = this.#job;
      this.#job = null;
      if (job) {
        this.#clock.clearTimeout(job.timer);
        job.reject(e);
      }
    };
    w.on('error', (e: Error & { code?: string }) =>
      gone(
        e.code === 'ERR_WORKER_OUT_OF_MEMORY'
          ? new ImageRefused('memory', `decoder passed its ${this.#heapMb} MB heap`)
          : new ImageRefused('decode_failed', e.message),
      ),
    );
    w.on('exit', (code) => gone(new ImageRefused('decode_failed', `photo decoder exited (${code})`)));
    this.#worker = w;
    return w;
  }
}

export interface PhotoCacheOptions extends DecoderOptions {
  /** How long a missing or undecodable photo is shown as missing before it is looked up again. */
  retryMs?: number;
  /** Refusals are logged here with their reason and size only: never whose photo it is. */
  log?: Pick<Logger, 'warn'>;
  /**
   * Photos prepared ahead (photo-prefill.ts) for the pixel output `output()` names (null: none, the
   * cells need pixels): a photo found there is ready at once, without its bytes or a decode.
   */
  prepared?: { store: PreparedPhotoStore; output: () => string | null };
}

const NO_PIXELS = new Uint8Array(0);

/**
 * `get(sha)` answers at once: the decoded photo, 'loading' (and starts the work), or 'missing'.
 * `onChange` is called when a load finishes so the display redraws.
 */
export class PhotoCache {
  // `retry` marks a missing photo due for another lookup, done when it is next asked for.
  readonly #entries = new Map<string, { state: PhotoState; retry: boolean }>();
  readonly #decoder: PhotoDecoder;
  readonly #timers = new Set<TimerHandle>();
  readonly #clock: Timers;
  readonly #retryMs: number;
  readonly #log: Pick<Logger, 'warn'> | undefined;
  readonly #prepared: PhotoCacheOptions['prepared'];
  /** Photos whose pixels the output asked for (no size prepared fits its box): decoded, not read prepared. */
  readonly #decodeOnly = new Set<string>();
  #generation = 0;

  constructor(
    private readonly lookup: PhotoLookup,
    private readonly onChange: () => void,
    opts: PhotoCacheOptions = {},
  ) {
    this.#retryMs = opts.retryMs ?? 3000;
    this.#clock = opts.timers ?? systemTimers;
    this.#log = opts.log;
    this.#prepared = opts.prepared;
    this.#decoder = new PhotoDecoder(opts);
  }

  get(sha: string): PhotoState {
    const hit = this.#entries.get(sha);
    if (hit && !hit.retry) return hit.state;
    // A retried photo stays 'missing' on screen while it is looked up again: no flicker.
    const entry = { state: hit?.state ?? { kind: 'loading' as const }, retry: false };
    this.#entries.set(sha, entry);
    void this.#load(sha, entry, this.#generation);
    return entry.state;
  }

  /** Forgets every decoded photo (and stops a decode): a child's face stays in memory only while a sale needs it. */
  clear(): void {
    this.#generation++;
    this.#entries.clear();
    this.#decodeOnly.clear();
    this.#decoder.cancel();
    for (const t of this.#timers) this.#clock.clearTimeout(t);
    this.#timers.clear();
  }

  /** The output has no prepared size of `sha` for its box: it is decoded instead. */
  needPixels(sha: string): void {
    if (this.#decodeOnly.has(sha)) return;
    this.#decodeOnly.add(sha);
    const hit = this.#entries.get(sha);
    if (hit?.state.kind === 'ready' && hit.state.img.prepared) {
      this.#entries.delete(sha);
      this.onChange();
    }
  }

  async close(): Promise<void> {
    this.clear();
    await this.#decoder.close();
  }

  /** `sha` as prepared ahead for the output in use, or null (none, or cells). */
  async #readPrepared(sha: string): Promise<PhotoState | null> {
    const output = this.#prepared?.output();
    if (!this.#prepared || !output || this.#decodeOnly.has(sha)) return null;
    const sizes = await this.#prepared.store.get(sha, output);
    const first = sizes[0];
    if (!first) return null;
    return {
      kind: 'ready',
      img: { width: first.srcWidth, height: first.srcHeight, data: NO_PIXELS, prepared: { sha, sizes } },
    };
  }

  async #load(sha: string, asked: { state: PhotoState }, gen: number): Promise<void> {
    let state: PhotoState;
    // A refused photo is refused for good (the bytes of a SHA-256 never change): no retry.
    let retry = true;
    try {
      // One row read instead of a decode and an encode, when the photo was prepared ahead.
      const ahead = await this.#readPrepared(sha).catch(() => null);
      if (gen !== this.#generation || this.#entries.get(sha) !== asked) return;
      if (ahead) {
        const entry = { state: ahead, retry: false };
        this.#entries.set(sha, entry);
        this.onChange();
        return;
      }
      const bytes = await this.lookup(sha);
      if (gen !== this.#generation || this.#entries.get(sha) !== asked) return;
      state =
        bytes && bytes.length > 0 ? { kind: 'ready', img: await this.#decoder.decode(bytes) } : { kind: 'missing' };
    } catch (e) {
      if (e instanceof DecodeCancelled) {
        // A newer photo took the decoder: asked again, this one starts over.
        if (this.#entries.get(sha) === asked) this.#entries.delete(sha);
        return;
      }
      if (e instanceof ImageRefused) {
        this.#log?.warn({ reason: e.reason, detail: e.message }, 'photo refused; shown as no photo');
        retry = false;
      }
      state = { kind: 'missing' };
    }
    if (gen !== this.#generation) return;
    const entry = { state, retry: false };
    this.#entries.set(sha, entry);
    if (state.kind === 'missing' && retry) {
      // The photo may not have been synced yet: look again if it is still wanted.
      const t = this.#clock.setTimeout(
        () => {
          this.#timers.delete(t);
          if (this.#entries.get(sha) === entry) {
            entry.retry = true;
            this.onChange();
          }
        },
        this.#retryMs,
        true,
      );
      this.#timers.add(t);
    }
    this.onChange();
  }
}
