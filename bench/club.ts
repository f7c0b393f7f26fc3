// A big club for the sync and memory cases: card records and photos published retained, as the
// ledger does, straight from a bench client (seeding 10,000 cards through the reference ledger
// would time the ledger, not the terminal).
import mqtt from 'mqtt';
import type { CardRecord } from '../contract/index.ts';
import { topics } from '../contract/index.ts';
import { noisePhoto, sha256Hex } from '../sim/photos.ts';

export const BIG_CLUB = 'bench-klub';

/** A 7-byte UID per index: `04` and 12 hex digits. */
export const benchUid = (i: number): string => `04${i.toString(16).toUpperCase().padStart(12, '0')}`;

export interface BigClub {
  cards: CardRecord[];
  photos: Map<string, Buffer>;
}

/** `cards` records; the first `photos` of them have a photo of their own. */
export function bigClub(cards: number, photos: number): BigClub {
  const bytes = new Map<string, Buffer>();
  const updatedAt = new Date().toISOString();
  const records = Array.from({ length: cards }, (_, i): CardRecord => {
    let photo: string | null = null;
    if (i < photos) {
      const png = noisePhoto(i + 1);
      photo = sha256Hex(png);
      bytes.set(photo, png);
    }
    return {
      cardUid: benchUid(i),
      holderId: `bench-${i}`,
      name: `Barn ${i}`,
      photo,
      status: 'active',
      balance: 10_000,
      version: 1,
      updatedAt,
    };
  });
  return { cards: records, photos: bytes };
}

/** Publishes the club retained, QoS 1, photos first (as the ledger does); resolves when the broker has all. */
export async function publishClub(url: string, club: BigClub, clubId = BIG_CLUB): Promise<void> {
  const c = await mqtt.connectAsync(url, { clientId: `bench-publisher-${process.pid}` });
  try {
    const sent: Promise<unknown>[] = [];
    for (const [sha, png] of club.photos)
      sent.push(c.publishAsync(topics.photo(clubId, sha), png, { qos: 1, retain: true }));
    for (const card of club.cards)
      sent.push(c.publishAsync(topics.card(clubId, card.cardUid), JSON.stringify(card), { qos: 1, retain: true }));
    await Promise.all(sent);
  } finally {
    await c.endAsync();
  }
}
