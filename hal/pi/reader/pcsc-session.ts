// The PC/SC side of the reader driver: a context on pcscd (through nfc-pcsc), the readers it
// reports, which one taps come from, and starting over with backoff when pcscd or the reader goes.
// It knows nothing of cards beyond passing the active reader's card / card.off on.
import { createConnection } from 'node:net';
import type { Card, ConnectMode, NFC, Reader } from 'nfc-pcsc';
import { TypedEmitter } from '../../../lib/emitter.ts';
import type { Logger } from '../../../lib/log.ts';
import { loadOptional, type NativePackage } from '../../../lib/load-optional.ts';
import type { TimerHandle, Timers } from '../../../lib/timers.ts';

/**
 * What is used of nfc-pcsc's Reader; a fake implements just this, and so does the proxy of one in
 * the PC/SC child process (pcsc-proxy.ts). What connect and disconnect resolve with is not used.
 */
export type NfcReaderLike = Pick<Reader, 'name' | 'autoProcessing' | 'on' | 'transmit' | 'control' | 'close'> & {
  connect(mode?: ConnectMode): Promise<unknown>;
  disconnect(): Promise<unknown>;
};
/** What is used of nfc-pcsc's NFC (the PC/SC context). */
export type NfcLike = Pick<NFC, 'close'> & {
  on(event: 'reader', fn: (reader: NfcReaderLike) => void): unknown;
  on(event: 'error', fn: (err: Error) => void): unknown;
};
export type NfcFactory = () => NfcLike | Promise<NfcLike>;

/** pcscd's socket; PCSCLITE_CSOCK_NAME moves it (libpcsclite and pcscd read it too), e.g. in tests. */
export const PCSCD_SOCKET = process.env.PCSCLITE_CSOCK_NAME || '/run/pcscd/pcscd.comm';
export const NFC_PCSC: NativePackage = { pkg: 'nfc-pcsc', addon: '@pokusew/pcsclite', apt: 'libpcsclite-dev pcscd' };

export type NfcPcscModule = typeof import('nfc-pcsc');
export const importNfcPcsc = (): Promise<NfcPcscModule> => import('nfc-pcsc');
export const loadNfcPcsc = (importer = importNfcPcsc) => loadOptional(NFC_PCSC, importer);

/**
 * Creates PC/SC contexts in this process: for a technician's one-off command (card-holder.ts) and
 * tests' fakes; the daemon's are in a child process (pcsc-proxy.ts). No logger is passed:
 * nfc-pcsc's debug output carries whole UIDs.
 */
export const nfcFactory =
  (importer = importNfcPcsc): NfcFactory =>
  async () =>
    new (await loadNfcPcsc(importer)).NFC();

/**
 * True when pcscd accepts a connection on its socket. `new NFC()` retries forever, blocking the
 * event loop, while pcscd is absent; a stale socket file left by a crashed pcscd fails this too.
 */
export function probePcscd(path = PCSCD_SOCKET, timeoutMs = 1000): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = createConnection({ path });
    const done = (ok: boolean) => {
      sock.destroy();
      resolve(ok);
    };
    sock.setTimeout(timeoutMs, () => done(false));
    sock.once('connect', () => done(true));
    sock.once('error', () => done(false));
  });
}

export function closeQuietly(x: { close(): void }): void {
  try {
    x.close();
  } catch {
    // Already closed, or pcscd is gone: nothing left to release.
  }
}

/** Exponential backoff of one retry at a time. */
class Backoff {
  #attempt = 0;
  #timer: TimerHandle | null = null;
  constructor(
    private readonly timers: Timers,
    private readonly minMs: number,
    private readonly maxMs: number,
  ) {}
  schedule(fn: () => void): void {
    this.cancel();
    const ms = Math.min(this.maxMs, this.minMs * 2 ** this.#attempt++);
    this.#timer = this.timers.setTimeout(() => {
      this.#timer = null;
      fn();
    }, ms);
  }
  cancel(): void {
    if (this.#timer !== null) this.timers.clearTimeout(this.#timer);
    this.#timer = null;
  }
  reset(): void {
    this.#attempt = 0;
  }
}

export type PcscSessionEvents = {
  /** `r` is now the reader taps come from (found, or took over from one unplugged). */
  active: [r: NfcReaderLike];
  /** The active reader is gone (unplugged, context lost, stopped); another may follow. */
  inactive: [r: NfcReaderLike];
  /** No reader to read from: pcscd is down, no context, or none found in time. */
  detached: [];
  /** `card`: what nfc-pcsc knows of it (the ATR). */
  card: [r: NfcReaderLike, card: Card];
  cardOff: [r: NfcReaderLike];
};

