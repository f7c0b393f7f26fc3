// Puts clubs and cards into the store. Idempotent: a seed only adds what is not there yet, so a
// restarted ledger keeps its balances and a closed card stays closed.
import type { Db, Queryable } from '../../firmware/journal/db.ts';
import { CardRecord, Catalog, TerminalConfigMsg, sha256Hex } from '../../contract/index.ts';
import * as store from './store.ts';
import type { CardSeed, ClubSeed } from './types.ts';

/** Adds a new card (version 1, or above the one a closed card with that UID reached); throws if it exists. */
export async function insertCard(q: Queryable, clubId: string, seed: CardSeed, now: string): Promise<{ card: CardRecord; newPhoto: boolean }> {
  if (await store.getCard(q, clubId, seed.cardUid)) throw new Error('card exists');
  const sha = seed.photo ? sha256Hex(seed.photo) : null;
  const newPhoto = seed.photo !== null && sha !== null && !(await store.hasPhoto(q, clubId, sha));
  if (newPhoto) await store.putPhoto(q, clubId, sha!, seed.photo!);
  const card = CardRecord.parse({
    cardUid: seed.cardUid, holderId: seed.holderId, name: seed.name, photo: sha,
    status: seed.status ?? 'active', balance: seed.balance,
    version: ((await store.closedVersion(q, clubId, seed.cardUid)) ?? 0) + 1, updatedAt: now,
  });
  await store.addClub(q, clubId);
  await store.putCard(q, clubId, card);
  return { card, newPhoto };
}

export function seedClubs(db: Db, clubs: ClubSeed[], now: string): Promise<void> {
  return db.tx(async (q) => {
    for (const club of clubs) {
      await store.addClub(q, club.clubId);
      await store.putCatalog(q, club.clubId, Catalog.parse(club.catalog), true);
      for (const [terminalId, cfg] of Object.entries(club.terminalConfigs ?? {})) {
        await store.putTerminalConfig(q, terminalId, TerminalConfigMsg.parse(cfg), true);
      }
      for (const card of club.cards) {
        const there = (await store.getCard(q, club.clubId, card.cardUid)) ?? (await store.closedVersion(q, club.clubId, card.cardUid));
        if (there === null) await insertCard(q, club.clubId, card, now);
      }
    }
  });
}
