// The demo club's cards as the simulator's hand holds them: each `sun` child has an emulated NTAG
// 424 DNA, personalised as the issuing desk would, so a tap reads a fresh SUN from it. Also the
// two attacks the terminal and the ledger must refuse: a clone (same UID, no SUN) and a replay (a
// SUN read before, sent again); and the list of cards to tap, as the ledger has them.
import type { SimReaderMsg } from '../contract/index.ts';
import { Ntag424Card, personalise, readSun, type Transmit } from '../hal/ntag424/index.ts';
import type { SimCard } from '../firmware/ui/sim-panel.ts';
import type { SunKeys } from './reference-ledger/card-auth.ts';
import type { Ledger } from './reference-ledger/ledger.ts';
import { must } from '../lib/must.ts';

type Tap = Extract<SimReaderMsg, { action: 'tap' }>;

const transmitOf =
  (card: Ntag424Card): Transmit =>
  async (apdu) =>
    card.transmit(apdu);

/** A UID the demo club never issued: the simulator's "unknown card". */
export const UNKNOWN_CARD_UID = '04BADC0FFEE001';

/**
 * The cards the simulator can hold to the reader, as the ledger has them now: the club's cards (in
 * its order), one card it never issued, then its staff cards.
 */
export function cardsInHand(ledger: Pick<Ledger, 'cards' | 'staff'>, clubId: string): SimCard[] {
  const cards: SimCard[] = ledger
    .cards(clubId)
    .map((c) => ({ uid: c.cardUid, label: c.name, sun: c.auth === 'sun', blocked: c.status === 'blocked' }));
  const staff: SimCard[] = ledger.staff(clubId).map((s) => ({ uid: s.cardUid, label: s.name, role: s.role }));
  const unknown = [...cards, ...staff].some((c) => c.uid === UNKNOWN_CARD_UID)
    ? []
    : [{ uid: UNKNOWN_CARD_UID, label: '', unknown: true }];
  return [...cards, ...unknown, ...staff];
}

export class DemoCards {
  readonly #chips = new Map<string, Ntag424Card>();
  readonly #last = new Map<string, Tap>();

  private constructor(
    private readonly keys: SunKeys,
    private readonly baseUrl: string,
    private readonly counterOf: (uid: string) => number,
  ) {}

  /**
   * Issues an emulated chip for every `sun` card. `counterOf`: the counter the ledger already
   * accepted for it (a restarted simulator's chips go on from there, as a real card's counter does).
   */
  static async issue(
    cards: { uid: string; auth: 'uid' | 'sun' }[],
    keys: SunKeys,
    baseUrl: string,
    counterOf: (uid: string) => number = () => 0,
  ): Promise<DemoCards> {
    const d = new DemoCards(keys, baseUrl, counterOf);
    for (const c of cards.filter((x) => x.auth === 'sun')) await d.#issue(c.uid);
    return d;
  }

  async #issue(uid: string): Promise<void> {
    const chip = new Ntag424Card({ uid, sdmCounter: this.counterOf(uid) });
    chip.powerOn();
    await personalise(transmitOf(chip), { ...this.keys, baseUrl: this.baseUrl });
    this.#chips.set(uid, chip);
  }

  isSun(uid: string): boolean {
    return this.#chips.has(uid);
  }

  /**
   * The card held to the reader: a `sun` card's chip is read (its counter goes up), a `uid` card is
   * its UID. `sun`: what the ledger says the card is now; a card made `sun` since the start (`ledger
   * auth … sun`) gets its chip at its first tap.
   */
  async tap(uid: string, sun = this.#chips.has(uid)): Promise<Tap> {
    if (!sun) return { action: 'tap', uid };
    if (!this.#chips.has(uid)) await this.#issue(uid);
    const chip = must(this.#chips.get(uid), 'the chip issued above');
    chip.powerOn();
    const read = await readSun(transmitOf(chip));
    chip.powerOff();
    const msg: Tap = read
      ? { action: 'tap', uid, sun: { ctr: read.ctr, cmac: read.cmac, ...(read.uid !== uid ? { uid: read.uid } : {}) } }
      : { action: 'tap', uid };
    this.#last.set(uid, msg);
    return msg;
  }

  /** A clone: a card with a writable UID set to this one's, without the chip's keys. */
  clone(uid: string): Tap {
    return { action: 'tap', uid };
  }

  /** A replay: the last SUN read from this card, sent again; null before its first tap. */
  replay(uid: string): Tap | null {
    return this.#last.get(uid) ?? null;
  }
}