export interface PcscSessionOptions {
  /** Case-insensitive substring of the PC/SC reader name; the first reader found when absent. */
  readerName?: string;
  createNfc: NfcFactory;
  pcscdAvailable: () => Promise<boolean>;
  timers: Timers;
  log: Logger;
  /** After the context is up, how long to wait for a reader before reporting `detached`. */
  readerWaitMs: number;
  retryMinMs: number;
  retryMaxMs: number;
}

/** The reader calls that go into libpcsclite and may hang there. */
const NATIVE_CALLS = ['connect', 'disconnect', 'transmit', 'control'] as const;

export class PcscSession extends TypedEmitter<PcscSessionEvents> {
  readonly #o: PcscSessionOptions;
  readonly #readerName: string | undefined;
  readonly #backoff: Backoff;
  #running = false;
  /** Bumped by stop(): async work of an earlier run sees it and drops its result. */
  #gen = 0;
  #nfc: NfcLike | null = null;
  #active: NfcReaderLike | null = null;
  #standby: NfcReaderLike[] = [];
  #waitTimer: TimerHandle | null = null;
  #pcscdDownLogged = false;
  /** Reader calls not yet returned, nfc-pcsc's own included (see #release). */
  readonly #inflight = new Set<Promise<unknown>>();

  constructor(o: PcscSessionOptions) {
    super();
    this.#o = o;
    this.#readerName = o.readerName?.toLowerCase();
    this.#backoff = new Backoff(o.timers, o.retryMinMs, o.retryMaxMs);
  }

  get active(): NfcReaderLike | null {
    return this.#active;
  }

