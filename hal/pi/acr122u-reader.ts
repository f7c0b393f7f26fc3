// CardReader over nfc-pcsc (PC/SC via pcscd) for an ACS ACR122U, or any PC/SC contactless reader.
// nfc-pcsc is imported only when the first context is created; everything it touches is injected,
// so tests drive fakes of its NFC and Reader objects on a manual clock.
import { createConnection } from 'node:net';
import type { NFC, Reader } from 'nfc-pcsc';
import { TypedEmitter } from '../emitter.ts';
import type { CardReader, CardReaderEvents } from '../types.ts';
import { CARD_UID } from '../../contract/index.ts';
import { createLogger, maskUid, type Logger } from '../log.ts';
import { loadOptional, type NativePackage } from './load.ts';
import { systemTimers, type TimerHandle, type Timers } from './timers.ts';

/** What is used of nfc-pcsc's Reader; a fake implements just this. */
export type NfcReaderLike = Pick<Reader, 'name' | 'autoProcessing' | 'on' | 'connect' | 'disconnect' | 'transmit' | 'control' | 'close'>;
/** What is used of nfc-pcsc's NFC (the PC/SC context). */
export type NfcLike = Pick<NFC, 'close'> & {
  on(event: 'reader', fn: (reader: NfcReaderLike) => void): unknown;
  on(event: 'error', fn: (err: Error) => void): unknown;
};
export type NfcFactory = () => NfcLike | Promise<NfcLike>;

export const PCSCD_SOCKET = '/run/pcscd/pcscd.comm';
export const NFC_PCSC: NativePackage = { pkg: 'nfc-pcsc', addon: '@pokusew/pcsclite', apt: 'libpcsclite-dev pcscd' };

export type NfcPcscModule = typeof import('nfc-pcsc');
export const importNfcPcsc = (): Promise<NfcPcscModule> => import('nfc-pcsc');
export const loadNfcPcsc = (importer = importNfcPcsc) => loadOptional(NFC_PCSC, importer);

/** Creates PC/SC contexts. No logger is passed: nfc-pcsc's debug output carries whole UIDs. */
export const nfcFactory = (importer = importNfcPcsc): NfcFactory => async () => new (await loadNfcPcsc(importer)).NFC();

/**
 * True when pcscd accepts a connection on its socket. `new NFC()` retries forever, blocking the
 * event loop, while pcscd is absent; a stale socket file left by a crashed pcscd fails this too.
 */
export function probePcscd(path = PCSCD_SOCKET, timeoutMs = 1000): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = createConnection({ path });
    const done = (ok: boolean) => { sock.destroy(); resolve(ok); };
    sock.setTimeout(timeoutMs, () => done(false));
    sock.once('connect', () => done(true));
    sock.once('error', () => done(false));
  });
}

// nfc-pcsc's constants, as literals so that the library is not loaded to read them.
const CONNECT_MODE_DIRECT = 'CONNECT_MODE_DIRECT';
const CONNECT_MODE_CARD = 'CONNECT_MODE_CARD';
/** PC/SC GET DATA: the UID of the card in the field, then SW 90 00. */
const GET_UID = Buffer.from([0xff, 0xca, 0x00, 0x00, 0x00]);
/** ACR122U: "Set Buzzer Output Enable for Card Detection", off. */
export const BEEPER_OFF = Buffer.from([0xff, 0x00, 0x52, 0x00, 0x00]);

/** Upper-case hex UID from a GET DATA response; throws for a bad status or a UID of the wrong size. */
export function parseUidResponse(res: Buffer): string {
  if (res.length < 2 || res.readUInt16BE(res.length - 2) !== 0x9000) {
    throw new Error(`UID read refused (status ${res.subarray(-2).toString('hex') || 'none'})`);
  }
  const uid = res.subarray(0, -2).toString('hex').toUpperCase();
  if (!CARD_UID.test(uid)) throw new Error(`UID of ${uid.length / 2} bytes (4, 7 or 10 expected)`);
  return uid;
}

/** Turns a synchronous throw (nfc-pcsc does that when not connected) into a rejection. */
async function call<T>(fn: () => Promise<T>): Promise<T> {
  return fn();
}

