// 10,000 card records and 1,000 photos of ~30 KB, retained on the broker, synced into a fresh
// terminal: from Terminal.start until its journal holds them all.
import { until } from '../test/helpers/until.ts';
import type { Journal } from '../firmware/journal/journal.ts';
import { bigClub, publishClub, BIG_CLUB, type BigClub } from './club.ts';
import { join } from 'node:path';
import { durationVsFloor, median, msSince, now, type Figure } from './stats.ts';
import { bareBulkInsert } from './floor.ts';
import { MAX_BATCH as SYNC_BATCH } from '../firmware/ledger/sync.ts';
import { startBenchBroker, startBenchTerminal, using, type BenchLog } from './world.ts';

export const CARDS = 10_000;
export const PHOTOS = 1_000;

export async function journalCounts(j: Journal): Promise<{ cards: number; photos: number }> {
  const photos = (await j.db.read((q) => q.get<{ n: number }>('SELECT count(*) AS n FROM photos')))!.n;
  return { cards: await j.cards.count(), photos };
}

const ROUNDS = 3;

/** The club as the bare bulk insert's rows (bench/floor.ts). */
export const clubRows = (club: BigClub) => ({
  cards: club.cards.map((c) => [c.cardUid, c.holderId, c.name, c.photo, c.status, c.balance, c.version, c.updatedAt]),
  photos: [...club.photos],
});

/** A fresh terminal started on the club's retained records, until its journal holds them all; seconds. */
async function syncOnce(dir: string, log: BenchLog, brokerUrl: string, id: string): Promise<number> {
  const t0 = now();
  const b = await startBenchTerminal({ dir, id, clubId: BIG_CLUB, linkUrl: brokerUrl, log });
  try {
    let n = { cards: 0, photos: 0 };
    await until(
      async () => {
        n = await journalCounts(b.terminal.journal);
        return n.cards === CARDS && n.photos === PHOTOS;
      },
      `${CARDS} cards and ${PHOTOS} photos in the journal`,
      120_000,
    ).catch((e: Error) => {
      throw new Error(`${e.message}; got ${n.cards} cards, ${n.photos} photos`);
    });
    return msSince(t0) / 1000;
  } finally {
    await b.stop();
  }
}

export async function cardSync(dir: string, log: BenchLog): Promise<Figure[]> {
  return using(async (defer) => {
    const broker = await startBenchBroker();
    defer(() => broker.close());
    const club = bigClub(CARDS, PHOTOS);
    await publishClub(broker.url, club);
    const rows = clubRows(club);
    // Alternated: the disk's speed drifts by tens of percent within a minute here.
    const rounds: { seconds: number; floor: number }[] = [];
    for (let r = 0; r < ROUNDS; r++) {
      const seconds = await syncOnce(dir, log, broker.url, `bench-sync-${r}`);
      rounds.push({ seconds, floor: await bareBulkInsert(join(dir, `bare-sync-${r}.db`), rows, SYNC_BATCH) });
    }
    return [
      {
        id: 'bare_bulk_insert',
        label: `bare SQLite: the same ${CARDS} rows + ${PHOTOS} photos inserted`,
        unit: 's',
        value: median(rounds.map((r) => r.floor)),
        note: `prepared statements, fsync'd transactions of ${SYNC_BATCH} (the sync's batch size); the floor under the figure below; median of ${ROUNDS} rounds`,
      },
      durationVsFloor(
        'card_sync',
        `${CARDS} cards + ${PHOTOS} photos (~30 KB) synced into a fresh terminal`,
        rounds,
        'the bare bulk insert',
        2,
        `median of ${ROUNDS} alternated rounds; from Terminal.start to all in the journal; retained on the broker beforehand`,
      ),
    ];
  });
}