  async start(): Promise<void> {
    if (this.#running) return;
    this.#running = true;
    await this.#connect(++this.#gen);
  }

  stop(): void {
    if (!this.#running) return;
    this.#running = false;
    this.#gen++;
    this.#backoff.cancel();
    this.#teardown();
    this.#backoff.reset();
  }

  /** Drops the context and opens a new one now (a reader that stopped answering, or went missing). */
  rebuild(): void {
    if (!this.#running) return;
    this.#o.log.warn('rebuilding the PC/SC context');
    this.#backoff.cancel();
    this.#backoff.reset();
    this.#teardown();
    // A new generation: a connect still under way from before drops its context.
    void this.#connect(++this.#gen);
  }

  // --- PC/SC context: create, lose, retry ---

  async #connect(gen: number): Promise<void> {
    const up = await this.#o.pcscdAvailable().catch(() => false);
    if (gen !== this.#gen) return;
    if (!up) {
      if (!this.#pcscdDownLogged) this.#o.log.warn(`pcscd is not running (no ${PCSCD_SOCKET}): waiting for it`);
      this.#pcscdDownLogged = true;
      this.#lost();
      return;
    }
    let nfc: NfcLike;
    try {
      nfc = await this.#o.createNfc();
    } catch (err) {
      this.#o.log.error({ err: (err as Error).message }, 'could not open a PC/SC context');
      this.#lost();
      return;
    }
    if (gen !== this.#gen) {
      closeQuietly(nfc);
      return;
    }
    this.#pcscdDownLogged = false;
    this.#nfc = nfc;
    nfc.on('reader', (r) => this.#onReader(nfc, r));
    nfc.on('error', (err) => this.#onNfcError(nfc, err));
    this.#waitTimer = this.#o.timers.setTimeout(() => {
      this.#waitTimer = null;
      if (this.#active) return;
      this.#o.log.warn(
        'no card reader found: check the USB cable, `pcsc_scan`, and that pn533_usb is blacklisted (docs/hardware.md)',
      );
      this.emit('detached');
    }, this.#o.readerWaitMs);
  }

  /** No reader now: say so, drop what is left of the context, and try again after a backoff. */
  #lost(): void {
    this.emit('detached');
    this.#teardown();
    const gen = this.#gen;
    this.#backoff.schedule(() => void this.#connect(gen));
  }

  /** pcscd stopped or restarted: its monitoring has ended, so start over with a new context. */
  #onNfcError(nfc: NfcLike, err: Error): void {
    if (nfc !== this.#nfc) return;
    this.#o.log.warn({ err: err.message }, 'PC/SC context failed (pcscd stopped?): reconnecting');
    this.#teardown();
    this.#lost();
  }

  /** Drops the context and its readers. Listeners stay: a late 'error' with none would throw. */
  #teardown(): void {
    if (this.#waitTimer !== null) this.#o.timers.clearTimeout(this.#waitTimer);
    this.#waitTimer = null;
    this.#dropActive();
    for (const r of this.#standby) this.#release(r);
    this.#standby = [];
    if (this.#nfc) this.#release(this.#nfc);
    this.#nfc = null;
  }

  /**
   * Closes a reader or context now, or once the reader calls under way have returned: libpcsclite
   * holds a context's lock for the length of a call, so closing a context with a call hanging in
   * it would block the event loop until the call returns.
   */
  #release(x: { close(): void }): void {
    // Never from inside the event that brought us here: @pokusew/pcsclite emits a reader's 'end'
    // (and its errors) while holding that reader's mutex, which close() takes again: a deadlock
    // that freezes the daemon on a pcscd crash or an unplug.
    setImmediate(() => this.#closeWhenIdle(x));
  }

  #closeWhenIdle(x: { close(): void }): void {
    if (this.#inflight.size === 0) return closeQuietly(x);
    this.#o.log.debug('a reader call is still under way: closing its PC/SC handle once it returns');
    void Promise.allSettled([...this.#inflight]).then(() => closeQuietly(x));
  }

  /** Every call into the reader, by this driver or by nfc-pcsc itself, is counted while it runs. */
  #track(r: NfcReaderLike): void {
    for (const name of NATIVE_CALLS) {
      const orig = r[name] as (...a: unknown[]) => Promise<unknown>;
      (r as unknown as Record<string, unknown>)[name] = (...args: unknown[]) => {
        const p = orig.apply(r, args);
        this.#inflight.add(p);
        const done = () => {
          this.#inflight.delete(p);
        };
        p.then(done, done);
        return p;
      };
    }
  }

  // --- readers ---

  #onReader(nfc: NfcLike, r: NfcReaderLike): void {
    if (nfc !== this.#nfc) return;
    this.#track(r);
    if (this.#readerName && !r.name.toLowerCase().includes(this.#readerName)) {
      this.#o.log.info({ reader: r.name }, 'ignoring a reader whose name does not match reader.name');
      // An EventEmitter's 'error' with no listener throws, out of nfc-pcsc and the daemon.
      r.on('error', (err) => this.#o.log.debug({ reader: r.name, err: err.message }, 'error on an ignored reader'));
      return;
    }
    // Read the UID ourselves: works for ISO 14443-3 and -4 cards alike, needs no AID, and
    // avoids the library's error paths that swallow or half-report a failed read.
    r.autoProcessing = false;
    r.on('card', (card) => {
      this.#o.log.debug({ reader: r.name }, 'card in the field');
      if (r === this.#active) this.emit('card', r, card ?? {});
    });
    r.on('card.off', () => {
      this.#o.log.debug({ reader: r.name }, 'card left the field');
      if (r === this.#active) this.emit('cardOff', r);
    });
    r.on('error', (err) => this.#o.log.warn({ reader: r.name, err: err.message }, 'reader error'));
    r.on('end', () => this.#onReaderEnd(r));
    if (this.#active) {
      this.#o.log.info({ reader: r.name }, 'a second reader is kept on standby');
      this.#standby.push(r);
      return;
    }
    this.#activate(r);
  }

  #activate(r: NfcReaderLike): void {
    this.#active = r;
    this.#backoff.reset();
    if (this.#waitTimer !== null) this.#o.timers.clearTimeout(this.#waitTimer);
    this.#waitTimer = null;
    this.#o.log.info({ reader: r.name }, 'card reader attached');
    this.emit('active', r);
  }

  #onReaderEnd(r: NfcReaderLike): void {
    const i = this.#standby.indexOf(r);
    if (i >= 0) this.#standby.splice(i, 1);
    if (r !== this.#active) return;
    this.#o.log.warn({ reader: r.name }, 'card reader gone');
    this.#dropActive();
    const next = this.#standby.shift();
    if (next) {
      this.#activate(next);
      return;
    }
    // A fresh context finds the reader again if it is still plugged in (its monitor can end on a
    // USB error alone), and otherwise waits for it to be plugged back.
    this.#lost();
  }

  #dropActive(): void {
    const r = this.#active;
    if (!r) return;
    this.#active = null;
    this.emit('inactive', r);
    this.#release(r);
  }
}
