// Fetches and decodes photos off the drawing path: bytes come from the PhotoLookup, JPEG/PNG
// decoding runs in a worker thread (jpeg-js is synchronous and a 256 KiB photo takes long enough
// on a Pi to stall key handling), and the small result is kept by SHA-256 until the next idle.
import { Worker } from 'node:worker_threads';
import { createRequire } from 'node:module';
import type { PhotoLookup } from '../../hal/types.ts';
import { thumbnail, type Rgba } from './photo.ts';

export type PhotoState = { kind: 'loading' } | { kind: 'ready'; img: Rgba } | { kind: 'missing' };

/** Largest side kept after decoding: more than any console's photo box needs. */
const THUMB_SIDE = 200;

// Plain CommonJS run with `eval`, so the worker needs no TypeScript loader (bin/klubkort.js
// registers tsx for the main thread only). Library paths come resolved from here.
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const { PNG } = require(workerData.pngjs);
const jpeg = require(workerData.jpegjs);
parentPort.on('message', ({ id, bytes }) => {
  try {
    const buf = Buffer.from(bytes);
    let img;
    if (buf[0] === 0x89 && buf[1] === 0x50) img = PNG.sync.read(buf);
    else if (buf[0] === 0xff && buf[1] === 0xd8) img = jpeg.decode(buf, { useTArray: true, formatAsRGBA: true, maxResolutionInMP: 25, maxMemoryUsageInMB: 256 });
    else throw new Error('neither PNG nor JPEG');
    const data = new Uint8Array(img.data);
    parentPort.postMessage({ id, width: img.width, height: img.height, data }, [data.buffer]);
  } catch (e) {
    parentPort.postMessage({ id, error: String((e && e.message) || e) });
  }
});`;

type Reply = { id: number; width: number; height: number; data: Uint8Array; error?: undefined } | { id: number; error: string };

/** One lazily started decoder thread; it does not keep the process alive. */
export class PhotoDecoder {
  #worker: Worker | null = null;
  #next = 1;
  readonly #pending = new Map<number, { resolve: (img: Rgba) => void; reject: (e: Error) => void }>();

  decode(bytes: Uint8Array): Promise<Rgba> {
    const w = this.#start();
    const id = this.#next++;
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { resolve, reject });
      w.postMessage({ id, bytes });
    });
  }

  async close(): Promise<void> {
    const w = this.#worker;
    this.#worker = null;
    if (w) await w.terminate();
  }

  #start(): Worker {
    if (this.#worker) return this.#worker;
    const req = createRequire(import.meta.url);
    const w = new Worker(WORKER_SOURCE, { eval: true, workerData: { pngjs: req.resolve('pngjs'), jpegjs: req.resolve('jpeg-js') } });
    w.unref();
    w.on('message', (m: Reply) => {
      const p = this.#pending.get(m.id);
      this.#pending.delete(m.id);
      if (m.error !== undefined) p?.reject(new Error(m.error));
      else p?.resolve({ width: m.width, height: m.height, data: m.data });
    });
    const fail = (e: Error) => {
      if (this.#worker === w) this.#worker = null;
      for (const p of this.#pending.values()) p.reject(e);
      this.#pending.clear();
    };
    w.on('error', fail);
    w.on('exit', (code) => fail(new Error(`photo decoder exited (${code})`)));
    this.#worker = w;
    return w;
  }
}

export interface PhotoCacheOptions {
  /** How long a missing or undecodable photo is shown as missing before it is looked up again. */
  retryMs?: number;
}

/**
 * `get(sha)` answers at once: the decoded photo, 'loading' (and starts the work), or 'missing'.
 * `onChange` is called when a load finishes so the display redraws.
 */
export class PhotoCache {
  // `retry` marks a missing photo due for another lookup, done when it is next asked for.
  readonly #entries = new Map<string, { state: PhotoState; retry: boolean }>();
  readonly #decoder = new PhotoDecoder();
  readonly #timers = new Set<NodeJS.Timeout>();
  readonly #retryMs: number;
  #generation = 0;

  constructor(private readonly lookup: PhotoLookup, private readonly onChange: () => void, opts: PhotoCacheOptions = {}) {
    this.#retryMs = opts.retryMs ?? 3000;
  }

  get(sha: string): PhotoState {
    const hit = this.#entries.get(sha);
    if (hit && !hit.retry) return hit.state;
    // A retried photo stays 'missing' on screen while it is looked up again: no flicker.
    const entry = { state: hit?.state ?? { kind: 'loading' as const }, retry: false };
    this.#entries.set(sha, entry);
    void this.#load(sha, this.#generation);
    return entry.state;
  }

  /** Forgets every decoded photo: a child's face stays in memory only while a sale needs it. */
  clear(): void {
    this.#generation++;
    this.#entries.clear();
    for (const t of this.#timers) clearTimeout(t);
    this.#timers.clear();
  }

  async close(): Promise<void> {
    this.clear();
    await this.#decoder.close();
  }

  async #load(sha: string, gen: number): Promise<void> {
    let state: PhotoState;
    try {
      const bytes = await this.lookup(sha);
      state = bytes && bytes.length > 0 ? { kind: 'ready', img: thumbnail(await this.#decoder.decode(bytes), THUMB_SIDE) } : { kind: 'missing' };
    } catch {
      state = { kind: 'missing' };
    }
    if (gen !== this.#generation) return;
    const entry = { state, retry: false };
    this.#entries.set(sha, entry);
    if (state.kind === 'missing') {
      // The photo may not have been synced yet: look again if it is still wanted.
      const t = setTimeout(() => {
        this.#timers.delete(t);
        if (this.#entries.get(sha) === entry) { entry.retry = true; this.onChange(); }
      }, this.#retryMs);
      t.unref();
      this.#timers.add(t);
    }
    this.onChange();
  }
}
