// Puts clubs and cards into the store. Idempotent: a seed only adds what is not there yet, so a
// restarted ledger keeps its balances and a closed card stays closed.
import type { Db, Queryable } from '../../firmware/journal/db.ts';
import { CardRecord, Catalog, StaffRecord, TerminalConfigMsg, TerminalId, sha256Hex } from '../../contract/index.ts';
import * as store from './store.ts';
import type { CardSeed, ClubSeed, StaffSeed } from './types.ts';

/** Version a new record with this UID starts at: above a closed card's or removed staff card's. */
const firstVersion = async (q: Queryable, clubId: string, uid: string) =>
  ((await store.closedVersion(q, clubId, uid)) ?? 0) + 1;

/** Stores a card's photo bytes under their SHA-256; `newPhoto`: they were not there yet (to be published). */
export async function storePhoto(
  q: Queryable,
  clubId: string,
  photo: Buffer | null,
): Promise<{ sha: string | null; newPhoto: boolean }> {
  if (!photo) return { sha: null, newPhoto: false };
  const sha = sha256Hex(photo);
  const newPhoto = !(await store.hasPhoto(q, clubId, sha));
  if (newPhoto) await store.putPhoto(q, clubId, sha, photo);
  return { sha, newPhoto };
}

/** Adds a new card (version 1, or above the one a closed card with that UID reached); throws if it exists. */
export async function insertCard(
  q: Queryable,
  clubId: string,
  seed: CardSeed,
  now: string,
): Promise<{ card: CardRecord; newPhoto: boolean }> {
  if (await store.getCard(q, clubId, seed.cardUid)) throw new Error('card exists');
  if (await store.getStaff(q, clubId, seed.cardUid)) throw new Error('a staff card has this UID');
  const { sha, newPhoto } = await storePhoto(q, clubId, seed.photo);
  const card = CardRecord.parse({
    cardUid: seed.cardUid,
    holderId: seed.holderId,
    name: seed.name,
    photo: sha,
    status: seed.status ?? 'active',
    balance: seed.balance,
    version: await firstVersion(q, clubId, seed.cardUid),
    updatedAt: now,
    ...(seed.rules ? { rules: seed.rules } : {}),
    ...(seed.auth === 'sun' ? { auth: 'sun', sunCounter: 0 } : {}),
  });
  await store.addClub(q, clubId);
  await store.putCard(q, clubId, card);
  return { card, newPhoto };
}

/** Adds a staff card; a UID is never both a staff card and a payment card. */
export async function insertStaff(q: Queryable, clubId: string, seed: StaffSeed, now: string): Promise<StaffRecord> {
  if (await store.getStaff(q, clubId, seed.cardUid)) throw new Error('staff card exists');
  if (await store.getCard(q, clubId, seed.cardUid)) throw new Error('a payment card has this UID');
  const staff = StaffRecord.parse({ ...seed, version: await firstVersion(q, clubId, seed.cardUid), updatedAt: now });
  await store.addClub(q, clubId);
  await store.putStaff(q, clubId, staff);
  return staff;
}

/** Contract § Access: registers a terminal with its club (a valid terminalId, never moved to another club). */
export async function registerTerminal(q: Queryable, terminalId: string, clubId: string): Promise<void> {
  if (!TerminalId.safeParse(terminalId).success)
    throw new Error(`not a terminalId: ${JSON.stringify(terminalId).slice(0, 80)}`);
  await store.registerTerminal(q, terminalId, clubId);
}

export function seedClubs(db: Db, clubs: ClubSeed[], now: string): Promise<void> {
  return db.tx(async (q) => {
    for (const club of clubs) {
      await store.addClub(q, club.clubId);
      await store.putCatalog(q, club.clubId, Catalog.parse(club.catalog), true);
      for (const terminalId of club.terminals ?? []) await registerTerminal(q, terminalId, club.clubId);
      for (const [terminalId, cfg] of Object.entries(club.terminalConfigs ?? {})) {
        if (!club.terminals?.includes(terminalId))
          throw new Error(`a config for terminal ${terminalId}, which is not one of club ${club.clubId}'s terminals`);
        await store.putTerminalConfig(q, terminalId, TerminalConfigMsg.parse(cfg), true);
      }
      let added = false;
      const known = async (uid: string) =>
        (await store.getCard(q, club.clubId, uid)) ??
        (await store.getStaff(q, club.clubId, uid)) ??
        (await store.closedVersion(q, club.clubId, uid));
      for (const card of club.cards) {
        if ((await known(card.cardUid)) === null) {
          await insertCard(q, club.clubId, card, now);
          added = true;
        }
      }
      for (const staff of club.staff ?? []) {
        if ((await known(staff.cardUid)) === null) {
          await insertStaff(q, club.clubId, staff, now);
          added = true;
        }
      }
      if (added || !(await store.getRoster(q, club.clubId))) await store.bumpRoster(q, club.clubId, now);
    }
  });
}
