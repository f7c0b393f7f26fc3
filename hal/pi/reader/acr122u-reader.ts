// CardReader over nfc-pcsc (PC/SC via pcscd) for an ACS ACR122U, or any PC/SC contactless reader.
// Three parts: the PC/SC session (pcsc-session.ts) finds the reader, the pure tap machine
// (tap-machine.ts) decides what a card's comings and goings mean, and this class performs its
// effects: UID and SUN reads with a timeout, the debounce timer, events out, and the beeper setup.
// nfc-pcsc is imported only when the first context is created; everything it touches is injected,
// so tests drive fakes of its NFC and Reader objects on a manual clock.
import { TypedEmitter } from '../../../lib/emitter.ts';
import type { CardReader, CardReaderEvents, CardTap, IndicatorState, ReaderStatus } from '../../types.ts';
import { createLogger, maskUid, type Logger } from '../../../lib/log.ts';
import { readSun } from '../../ntag424/index.ts';
import {
  BEEPER_OFF,
  call,
  CARD_RESPONSE_MAX,
  checkReaderAnswer,
  GET_UID,
  mayCarrySun,
  parseUidResponse,
  sendEscape,
} from './acr122u-commands.ts';
import { ledBuzzerCommand, type ReaderSignal } from './acr122u-led.ts';
import { PcscSession, probePcscd, type NfcFactory, type NfcReaderLike } from './pcsc-session.ts';
import { childNfcFactory } from './pcsc-proxy.ts';
import { ReaderHealer } from './reader-healer.ts';
import { initialTapState, tapTransition, type TapEffect, type TapEvent, type TapState } from './tap-machine.ts';
import { type Intervals, systemTimers, type TimerHandle, type Timers } from '../../../lib/timers.ts';

export { BEEPER_OFF, parseUidResponse } from './acr122u-commands.ts';
export {
  importNfcPcsc,
  loadNfcPcsc,
  nfcFactory,
  NFC_PCSC,
  PCSCD_SOCKET,
  probePcscd,
  type NfcFactory,
  type NfcLike,
  type NfcPcscModule,
  type NfcReaderLike,
} from './pcsc-session.ts';

export interface Acr122uReaderOptions {
  /** Case-insensitive substring of the PC/SC reader name; the first reader found when absent. */
  readerName?: string;
  /** PC/SC contexts each in a child process of their own (pcsc-proxy.ts) by default. */
  createNfc?: NfcFactory;
  pcscdAvailable?: () => Promise<boolean>;
  /** The reader's deadlines and debounce, and its PC/SC child's heartbeat. */
  timers?: Timers & Intervals;
  log?: Logger;
  /** A read that takes longer is reported as an error (a hung USB transfer). */
  readTimeoutMs?: number;
  /** After the context is up, how long to wait for a reader before reporting `detached`. */
  readerWaitMs?: number;
  retryMinMs?: number;
  retryMaxMs?: number;
  /** A card that leaves and comes back within this time is the same tap (RF flicker). */
  removeDebounceMs?: number;
  /** This many reader timeouts in a row rebuild the PC/SC context (3). */
  timeoutsToHeal?: number;
  /** The ACR122U on USB but missing from PC/SC this long rebuilds the context (30 s). */
  missingMs?: number;
  /** Is the ACR122U on USB? sysfs (/sys/bus/usb/devices) by default; null: cannot tell. */
  usbPresent?: () => Promise<boolean | null>;
  usbPollMs?: number;
  /** `systemctl restart pcscd.service` by default. */
  restartPcscd?: () => Promise<void>;
}

/** The reader did not answer in time: a hung USB transfer or pcscd, not a card pulled away. */
export class ReaderTimeout extends Error {
  override name = 'ReaderTimeout';
}

export class Acr122uReader extends TypedEmitter<CardReaderEvents> implements CardReader, ReaderSignal {
  readonly #session: PcscSession;
  readonly #healer: ReaderHealer;
  readonly #timers: Timers & Intervals;
  readonly #log: Logger;
  readonly #readTimeoutMs: number;
  readonly #removeDebounceMs: number;

  #running = false;
  #state: 'unknown' | 'attached' | 'detached' = 'unknown';
  #tap: TapState = initialTapState();
  #debounce: TimerHandle | null = null;
  /** An escape command (beeper setup, LED) to the active reader, while it holds the reader's connection. */
  #escapeOp: Promise<void> | null = null;
  #beeperOnNextCard = false;

