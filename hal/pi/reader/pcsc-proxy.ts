// The daemon's side of the PC/SC child process (pcsc-child.ts): an NfcFactory whose contexts and
// readers are proxies over IPC, so that nfc-pcsc's native part never runs in the daemon. One child
// is one context: closing the context kills its child, which nothing in PC/SC can hang. Every call
// has a deadline; a heartbeat every second, unanswered for 3 s (a hung pcscd or reader has blocked
// the child's event loop), or the child exiting, SIGKILLs it and ends its readers and the context
// with an error, which the session heals as it heals pcscd going away: a fresh child, with backoff.
import { fork, type ChildProcess } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import type { Logger } from '../../../lib/log.ts';
import { FromChild, fromHex, toHex, type ReaderCall, type ToChild } from './pcsc-ipc.ts';
import type { NfcFactory } from './pcsc-session.ts';
import { type Intervals, systemTimers, type TimerHandle, type Timers } from '../../../lib/timers.ts';

/** How to start the child: its module, Node's flags for it, and its arguments. */
export interface ChildEntry {
  path: string;
  execArgv: string[];
  args?: string[];
}

/**
 * From the sources (tsx), the .ts module through tsx's loader; from the built dist/, the bundle's
 * own entry next to this chunk (scripts/build.ts builds dist/pcsc-child.js).
 */
export function childEntry(): ChildEntry {
  const here = fileURLToPath(import.meta.url);
  if (here.endsWith('.ts'))
    return { path: join(dirname(here), 'pcsc-child.ts'), execArgv: ['--import', import.meta.resolve('tsx')] };
  return { path: join(dirname(here), 'pcsc-child.js'), execArgv: CHILD_FLAGS };
}

/**
 * The child relays a few APDUs a tap: no optimising compiler needed, and without it (and with the
 * daemon's 1 MB young generation) it holds 48 MB instead of 54 MB on x86-64 (the unit's malloc
 * settings reach it through the environment).
 */
export const CHILD_FLAGS = ['--jitless', '--max-semi-space-size=1', '--no-warnings'];

export interface PcscChildOptions {
  log: Logger;
  /** How often the child is pinged (1 s). */
  heartbeatMs?: number;
  /** No pong for this long kills the child (3 s). */
  heartbeatTimeoutMs?: number;
  /** Until its first pong: Node and nfc-pcsc loading on a busy Pi (15 s). */
  bootTimeoutMs?: number;
  /** A reader call unanswered this long is rejected (5 s; the driver's own read timeout is shorter). */
  callTimeoutMs?: number;
  entry?: ChildEntry;
  /** The heartbeat's and the deadlines' (the system's unless a test steps them). */
  timers?: Timers & Intervals;
}

/** Contexts each in a child process of their own. */
export const childNfcFactory =
  (o: PcscChildOptions): NfcFactory =>
  async () => {
    const ctx = new ChildContext(o);
    try {
      await ctx.ready;
    } catch (err) {
      ctx.close();
      throw err;
    }
    return ctx;
  };

/** Children still running, killed when this process exits however it ends (short of SIGKILL). */
const live = new Set<ChildProcess>();
let exitHook = false;
function keep(p: ChildProcess): void {
  live.add(p);
  p.once('exit', () => live.delete(p));
  if (exitHook) return;
  exitHook = true;
  process.once('exit', () => {
    for (const c of live) c.kill('SIGKILL');
  });
}

interface Pending {
  resolve(v: unknown): void;
  reject(e: Error): void;
  timer: TimerHandle;
}

class ChildContext extends EventEmitter {
  readonly ready: Promise<void>;
  readonly #o: Required<Omit<PcscChildOptions, 'entry'>>;
  readonly #proc: ChildProcess;
  readonly #readers = new Map<number, ChildReader>();
  readonly #pending = new Map<number, Pending>();
  readonly #beat: TimerHandle;
  readonly #started = performance.now();
  #lastPong: number | null = null;
  #lastBeat = performance.now();
  #nextId = 0;
  #gone = false;
  #closed = false;
  /** Events that came with or after `ready`, held until whoever awaited the context listens. */
  #held: FromChild[] | null = [];
  #settle: { resolve(): void; reject(e: Error): void } | null = null;

