// Prepares a decoded photo for the screen in a worker thread: scaled to its box, and for sixel
// palette-fitted and encoded (20–60 ms on x86, 100–250 ms on a Pi: on the event loop that froze
// the keys and the sale). The interface is a promise. The photo reaching it is a thumbnail the
// decoder already bounded (photo-cache.ts), yet the worker has its own heap cap and a deadline:
// a worker that dies or hangs rejects what it had with PhotoPrepFailed and a log line, and the
// next photo gets a new one. The daemon goes on either way.
import { Worker } from 'node:worker_threads';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { Logger } from '../../log.ts';
import type { Rgba } from './photo.ts';
import type { SixelImage } from './photo-sixel.ts';
import type { PrepareJob, PrepareReply } from './photo-prepare-types.ts';
import { systemTimers, type TimerHandle, type Timers } from '../../../lib/timers.ts';

/** The preparation failed (the worker died, hung, or threw): the display shows a placeholder. */
export class PhotoPrepFailed extends Error {}

export interface PreparerOptions {
  /** The worker's V8 heap cap (old generation), MB. */
  heapMb?: number;
  /** A preparation still running after this ends the worker. */
  timeoutMs?: number;
  /** The worker's death and deadlines, without whose photo it was. */
  log?: Pick<Logger, 'warn'>;
  /** The start and preparation deadlines'; the system's unless given. */
  timers?: Timers;
}

/** How long a worker may take to load its modules (from the sources through tsx, on a busy machine). */
const START_MS = 60_000;

type Pending = { resolve: (r: PrepareReply) => void; reject: (e: Error) => void; timer: TimerHandle | null };

/**
 * From the sources (tsx), the .ts module through tsx's loader; from the built dist/, the bundle's
 * own entry next to this chunk (scripts/build.ts builds dist/photo-worker.js).
 */
function startWorker(heapMb: number): Worker {
  const here = fileURLToPath(import.meta.url);
  const resourceLimits = { maxOldGenerationSizeMb: heapMb, maxYoungGenerationSizeMb: 8, stackSizeMb: 4 };
  if (!here.endsWith('.ts')) return new Worker(join(dirname(here), 'photo-worker.js'), { resourceLimits });
  const entry = pathToFileURL(join(dirname(here), 'photo-prepare-worker.ts')).href;
  const src = `import(${JSON.stringify(import.meta.resolve('tsx/esm/api'))}).then((a) => { a.register(); return import(${JSON.stringify(entry)}); });`;
  return new Worker(src, { eval: true, resourceLimits });
}

export class PhotoPreparer {
  #worker: Worker | null = null;
  readonly #pending = new Map<number, Pending>();
  #next = 1;
  readonly #ready = new WeakSet<Worker>();
  /** Deadlines to start once the worker has loaded its modules. */
  #waiting: (() => void)[] = [];
  readonly #heapMb: number;
  readonly #timeoutMs: number;
  readonly #log: Pick<Logger, 'warn'> | undefined;
  readonly #timers: Timers;

  constructor(o: PreparerOptions = {}) {
    this.#timers = o.timers ?? systemTimers;
    this.#heapMb = o.heapMb ?? 64;
    this.#timeoutMs = o.timeoutMs ?? 5000;
    this.#log = o.log;
  }

  /** `img` scaled to fit maxW×maxH, palette-fitted to `colors` and sixel encoded. */
  async sixel(img: Rgba, maxW: number, maxH: number, colors: number): Promise<SixelImage> {
    const r = await this.#run({ id: 0, kind: 'sixel', img, maxW, maxH, colors });
    if (r.kind !== 'sixel') throw new PhotoPrepFailed('unexpected reply');
    return { seq: r.seq, width: r.width, height: r.height };
  }

  /** `img` scaled to fit maxW×maxH (the framebuffer's pixels). */
  async scale(img: Rgba, maxW: number, maxH: number): Promise<Rgba> {
    const r = await this.#run({ id: 0, kind: 'scale', img, maxW, maxH });
    if (r.kind !== 'scaled') throw new PhotoPrepFailed('unexpected reply');
    return r.img;
  }

  async close(): Promise<void> {
    const w = this.#worker;
    this.#worker = null;
    this.#failAll(new PhotoPrepFailed('preparer closed'));
    if (w) await w.terminate();
  }

  #run(job: PrepareJob): Promise<PrepareReply> {
    const w = this.#start();
    const id = this.#next++;
    return new Promise((resolve, reject) => {
      const pending: Pending = {
        timer: null,
        reject,
        resolve: (r) => (r.kind === 'error' ? reject(new PhotoPrepFailed(r.error)) : resolve(r)),
      };
      // The deadline is the preparation's, not the worker's start: a worker loading its modules on a
      // busy (or slow) machine is not a hung one, and a deadline missed shows a placeholder for the whole tap.
      const arm = () => {
        if (!this.#pending.has(id)) return;
        pending.timer = this.#timers.setTimeout(
          () => {
            this.#log?.warn({ timeoutMs: this.#timeoutMs }, 'photo preparer hung: stopped, a placeholder shown');
            this.#end(w, new PhotoPrepFailed(`still preparing after ${this.#timeoutMs} ms`));
          },
          this.#timeoutMs,
          true,
        );
      };
      this.#pending.set(id, pending);
      if (this.#ready.has(w)) arm();
      else this.#waiting.push(arm);
      // The photo stays the display's (it is drawn again at every frame): the worker gets a copy.
      w.postMessage({ ...job, id });
    });
  }

  #failAll(e: Error): void {
    for (const p of this.#pending.values()) {
      if (p.timer) this.#timers.clearTimeout(p.timer);
      p.reject(e);
    }
    this.#pending.clear();
    this.#waiting = [];
  }

  /** Ends `w` and what it had; the next photo starts a new worker. */
  #end(w: Worker, e: Error): void {
    if (this.#worker !== w) return;
    this.#worker = null;
    this.#failAll(e);
    void w.terminate();
  }

  #start(): Worker {
    if (this.#worker) return this.#worker;
    const w = startWorker(this.#heapMb);
    // Never keeps the daemon alive by itself.
    w.unref();
    // A worker that never finishes loading is a broken release: fail its photos, do not wait for ever.
    const loading = this.#timers.setTimeout(
      () => this.#end(w, new PhotoPrepFailed('photo preparer did not start')),
      START_MS,
      true,
    );
    w.once('exit', () => this.#timers.clearTimeout(loading));
    w.on('message', (r: PrepareReply) => {
      if (r.kind === 'ready') {
        this.#timers.clearTimeout(loading);
        this.#ready.add(w);
        for (const arm of this.#waiting.splice(0)) arm();
        return;
      }
      const p = this.#pending.get(r.id);
      if (!p) return;
      this.#pending.delete(r.id);
      if (p.timer) this.#timers.clearTimeout(p.timer);
      p.resolve(r);
    });
    w.on('error', (e: Error & { code?: string }) => {
      const why = e.code === 'ERR_WORKER_OUT_OF_MEMORY' ? `passed its ${this.#heapMb} MB heap` : e.message;
      this.#log?.warn({ why }, 'photo preparer died: a placeholder shown, the next photo gets a new one');
      this.#end(w, new PhotoPrepFailed(`photo preparer died: ${why}`));
    });
    w.on('exit', (code) => this.#end(w, new PhotoPrepFailed(`photo preparer exited (${code})`)));
    this.#worker = w;
    return w;
  }
}
