// The demo club's cards as the simulator's hand holds them: each `sun` child has an emulated NTAG
// 424 DNA, personalised at start as the issuing desk would, so a tap reads a fresh SUN from it.
// Also the two attacks the terminal and the ledger must refuse: a clone (same UID, no SUN) and a
// replay (a SUN read before, sent again).
import type { SimReaderMsg } from '../contract/index.ts';
import { Ntag424Card, personalise, readSun, type Transmit } from '../hal/ntag424/index.ts';
import type { SunKeys } from './ledger/card-auth.ts';

type Tap = Extract<SimReaderMsg, { action: 'tap' }>;

const transmitOf = (card: Ntag424Card): Transmit => async (apdu) => card.transmit(apdu);

export class DemoCards {
  readonly #chips = new Map<string, Ntag424Card>();
  readonly #last = new Map<string, Tap>();

  private constructor() {}

  /**
   * Issues an emulated chip for every `sun` card. `counterOf`: the counter the ledger already
   * accepted for it (a restarted simulator's chips go on from there, as a real card's counter does).
   */
  static async issue(cards: { uid: string; auth: 'uid' | 'sun' }[], keys: SunKeys, baseUrl: string, counterOf: (uid: string) => number = () => 0): Promise<DemoCards> {
    const d = new DemoCards();
    for (const c of cards.filter((x) => x.auth === 'sun')) {
      const chip = new Ntag424Card({ uid: c.uid, sdmCounter: counterOf(c.uid) });
      chip.powerOn();
      await personalise(transmitOf(chip), { ...keys, baseUrl });
      d.#chips.set(c.uid, chip);
    }
    return d;
  }

  isSun(uid: string): boolean { return this.#chips.has(uid); }

  /** The card held to the reader: a `sun` card's chip is read (its counter goes up), a `uid` card is its UID. */
  async tap(uid: string): Promise<Tap> {
    const chip = this.#chips.get(uid);
    if (!chip) return { action: 'tap', uid };
    chip.powerOn();
    const sun = await readSun(transmitOf(chip));
    chip.powerOff();
    const msg: Tap = sun ? { action: 'tap', uid, sun: { ctr: sun.ctr, cmac: sun.cmac, ...(sun.uid !== uid ? { uid: sun.uid } : {}) } } : { action: 'tap', uid };
    this.#last.set(uid, msg);
    return msg;
  }

  /** A clone: a card with a writable UID set to this one's, without the chip's keys. */
  clone(uid: string): Tap { return { action: 'tap', uid }; }

  /** A replay: the last SUN read from this card, sent again; null before its first tap. */
  replay(uid: string): Tap | null { return this.#last.get(uid) ?? null; }
}
