// One interface per device. Firmware talks only to these; real (hal/pi) and simulated (hal/sim)
// drivers implement them, and only code under hal/ imports a hardware library.
import type { TypedEmitter } from '../lib/emitter.ts';
import type { KeyName, ScreenModel, Led, BuzzerPattern, IndicatorState, ReaderStatus } from '../contract/index.ts';

export type { KeyName, ScreenModel, Led, BuzzerPattern, IndicatorState, ReaderStatus };

export interface Device {
  /** Acquires the hardware. Must not throw for a device that is merely absent: report it by event. */
  start(): Promise<void>;
  /** Releases the hardware and leaves every output off. Safe to call twice. */
  stop(): Promise<void>;
}

/** Contract 1.1 § Genuine cards: what one read of a `sun` card's NDEF file mirrored. */
export interface SunRead {
  /** The mirrored UID, upper-case hex (7 bytes); may differ from the tapped one on a forged card. */
  uid: string;
  /** The mirrored SDM read counter (big-endian hex on the card). */
  ctr: number;
  /** 16 upper-case hex: the truncated SDM MAC. */
  cmac: string;
}

/** One tap: the UID, and the SUN when the card's NDEF file carried one (null: none, e.g. a UID card or a clone). */
export interface CardTap {
  uid: string;
  sun: SunRead | null;
}

export type CardReaderEvents = {
  /** A card came into the field; `uid` is upper-case hex of 4, 7 or 10 bytes. Once per tap. */
  card: [tap: CardTap];
  /** The card left the field. */
  removed: [];
  attached: [];
  detached: [];
  /** `status` changed (after `attached` / `detached`, before the `card` of a read that answered). */
  status: [status: ReaderStatus];
  /** A read that failed (card pulled away mid-read, USB timeout…): no UID, nothing changes. */
  error: [err: Error];
};
export interface CardReader extends Device, TypedEmitter<CardReaderEvents> {
  readonly attached: boolean;
  /** `ready` only while the reader is there and answers; the status bar shows it. */
  readonly status: ReaderStatus;
}

/** LEDs and buzzer that could not be driven: selling goes on with feedback elsewhere. */
export interface IndicatorFault {
  /** What is missing and how to fix it (English, for the log, `klubkort status` and the selftest). */
  problem: string;
  /** Where the feedback goes instead: the card reader's own LED and beeper, or only the screen. */
  fallback: 'reader' | 'screen';
}

export interface Indicators extends Device {
  /** Shows a LED colour and plays a buzzer pattern; a new call cancels a running pattern. Never blocks. */
  show(state: IndicatorState): void;
  /** Set by start() when the LEDs and buzzer are missing; absent or null when they work. */
  readonly fault?: IndicatorFault | null;
}

export type KeypadEvents = { key: [key: KeyName] };
export interface Keypad extends Device, TypedEmitter<KeypadEvents> {}

export interface Display extends Device {
  draw(model: ScreenModel): void;
}

/** Looks up stored photo bytes by SHA-256 (the display never reads the journal itself). */
export type PhotoLookup = (sha256: string) => Promise<Buffer | null>;

/**
 * A photo prepared ahead for one pixel output (its encoded sixel, or its scaled framebuffer
 * pixels) at one size: a tap reads it instead of decoding and encoding the photo.
 */
export interface PreparedPhoto {
  /** The decoded photo's size: its shape lays the screen out as the decoded photo would. */
  srcWidth: number;
  srcHeight: number;
  /** The size it was scaled to (the photo fitted into its box). */
  width: number;
  height: number;
  bytes: Buffer;
}

/**
 * Where prepared photos are kept (the journal's photo_prepared, erased with their photo). `output`
 * names the pixel output and what shapes its bytes (e.g. "sixel:256", "framebuffer").
 */
export interface PreparedPhotoStore {
  /** The sizes of `sha` prepared for `output`. */
  get(sha: string, output: string): Promise<PreparedPhoto[]>;
  /** Keeps `p`, unless the photo is gone meanwhile (then false: nothing of it is written). */
  put(sha: string, output: string, p: PreparedPhoto): Promise<boolean>;
  /** Up to `limit` stored photos with no size prepared for `output`, in SHA order after `after`. */
  unprepared(output: string, after: string, limit: number): Promise<string[]>;
  /** Drops what was prepared for any other output (the screen changed), and every size of `sha` but `keep`. */
  prune(output: string): Promise<void>;
  /** Calls `fn` whenever photos were stored (a sync, a photo arriving). */
  onStored(fn: () => void): void;
}

export interface Hardware {
  reader: CardReader;
  indicators: Indicators;
  keypad: Keypad;
  display: Display;
}

/** Stops every device (outputs off, reader released); one failing does not keep the others running. */
export async function stopHardware(hw: Hardware): Promise<void> {
  await Promise.allSettled([hw.reader.stop(), hw.keypad.stop(), hw.indicators.stop(), hw.display.stop()]);
}