  constructor(opts: Acr122uReaderOptions = {}) {
    super();
    this.#timers = opts.timers ?? systemTimers;
    this.#log = opts.log ?? createLogger({ name: 'reader' });
    this.#readTimeoutMs = opts.readTimeoutMs ?? 2000;
    this.#removeDebounceMs = opts.removeDebounceMs ?? 300;
    this.#session = new PcscSession({
      readerName: opts.readerName,
      createNfc: opts.createNfc ?? childNfcFactory({ log: this.#log, timers: this.#timers }),
      pcscdAvailable: opts.pcscdAvailable ?? (() => probePcscd()),
      timers: this.#timers,
      log: this.#log,
      readerWaitMs: opts.readerWaitMs ?? 3000,
      retryMinMs: opts.retryMinMs ?? 1000,
      retryMaxMs: opts.retryMaxMs ?? 10000,
    });
    this.#healer = new ReaderHealer({
      timers: this.#timers,
      log: this.#log,
      rebuild: () => this.#session.rebuild(),
      restartPcscd: opts.restartPcscd,
      usbPresent: opts.usbPresent,
      usbPollMs: opts.usbPollMs,
      timeoutsToHeal: opts.timeoutsToHeal,
      missingMs: opts.missingMs,
      onStatus: (st) => this.#emitSafe('status', st),
    });
    this.#session.on('active', (r) => this.#onActive(r));
    this.#session.on('inactive', () => this.#onInactive());
    this.#session.on('detached', () => {
      this.#markDetached();
      this.#healer.dispatch({ type: 'absent' });
    });
    this.#session.on('card', (r, card) => this.#dispatch({ type: 'cardIn', sun: mayCarrySun(card) }, r));
    this.#session.on('cardOff', (r) => this.#dispatch({ type: 'cardOff' }, r));
  }

  get attached(): boolean {
    return this.#state === 'attached';
  }
  get status(): ReaderStatus {
    return this.#healer.status;
  }

  /** Never throws: a missing pcscd or reader is reported by `detached` and retried. */
  async start(): Promise<void> {
    if (this.#running) return;
    this.#running = true;
    await this.#healer.start();
    await this.#session.start();
  }

  async stop(): Promise<void> {
    if (!this.#running) return;
    this.#running = false;
    // Stopping is not the card leaving: no `removed` on the way out.
    this.#tap = { ...initialTapState(), reads: this.#tap.reads };
    this.#cancelDebounce();
    this.#healer.stop();
    this.#session.stop();
    this.#state = 'unknown';
  }

  // --- the active reader ---

  #onActive(r: NfcReaderLike): void {
    this.#markAttached();
    this.#healer.dispatch({ type: 'present' });
    void this.#escape(() => this.#beeperOff(r));
  }

  /** Runs `fn` (which connects directly) after any escape before it; a read waits for them all. */
  #escape(fn: () => Promise<void>): Promise<void> {
    const op: Promise<void> = (this.#escapeOp ?? Promise.resolve()).then(fn).finally(() => {
      if (this.#escapeOp === op) this.#escapeOp = null;
    });
    this.#escapeOp = op;
    return op;
  }

  /**
   * ReaderSignal: the ACR122U's own LED and beeper, the fallback when the GPIO ones are missing.
   * With a card in the field the connection is the card's and the pseudo-APDU goes by transmit;
   * else by escape command. Rejects when the reader refuses or is not there (the caller logs it).
   */
  async signal(state: IndicatorState): Promise<void> {
    const r = this.#session.active;
    if (!r) throw new Error('no card reader attached');
    const cmd = ledBuzzerCommand(state);
    if (this.#tap.tap) {
      checkReaderAnswer(
        await this.#timed(
          call(() => r.transmit(cmd, 2)),
          'LED command',
        ),
      );
      return;
    }
    let failure: Error | null = null;
    await this.#escape(() =>
      sendEscape(r, cmd, 'LED command', (p, what) => this.#timed(p, what)).catch((err: Error) => {
        failure = err;
      }),
    );
    if (failure) throw failure;
  }

  /** The active reader is gone, and a card on it has left the field with it. */
  #onInactive(): void {
    this.#beeperOnNextCard = false;
    this.#dispatch({ type: 'lost' });
    this.#healer.dispatch({ type: 'absent' });
  }

  /**
   * An ACR122U beeps on every card by itself; the terminal's own buzzer speaks instead. Needs a
   * direct connection and CCID escape commands enabled in libccid (docs/hardware.md); when that
   * fails, the command goes to the reader with the next card instead.
   */
  async #beeperOff(r: NfcReaderLike): Promise<void> {
    try {
      await sendEscape(r, BEEPER_OFF, 'beeper setup', (p, what) => this.#timed(p, what));
      this.#beeperOnNextCard = false;
      this.#log.info('reader beeper switched off');
      this.#healthFrom(r, { type: 'answered' });
    } catch (err) {
      // Silence counts against the reader; a refusal does not prove it well (pcscd may say it).
      if (err instanceof ReaderTimeout) this.#healthFrom(r, { type: 'timeout' });
      this.#beeperOnNextCard = true;
      this.#log.warn(
        { err: (err as Error).message },
        'could not switch the reader beeper off by escape command: trying again with the first card',
      );
    }
  }

  // --- taps: the machine decides, this performs ---

  /** `from`: the reader the event came from, to drop a late result of one no longer active. */
  #dispatch(ev: TapEvent, from?: NfcReaderLike): void {
    if (from && from !== this.#session.active) return;
    const step = tapTransition(this.#tap, ev, { removeDebounceMs: this.#removeDebounceMs });
    this.#tap = step.state;
    for (const e of step.effects) this.#perform(e);
  }

  #perform(e: TapEffect): void {
    switch (e.type) {
      case 'read': {
        const r = this.#session.active;
        if (r) void this.#read(r, e.read, e.sun);
        return;
      }
      case 'card':
        return this.#onTapCard(e.tap);
      case 'removed':
        return this.#emitSafe('removed');
      case 'error':
        this.#log.warn({ err: e.err.message }, 'card read failed');
        return this.#emitSafe('error', e.err);
      case 'debounce':
        this.#cancelDebounce();
        this.#debounce = this.#timers.setTimeout(() => {
          this.#debounce = null;
          this.#dispatch({ type: 'debounceElapsed' });
        }, e.ms);
        return;
      case 'cancelDebounce':
        return this.#cancelDebounce();
    }
  }

  /** The UID, then for a card that may carry one the SUN (hal/ntag424's NDEF read): one tap. */
  async #read(r: NfcReaderLike, read: number, sun: boolean): Promise<void> {
    let tap: CardTap;
    try {
      if (this.#escapeOp !== null) {
        // The beeper setup shares the reader's connection and has just dropped it.
        await this.#escapeOp;
        await call(() => r.connect('CONNECT_MODE_CARD'));
      }
      const res = await this.#timed(
        call(() => r.transmit(GET_UID, 12)),
        'UID read',
      );
      // Bytes back, even a refusal: the reader answers. Before the tap machine, so that the status
      // says ready before the card is reported.
      this.#healthFrom(r, { type: 'answered' });
      const uid = parseUidResponse(res);
      // A card without the NDEF application or file (SELECT refused) is a UID card: sun null. A
      // transfer that breaks (card pulled away, garbled answer) throws: the tap is a read error.
      tap = {
        uid,
        sun: sun
          ? await readSun((apdu) =>
              this.#timed(
                call(() => r.transmit(apdu, CARD_RESPONSE_MAX)),
                'SUN read',
              ),
            )
          : null,
      };
    } catch (err) {
      // The failed read is reported before healing drops this reader. Only silence counts
      // against it; an error from pcscd (card gone, cannot connect) proves nothing either way.
      this.#dispatch({ type: 'readFailed', read, err: err as Error }, r);
      if (err instanceof ReaderTimeout) this.#healthFrom(r, { type: 'timeout' });
      return;
    }
    this.#dispatch({ type: 'readDone', read, tap }, r);
  }

  /** What a reader's answer or silence says of its health, if it is still the active one. */
  #healthFrom(r: NfcReaderLike, ev: { type: 'answered' | 'timeout' }): void {
    if (r === this.#session.active) this.#healer.dispatch(ev);
  }

  #onTapCard(tap: CardTap): void {
    this.#log.info({ uid: maskUid(tap.uid), sun: tap.sun !== null }, 'card');
    this.#emitSafe('card', tap);
    const r = this.#session.active;
    if (!this.#beeperOnNextCard || !r) return;
    this.#beeperOnNextCard = false;
    call(() => r.transmit(BEEPER_OFF, 2))
      .then(checkReaderAnswer)
      .then(
        () => this.#log.info('reader beeper switched off'),
        (err: Error) => this.#log.warn({ err: err.message }, 'could not switch the reader beeper off'),
      );
  }

  // --- helpers ---

  #cancelDebounce(): void {
    if (this.#debounce !== null) this.#timers.clearTimeout(this.#debounce);
    this.#debounce = null;
  }

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

  /** A call into the reader that rejects with a ReaderTimeout if it takes too long. */
  #timed<T>(p: Promise<T>, what: string): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const t = this.#timers.setTimeout(
        () =>
          reject(
            new ReaderTimeout(`${what}: no answer from the reader within ${this.#readTimeoutMs} ms (USB timeout?)`),
          ),
        this.#readTimeoutMs,
      );
      p.then(
        (v) => {
          this.#timers.clearTimeout(t);
          resolve(v);
        },
        (e: unknown) => {
          this.#timers.clearTimeout(t);
          reject(e as Error);
        },
      );
    });
  }
}
