// nfc-pcsc 0.8 ships no types: the part of its API that hal/pi uses, as read from its source.
declare module 'nfc-pcsc' {
  import { EventEmitter } from 'node:events';

  export const TAG_ISO_14443_3: 'TAG_ISO_14443_3';
  export const TAG_ISO_14443_4: 'TAG_ISO_14443_4';
  export const CONNECT_MODE_DIRECT: 'CONNECT_MODE_DIRECT';
  export const CONNECT_MODE_CARD: 'CONNECT_MODE_CARD';
  export type ConnectMode = typeof CONNECT_MODE_DIRECT | typeof CONNECT_MODE_CARD;

  export interface Card {
    atr?: Buffer;
    standard?: typeof TAG_ISO_14443_3 | typeof TAG_ISO_14443_4;
    type?: typeof TAG_ISO_14443_3 | typeof TAG_ISO_14443_4;
    /** Lower-case hex; only with autoProcessing on an ISO 14443-3 tag. */
    uid?: string;
    /** SELECT response; only with autoProcessing on an ISO 14443-4 tag. */
    data?: Buffer;
  }

  export interface NfcLogger {
    log(...args: unknown[]): void;
    debug(...args: unknown[]): void;
    info(...args: unknown[]): void;
    warn(...args: unknown[]): void;
    error(...args: unknown[]): void;
  }

  export class BaseError extends Error {
    code: string | null;
    previous?: Error;
  }
  export class TransmitError extends BaseError {}
  export class ControlError extends BaseError {}
  export class ConnectError extends BaseError {}
  export class DisconnectError extends BaseError {}
  export class GetUIDError extends BaseError {}

  export class Reader extends EventEmitter {
    readonly name: string;
    /** When true (the default) the library reads the UID or SELECTs `aid` itself on every card. */
    autoProcessing: boolean;
    aid: string | Buffer | ((card: Card) => Buffer) | null;
    card: Card | null;
    connection: { type: number; protocol: number } | null;
    connect(mode?: ConnectMode): Promise<{ type: number; protocol: number }>;
    disconnect(): Promise<boolean>;
    /** Throws synchronously (not a rejection) when no card is connected. */
    transmit(data: Buffer, responseMaxLength: number): Promise<Buffer>;
    /** SCardControl with IOCTL_CCID_ESCAPE; throws synchronously when not connected. */
    control(data: Buffer, responseMaxLength: number): Promise<Buffer>;
    close(): void;
    on(event: 'card', listener: (card: Card) => void): this;
    on(event: 'card.off', listener: (card: Card) => void): this;
    on(event: 'error', listener: (err: Error) => void): this;
    on(event: 'end', listener: () => void): this;
  }

  export class ACR122Reader extends Reader {
    setBuzzerOutput(enabled?: boolean): Promise<void>;
    led(led: number, blinking: number[]): Promise<void>;
  }

  export class NFC extends EventEmitter {
    /** Blocks the event loop until pcscd answers: check for pcscd first. */
    constructor(logger?: NfcLogger);
    readonly readers: Record<string, unknown>;
    close(): void;
    on(event: 'reader', listener: (reader: Reader) => void): this;
    on(event: 'error', listener: (err: Error) => void): this;
  }
}