export interface Acr122uReaderOptions {
  /** Case-insensitive substring of the PC/SC reader name; the first reader found when absent. */
  readerName?: string;
  createNfc?: NfcFactory;
  pcscdAvailable?: () => Promise<boolean>;
  timers?: Timers;
  log?: Logger;
  /** A read that takes longer is reported as an error (a hung USB transfer). */
  readTimeoutMs?: number;
  /** After the context is up, how long to wait for a reader before reporting `detached`. */
  readerWaitMs?: number;
  retryMinMs?: number;
  retryMaxMs?: number;
  /** A card that leaves and comes back within this time is the same tap (RF flicker). */
  removeDebounceMs?: number;
}

type Tap = { state: 'reading' } | { state: 'present'; uid: string } | { state: 'failed' };

export class Acr122uReader extends TypedEmitter<CardReaderEvents> implements CardReader {
  readonly #readerName: string | undefined;
  readonly #createNfc: NfcFactory;
  readonly #pcscdAvailable: () => Promise<boolean>;
  readonly #timers: Timers;
  readonly #log: Logger;
  readonly #readTimeoutMs: number;
  readonly #readerWaitMs: number;
  readonly #retryMinMs: number;
  readonly #retryMaxMs: number;
  readonly #removeDebounceMs: number;

  #running = false;
  /** Bumped by stop(): async work of an earlier run sees it and drops its result. */
  #gen = 0;
  #state: 'unknown' | 'attached' | 'detached' = 'unknown';
  #nfc: NfcLike | null = null;
  #active: NfcReaderLike | null = null;
  #standby: NfcReaderLike[] = [];
  #tap: Tap | null = null;
  #leaving: { uid: string; timer: TimerHandle } | null = null;
  #beeperOp: Promise<void> | null = null;
  #beeperOnNextCard = false;
  #attempt = 0;
  #retryTimer: TimerHandle | null = null;
  #waitTimer: TimerHandle | null = null;
  #pcscdDownLogged = false;

  constructor(opts: Acr122uReaderOptions = {}) {
    super();
    this.#readerName = opts.readerName?.toLowerCase();
    this.#createNfc = opts.createNfc ?? nfcFactory();
    this.#pcscdAvailable = opts.pcscdAvailable ?? (() => probePcscd());
    this.#timers = opts.timers ?? systemTimers;
    this.#log = opts.log ?? createLogger({ name: 'reader' });
    this.#readTimeoutMs = opts.readTimeoutMs ?? 2000;
    this.#readerWaitMs = opts.readerWaitMs ?? 3000;
    this.#retryMinMs = opts.retryMinMs ?? 1000;
    this.#retryMaxMs = opts.retryMaxMs ?? 10000;
    this.#removeDebounceMs = opts.removeDebounceMs ?? 300;
  }

