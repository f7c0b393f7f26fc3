// A virtual contactless card for vsmartcard-vpcd: connecting to vpcd's port puts it on the
// virtual reader, closing the connection takes it away. vpcd frames every message with a 2-byte
// big-endian length; one-byte messages are 0 power off, 1 power on, 2 reset, 4 "send the ATR";
// anything longer is a command APDU, answered with a response APDU. What the card answers is an
// ApduResponder, so any card emulator plugs in (a UID card here, the NTAG 424 DNA of hal/).
import net from 'node:net';
import { type Ntag424Card, NTAG424_ATR } from '../../hal/ntag424/index.ts';

/** Answers one command APDU; a promise that never settles is a card that never answers. */
export type ApduResponder = (apdu: Buffer) => Buffer | Promise<Buffer>;

/** PC/SC part 3 ATR of a storage card (NXP NTAG / MIFARE Ultralight), TCK computed. */
export function contactlessAtr(cardName = [0x00, 0x03]): Buffer {
  const body = [
    0x3b,
    0x8f,
    0x80,
    0x01,
    0x80,
    0x4f,
    0x0c,
    0xa0,
    0x00,
    0x00,
    0x03,
    0x06,
    0x03,
    ...cardName,
    0x00,
    0x00,
    0x00,
    0x00,
  ];
  const tck = body.slice(1).reduce((a, b) => a ^ b, 0);
  return Buffer.from([...body, tck]);
}

export const SW_OK = Buffer.from([0x90, 0x00]);
const SW_INS_NOT_SUPPORTED = Buffer.from([0x6d, 0x00]);

/** A card that has a UID and answers PC/SC's GET DATA (FF CA 00 00 00) with it. */
export function uidCard(uidHex: string, other: ApduResponder = () => SW_INS_NOT_SUPPORTED): ApduResponder {
  const uid = Buffer.from(uidHex, 'hex');
  return (apdu) =>
    apdu.subarray(0, 4).equals(Buffer.from([0xff, 0xca, 0x00, 0x00])) ? Buffer.concat([uid, SW_OK]) : other(apdu);
}

/** What a card does when the reader powers it (vpcd's 1 on, 2 reset, 0 off), and when taken away. */
export interface CardPower {
  on(): void;
  off(): void;
}

export class VirtualCard {
  /** Every command APDU the card was sent, in order. */
  readonly received: Buffer[] = [];
  #sock: net.Socket | null = null;

  constructor(
    private readonly port: number,
    private respond: ApduResponder,
    private readonly atr = contactlessAtr(),
    private readonly power?: CardPower,
  ) {}

  get inserted(): boolean {
    return this.#sock !== null;
  }

  /** What the card answers from now on. */
  setResponder(respond: ApduResponder): void {
    this.respond = respond;
  }

  /** Puts the card on the reader (vpcd must be listening: pcscd is up). */
  insert(): Promise<void> {
    if (this.#sock) return Promise.resolve();
    return new Promise((resolve, reject) => {
      this.power?.on();
      const sock = net.connect(this.port, '127.0.0.1');
      sock.setNoDelay(true);
      sock.once('connect', () => {
        this.#sock = sock;
        resolve();
      });
      sock.once('error', reject);
      sock.on('close', () => {
        if (this.#sock === sock) this.#sock = null;
      });
      let buf = Buffer.alloc(0);
      sock.on('data', (d) => {
        buf = Buffer.concat([buf, d]);
        while (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) {
          const msg = buf.subarray(2, 2 + buf.readUInt16BE(0));
          buf = buf.subarray(2 + msg.length);
          void this.#handle(sock, Buffer.from(msg));
        }
      });
    });
  }

  /** Takes the card away (at once, even in the middle of a command). */
  remove(): void {
    const s = this.#sock;
    this.#sock = null;
    s?.destroy();
    this.power?.off();
  }

  async #handle(sock: net.Socket, msg: Buffer): Promise<void> {
    if (msg.length === 1) {
      if (msg[0] === 4) this.#send(sock, this.atr);
      else if (msg[0] === 0) this.power?.off();
      else this.power?.on();
      return; // 0 off, 1 on, 2 reset: no answer
    }
    this.received.push(msg);
    const res = await this.respond(msg);
    if (sock === this.#sock) this.#send(sock, res);
  }

  #send(sock: net.Socket, data: Buffer): void {
    const len = Buffer.alloc(2);
    len.writeUInt16BE(data.length);
    sock.write(Buffer.concat([len, data]));
  }
}

/**
 * hal/ntag424's emulated NTAG 424 DNA on the virtual reader: its ISO 14443-4 ATR, GET DATA answered
 * with its UID (the reader's part on a real one), every other APDU by the chip, powered as vpcd says.
 * `wrap` puts a test's twist on its answers (a card pulled away at some APDU).
 */
export function ntag424Card(
  port: number,
  chip: Ntag424Card,
  wrap = (respond: ApduResponder): ApduResponder => respond,
): VirtualCard {
  const respond = uidCard(chip.uid.toString('hex'), (apdu) =>
    chip.powered ? chip.transmit(apdu) : Buffer.from('6f00', 'hex'),
  );
  return new VirtualCard(port, wrap(respond), NTAG424_ATR, { on: () => chip.powerOn(), off: () => chip.powerOff() });
}
