// One card held on a PC/SC reader for a technician's job (e.g. `klubkort card personalise`): waits
// for a reader and a card with nfc-pcsc's automatic UID read off, and hands over a `transmit` for
// the card's APDUs. Not for the daemon (acr122u-reader.ts owns the reader there).
import type { Transmit } from '../../ntag424/index.ts';
import { CARD_RESPONSE_MAX } from './acr122u-commands.ts';
import { closeQuietly, nfcFactory, probePcscd, type NfcFactory, type NfcReaderLike } from './pcsc-session.ts';
import type { Timers } from '../../../lib/timers.ts';

export interface HeldCard {
  /** The reader's name, for the technician. */
  reader: string;
  transmit: Transmit;
  /** Releases the reader and the PC/SC context. */
  release(): void;
}

export interface HoldOptions {
  waitMs: number;
  /** Case-insensitive substring of the reader's name; the first reader when absent. */
  readerName?: string;
  createNfc?: NfcFactory;
  pcscdAvailable?: () => Promise<boolean>;
  /** Largest answer a card APDU may bring (data + SW): short APDUs. */
  maxResponse?: number;
  timers: Timers;
}

/** What a caller that has no say over the reader's PC/SC set-up gives (`klubkort card`). */
export type HoldRequest = Pick<HoldOptions, 'waitMs' | 'readerName' | 'timers'>;

export class HoldError extends Error {}

export async function holdCard(o: HoldOptions): Promise<HeldCard> {
  if (!(await (o.pcscdAvailable ?? (() => probePcscd()))()))
    throw new HoldError('pcscd is not running (sudo systemctl start pcscd)');
  const nfc = await (o.createNfc ?? nfcFactory())();
  const max = o.maxResponse ?? CARD_RESPONSE_MAX;
  const readers: NfcReaderLike[] = [];
  // Every reader, and then the context: a reader left open reports the context's end as an error.
  const release = () => {
    for (const r of readers) closeQuietly(r);
    closeQuietly(nfc);
  };
  return new Promise<HeldCard>((resolve, reject) => {
    let done = false;
    const finish = (err: Error | null, r?: NfcReaderLike) => {
      if (done) return;
      done = true;
      o.timers.clearTimeout(timer);
      if (err || !r) {
        release();
        reject(err);
        return;
      }
      resolve({ reader: r.name, transmit: (apdu) => r.transmit(apdu, max), release });
    };
    const timer = o.timers.setTimeout(
      () => finish(new HoldError(`no card on the reader within ${Math.round(o.waitMs / 1000)} s`)),
      o.waitMs,
    );
    nfc.on('error', (err) => finish(new HoldError(`PC/SC: ${err.message}`)));
    nfc.on('reader', (r) => {
      readers.push(r);
      const chosen = !o.readerName || r.name.toLowerCase().includes(o.readerName.toLowerCase());
      // Every reader gets a listener (an 'error' nobody listens to would end the process); only the
      // chosen one's error fails the wait, and after the card is handed over the transmit reports it.
      r.on('error', (err: Error) => {
        if (chosen) finish(new HoldError(`reader ${r.name}: ${err.message}`));
      });
      if (!chosen) return;
      // Our own APDUs only: nfc-pcsc would otherwise send its GET DATA and emit the UID.
      r.autoProcessing = false;
      r.on('card', () => finish(null, r));
    });
  });
}