  constructor(o: PcscChildOptions) {
    super();
    this.#o = {
      heartbeatMs: 1000,
      heartbeatTimeoutMs: 3000,
      bootTimeoutMs: 15_000,
      callTimeoutMs: 5000,
      timers: systemTimers,
      ...o,
    };
    this.ready = new Promise((resolve, reject) => {
      this.#settle = { resolve, reject };
    });
    const entry = o.entry ?? childEntry();
    this.#proc = fork(entry.path, entry.args ?? [], {
      execArgv: entry.execArgv,
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      serialization: 'json',
    });
    keep(this.#proc);
    this.#o.log.info({ pid: this.#proc.pid }, 'PC/SC child process started');
    this.#proc.on('message', (raw) => this.#onMessage(raw));
    this.#proc.once('error', (err) => {
      this.#o.log.error({ err: err.message }, 'PC/SC child process failed');
      // Never started (no pid): no 'exit' will come.
      if (this.#proc.pid === undefined) this.#onExit(null, null);
      else this.#kill();
    });
    this.#proc.once('exit', (code, signal) => this.#onExit(code, signal));
    this.#beat = this.#o.timers.setInterval(() => this.#heartbeat(), this.#o.heartbeatMs);
  }

  get pid(): number | undefined {
    return this.#proc.pid;
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#o.timers.clearInterval(this.#beat);
    if (this.#gone) return;
    this.#o.log.debug({ pid: this.#proc.pid }, 'PC/SC context closed: its child process is stopped');
    this.#kill();
  }

  /** One reader call, answered by the child or rejected at its deadline. */
  call(reader: number, call: ReaderCall): Promise<unknown> {
    if (this.#gone || this.#closed) return Promise.reject(new Error(`${call.op}: the PC/SC child process is gone`));
    const id = this.#nextId++;
    const ms = this.#o.callTimeoutMs;
    return new Promise((resolve, reject) => {
      const timer = this.#o.timers.setTimeout(() => {
        this.#pending.delete(id);
        this.#o.log.warn({ op: call.op, ms }, 'PC/SC call not answered in time by the child process');
        reject(new Error(`${call.op}: no answer from the PC/SC child process within ${ms} ms`));
      }, ms);
      this.#pending.set(id, { resolve, reject, timer });
      this.#send({ t: 'call', id, reader, call });
    });
  }

  closeReader(reader: number): void {
    this.#readers.delete(reader);
    if (!this.#gone && !this.#closed) this.#send({ t: 'closeReader', reader });
  }

  #send(m: ToChild): void {
    if (!this.#proc.connected) return;
    // A child that went away meanwhile: its exit is handled by #onExit.
    this.#proc.send(m, (err) => {
      if (err) this.#o.log.debug({ err: err.message }, 'message to the PC/SC child process not sent');
    });
  }

  #heartbeat(): void {
    const now = performance.now();
    // This process was busy (the tick is late): pongs may wait unread behind it, so judge next time.
    const late = now - this.#lastBeat > 2 * this.#o.heartbeatMs;
    this.#lastBeat = now;
    if (late && this.#lastPong !== null) this.#lastPong = Math.max(this.#lastPong, now - this.#o.heartbeatMs);
    const silent = now - (this.#lastPong ?? this.#started);
    const bound = this.#lastPong === null ? this.#o.bootTimeoutMs : this.#o.heartbeatTimeoutMs;
    if (silent > bound) {
      this.#o.log.error(
        { pid: this.#proc.pid, silentMs: Math.round(silent) },
        this.#lastPong === null
          ? 'PC/SC child process did not start answering in time: killed'
          : 'PC/SC child process stopped answering its heartbeat (pcscd or the reader hung?): killed',
      );
      this.#kill();
      return;
    }
    this.#send({ t: 'ping', id: this.#nextId++ });
  }

  #kill(): void {
    if (!this.#gone) this.#proc.kill('SIGKILL');
  }

  #onExit(code: number | null, signal: NodeJS.Signals | null): void {
    if (this.#gone) return;
    this.#gone = true;
    this.#o.timers.clearInterval(this.#beat);
    const why = new Error(`the PC/SC child process ended (${signal ?? `exit ${code}`})`);
    for (const p of this.#pending.values()) {
      this.#o.timers.clearTimeout(p.timer);
      p.reject(why);
    }
    this.#pending.clear();
    this.#settle?.reject(why);
    this.#settle = null;
    if (this.#closed) return;
    this.#o.log.warn(
      { pid: this.#proc.pid, code, signal },
      'PC/SC child process ended: its readers and context are gone',
    );
    this.#held = null;
    for (const [n, r] of this.#readers) {
      this.#readers.delete(n);
      r.emit('end');
    }
    if (this.listenerCount('error') > 0) this.emit('error', why);
  }

  #onMessage(raw: unknown): void {
    const parsed = FromChild.safeParse(raw);
    if (!parsed.success) {
      this.#o.log.warn(
        { err: parsed.error.issues[0]?.message },
        'malformed message from the PC/SC child process ignored',
      );
      return;
    }
    const m = parsed.data;
    if (this.#closed || this.#gone) return;
    switch (m.t) {
      case 'pong':
        this.#lastPong = performance.now();
        return;
      case 'ready':
        this.#lastPong ??= performance.now();
        this.#settle?.resolve();
        this.#settle = null;
        // The awaiting session adds its listeners in the microtasks after `ready`; then the rest.
        setImmediate(() => {
          const held = this.#held ?? [];
          this.#held = null;
          for (const h of held) this.#event(h);
        });
        return;
      case 'fatal':
        this.#settle?.reject(new Error(m.message));
        this.#settle = null;
        return;
      case 'result': {
        const p = this.#pending.get(m.id);
        if (!p) return; // answered after its deadline
        this.#pending.delete(m.id);
        this.#o.timers.clearTimeout(p.timer);
        if (m.error !== undefined) p.reject(new Error(m.error));
        else p.resolve(m.data === undefined ? undefined : fromHex(m.data));
        return;
      }
      default:
        if (this.#held) this.#held.push(m);
        else this.#event(m);
    }
  }

  #event(m: FromChild): void {
    if (this.#closed || this.#gone) return;
    const r = 'reader' in m ? this.#readers.get(m.reader) : undefined;
    switch (m.t) {
      case 'reader': {
        const reader = new ChildReader(this, m.reader, m.name);
        this.#readers.set(m.reader, reader);
        this.emit('reader', reader);
        return;
      }
      case 'card':
        r?.emit('card', {
          ...(m.atr !== undefined ? { atr: fromHex(m.atr) } : {}),
          ...(m.standard ? { standard: m.standard } : {}),
        });
        return;
      case 'cardOff':
        r?.emit('card.off', {});
        return;
      case 'readerError':
        if (r && r.listenerCount('error') > 0) r.emit('error', new Error(m.message));
        return;
      case 'end':
        this.#readers.delete(m.reader);
        r?.emit('end');
        return;
      case 'error':
        if (this.listenerCount('error') > 0) this.emit('error', new Error(m.message));
        return;
    }
  }
}

/** nfc-pcsc's Reader, over IPC. The child reads with autoProcessing off whatever this says. */
class ChildReader extends EventEmitter {
  autoProcessing = false;
  constructor(
    private readonly ctx: ChildContext,
    private readonly n: number,
    readonly name: string,
  ) {
    super();
  }
  connect(mode: 'CONNECT_MODE_CARD' | 'CONNECT_MODE_DIRECT' = 'CONNECT_MODE_CARD'): Promise<unknown> {
    return this.ctx.call(this.n, { op: 'connect', mode });
  }
  disconnect(): Promise<unknown> {
    return this.ctx.call(this.n, { op: 'disconnect' });
  }
  transmit(data: Buffer, max: number): Promise<Buffer> {
    return this.ctx.call(this.n, { op: 'transmit', data: toHex(data), max }) as Promise<Buffer>;
  }
  control(data: Buffer, max: number): Promise<Buffer> {
    return this.ctx.call(this.n, { op: 'control', data: toHex(data), max }) as Promise<Buffer>;
  }
  close(): void {
    this.ctx.closeReader(this.n);
  }
}