  get attached(): boolean { return this.#state === 'attached'; }

  /** Never throws: a missing pcscd or reader is reported by `detached` and retried. */
  async start(): Promise<void> {
    if (this.#running) return;
    this.#running = true;
    await this.#connect(++this.#gen);
  }

  async stop(): Promise<void> {
    if (!this.#running) return;
    this.#running = false;
    this.#gen++;
    this.#retryTimer = this.#cancel(this.#retryTimer);
    // Stopping is not the card leaving: no `removed` on the way out.
    this.#tap = null;
    if (this.#leaving) this.#timers.clearTimeout(this.#leaving.timer);
    this.#leaving = null;
    this.#teardown();
    this.#state = 'unknown';
    this.#attempt = 0;
  }

  // --- PC/SC context: create, lose, retry ---

  async #connect(gen: number): Promise<void> {
    this.#retryTimer = null;
    const up = await this.#pcscdAvailable().catch(() => false);
    if (gen !== this.#gen) return;
    if (!up) {
      if (!this.#pcscdDownLogged) this.#log.warn(`pcscd is not running (no ${PCSCD_SOCKET}): waiting for it`);
      this.#pcscdDownLogged = true;
      this.#markDetached();
      this.#scheduleRetry(gen);
      return;
    }
    let nfc: NfcLike;
    try {
      nfc = await this.#createNfc();
    } catch (err) {
      this.#log.error({ err: (err as Error).message }, 'could not open a PC/SC context');
      this.#markDetached();
      this.#scheduleRetry(gen);
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
    this.#waitTimer = this.#timers.setTimeout(() => {
      this.#waitTimer = null;
      if (this.#active) return;
      this.#log.warn('no card reader found: check the USB cable, `pcsc_scan`, and that pn533_usb is blacklisted (docs/hardware.md)');
      this.#markDetached();
    }, this.#readerWaitMs);
  }

  #scheduleRetry(gen: number): void {
    this.#retryTimer = this.#cancel(this.#retryTimer);
    const ms = Math.min(this.#retryMaxMs, this.#retryMinMs * 2 ** this.#attempt++);
    this.#retryTimer = this.#timers.setTimeout(() => void this.#connect(gen), ms);
  }

  /** pcscd stopped or restarted: its monitoring has ended, so start over with a new context. */
  #onNfcError(nfc: NfcLike, err: Error): void {
    if (nfc !== this.#nfc) return;
    this.#log.warn({ err: err.message }, 'PC/SC context failed (pcscd stopped?): reconnecting');
    this.#teardown();
    this.#markDetached();
    this.#scheduleRetry(this.#gen);
  }

  /** Drops the context and its readers. Listeners stay: a late 'error' with none would throw. */
  #teardown(): void {
    this.#waitTimer = this.#cancel(this.#waitTimer);
    this.#dropActive();
    for (const r of this.#standby) closeQuietly(r);
    this.#standby = [];
    if (this.#nfc) closeQuietly(this.#nfc);
    this.#nfc = null;
  }

  // --- readers ---

  #onReader(nfc: NfcLike, r: NfcReaderLike): void {
    if (nfc !== this.#nfc) return;
    if (this.#readerName && !r.name.toLowerCase().includes(this.#readerName)) {
      this.#log.info({ reader: r.name }, 'ignoring a reader whose name does not match reader.name');
      return;
    }
    // Read the UID ourselves: works for ISO 14443-3 and -4 cards alike, needs no AID, and
    // avoids the library's error paths that swallow or half-report a failed read.
    r.autoProcessing = false;
    r.on('card', () => void this.#onCard(r));
    r.on('card.off', () => this.#onCardOff(r));
    r.on('error', (err) => this.#log.warn({ reader: r.name, err: err.message }, 'reader error'));
    r.on('end', () => this.#onReaderEnd(r));
    if (this.#active) {
      this.#log.info({ reader: r.name }, 'a second reader is kept on standby');
      this.#standby.push(r);
      return;
    }
    this.#activate(r);
  }

  #activate(r: NfcReaderLike): void {
    this.#active = r;
    this.#attempt = 0;
    this.#waitTimer = this.#cancel(this.#waitTimer);
    this.#log.info({ reader: r.name }, 'card reader attached');
    this.#markAttached();
    const op: Promise<void> = this.#beeperOff(r).finally(() => { if (this.#beeperOp === op) this.#beeperOp = null; });
    this.#beeperOp = op;
  }

  /**
   * An ACR122U beeps on every card by itself; the terminal's own buzzer speaks instead. Needs a
   * direct connection and CCID escape commands enabled in libccid (docs/hardware.md); when that
   * fails, the command goes to the reader with the next card instead.
   */
  async #beeperOff(r: NfcReaderLike): Promise<void> {
    try {
      await this.#timed(call(() => r.connect(CONNECT_MODE_DIRECT)), 'beeper setup');
      const res = await this.#timed(call(() => r.control(BEEPER_OFF, 2)), 'beeper setup');
      if (res[0] !== 0x90) throw new Error(`reader answered ${res.toString('hex')}`);
      this.#beeperOnNextCard = false;
      this.#log.info('reader beeper switched off');
    } catch (err) {
      this.#beeperOnNextCard = true;
      this.#log.warn({ err: (err as Error).message }, 'could not switch the reader beeper off by escape command: trying again with the first card');
    } finally {
      await call(() => r.disconnect()).catch(() => undefined);
    }
  }

  #onReaderEnd(r: NfcReaderLike): void {
    const i = this.#standby.indexOf(r);
    if (i >= 0) this.#standby.splice(i, 1);
    if (r !== this.#active) return;
    this.#log.warn({ reader: r.name }, 'card reader gone');
    this.#dropActive();
    const next = this.#standby.shift();
    if (next) {
      this.#activate(next);
      return;
    }
    // A fresh context finds the reader again if it is still plugged in (its monitor can end on a
    // USB error alone), and otherwise waits for it to be plugged back.
    this.#markDetached();
    this.#teardown();
    this.#scheduleRetry(this.#gen);
  }

  /** Forgets the active reader; a card on it has left the field with it. */
  #dropActive(): void {
    const r = this.#active;
    const hadCard = this.#tap?.state === 'present' || this.#leaving !== null;
    this.#active = null;
    this.#beeperOnNextCard = false;
    this.#tap = null;
    if (this.#leaving) this.#timers.clearTimeout(this.#leaving.timer);
    this.#leaving = null;
    if (hadCard) this.#emitSafe('removed');
    if (r) closeQuietly(r);
  }

  // --- taps ---

  async #onCard(r: NfcReaderLike): Promise<void> {
    if (r !== this.#active || this.#tap) return; // one report per tap: a repeat without card.off is ignored
    const tap: Tap = { state: 'reading' };
    this.#tap = tap;
    let uid: string;
    try {
      if (this.#beeperOp) {
        // The beeper setup shares the reader's connection and has just dropped it.
        await this.#beeperOp;
        await call(() => r.connect(CONNECT_MODE_CARD));
      }
      uid = parseUidResponse(await this.#timed(call(() => r.transmit(GET_UID, 12)), 'UID read'));
    } catch (err) {
      if (this.#tap === tap) this.#tap = { state: 'failed' };
      if (r === this.#active) this.#readFailed(err as Error);
      return;
    }
    if (r !== this.#active) return;
    if (this.#tap !== tap) {
      this.#readFailed(new Error('card left the field during the read'));
      return;
    }
    this.#tap = { state: 'present', uid };
    if (this.#leaving?.uid === uid) {
      this.#timers.clearTimeout(this.#leaving.timer);
      this.#leaving = null;
      return;
    }
    this.#flushLeaving();
    this.#log.info({ uid: maskUid(uid) }, 'card');
    this.#emitSafe('card', uid);
    if (this.#beeperOnNextCard) {
      this.#beeperOnNextCard = false;
      call(() => r.transmit(BEEPER_OFF, 2)).then(
        () => this.#log.info('reader beeper switched off'),
        (err: Error) => this.#log.warn({ err: err.message }, 'could not switch the reader beeper off'),
      );
    }
  }

  #onCardOff(r: NfcReaderLike): void {
    if (r !== this.#active) return;
    const tap = this.#tap;
    this.#tap = null;
    // nfc-pcsc drops a failed connect silently (it emits the error object as an event name), so a
    // card.off that no card preceded is a card pulled away before it could be read.
    if (!tap) this.#readFailed(new Error('card left the field before it could be read'));
    else if (tap.state === 'present') this.#startLeaving(tap.uid);
    // 'reading': the pending read reports it; 'failed': already reported.
  }

  /** `removed` waits a moment: the same card seen again by then is one tap, not two. */
  #startLeaving(uid: string): void {
    this.#flushLeaving();
    if (this.#removeDebounceMs <= 0) this.#emitSafe('removed');
    else this.#leaving = { uid, timer: this.#timers.setTimeout(() => this.#flushLeaving(), this.#removeDebounceMs) };
  }

  #flushLeaving(): void {
    if (!this.#leaving) return;
    this.#timers.clearTimeout(this.#leaving.timer);
    this.#leaving = null;
    this.#emitSafe('removed');
  }

  #readFailed(err: Error): void {
    this.#log.warn({ err: err.message }, 'card read failed');
    this.#emitSafe('error', err);
  }

  // --- helpers ---

  #markAttached(): void {
    if (this.#state === 'attached') return;
    this.#state = 'attached';
    this.#emitSafe('attached');
  }

  #markDetached(): void {
    if (this.#state === 'detached') return;
    this.#state = 'detached';
    this.#emitSafe('detached');
  }

  /** A listener that throws (or an 'error' nobody listens to) must not end up inside nfc-pcsc. */
  #emitSafe<K extends keyof CardReaderEvents & string>(event: K, ...args: CardReaderEvents[K]): void {
    try {
      this.emit(event, ...args);
    } catch (err) {
      this.#log.error({ event, err: (err as Error).message }, 'card reader listener failed');
    }
  }

  #timed<T>(p: Promise<T>, what: string): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const t = this.#timers.setTimeout(() => reject(new Error(`${what}: no answer from the reader within ${this.#readTimeoutMs} ms (USB timeout?)`)), this.#readTimeoutMs);
      p.then((v) => { this.#timers.clearTimeout(t); resolve(v); }, (e: unknown) => { this.#timers.clearTimeout(t); reject(e as Error); });
    });
  }

  #cancel(t: TimerHandle | null): null {
    if (t !== null) this.#timers.clearTimeout(t);
    return null;
  }
}

function closeQuietly(x: { close(): void }): void {
  try {
    x.close();
  } catch {
    // Already closed, or pcscd is gone: nothing left to release.
  }
}
