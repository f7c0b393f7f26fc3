// Found by the explorer (seed 1341278073): a roster that closes a card while the disk is nearly
// full. Its own small transaction (the roster and its members) fits in the WAL's old frames and
// commits, but the erasure that follows (secure_delete zeroes the photo's pages: many frames)
// meets ENOSPC. The sync counts the message as missed and fetches the retained records again once
// there is room, but the retained roster is then no newer than the stored one, and nothing erased
// the cards it had left out: the name, photo and UID stayed in journal.db until the next restart.
// The same fault at the journal's open kept the terminal from starting at all: a left-off erasure
// threw SQLITE_FULL, and the open's checkpoint waited for room for ever when the WAL held pages
// past the database file's end (a photo synced just before the disk filled and the power went).
// A real 4 MiB tmpfs, a real journal.
import test, { type ExecutionContext } from 'ava';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { Journal } from '../../firmware/journal/journal.ts';
import { noisePhoto, sha256Hex } from '../../sim/photos.ts';
import { within } from '../../lib/within.ts';
import { systemTimers } from '../../lib/timers.ts';
import { smallDisk } from '../helpers/small-disk.ts';
import { until } from '../helpers/until.ts';
import type { CardRecord, Roster } from '../../contract/index.ts';

const T0 = '2026-11-24T09:00:00.000Z';
const T1 = '2026-11-24T10:00:00.000Z';
const card = (uid: string, photo: string | null): CardRecord => ({
  cardUid: uid,
  holderId: `h-${uid}`,
  name: `Barn ${uid}`,
  photo,
  status: 'active',
  balance: 5000,
  version: 1,
  updatedAt: T0,
});
const roster = (version: number, updatedAt: string, cards: string[]): Roster => ({
  version,
  updatedAt,
  cards,
  staff: [],
});

const inFiles = (dir: string, needle: Buffer): string[] =>
  readdirSync(dir)
    .filter((f) => f.startsWith('journal'))
    .filter((f) => readFileSync(join(dir, f)).includes(needle));

/**
 * A journal on a small disk in which a roster (closing card A, keeping C) was stored but its
 * erasure of A met the full disk; the disk is still full.
 */
async function erasureCutShort(t: ExecutionContext) {
  const disk = smallDisk(t);
  const j = await Journal.open(disk.dir);
  const photo = noisePhoto(1, 256);
  const sha = sha256Hex(photo);
  await j.cards.put(card('AAAAAAAA', sha));
  await j.cards.putPhotos([[sha, photo]]);
  t.deepEqual(await j.cards.applyRoster(roster(1, T0, ['AAAAAAAA', 'CCCCCCCC'])), { cards: [], staff: [] });
  // Another child's photo after the roster (whose checkpoint emptied the WAL): the WAL grows by its
  // pages. Everything into the database file; the WAL keeps its length, and the next writes reuse
  // its frames: a small transaction still fits once the disk is full, a large one does not.
  const other = noisePhoto(2, 56);
  await j.cards.put(card('CCCCCCCC', sha256Hex(other)));
  await j.cards.putPhotos([[sha256Hex(other), other]]);
  await j.db.all('PRAGMA wal_checkpoint(PASSIVE)');
  disk.fill();
  const closing = roster(2, T1, ['CCCCCCCC']);
  await t.throwsAsync(j.cards.applyRoster(closing), { message: /SQLITE_FULL/ }, 'the erasure meets the full disk');
  t.is((await j.cards.roster())?.version, 2, 'the roster itself was stored');
  t.is(await j.cards.get('AAAAAAAA'), null, 'the card it leaves out is closed to a sale at once');
  t.truthy(await j.cards.photo(sha), 'its photo is still on disk');
  return { disk, j, photo, sha, closing };
}

test('a roster whose erasure the full disk cut short: the same roster fetched again once there is room erases what it left out', async (t) => {
  const { disk, j, photo, sha, closing } = await erasureCutShort(t);
  t.teardown(() => j.close().catch(() => undefined));
  // Room again; the sync fetches the retained records again: the same roster.
  disk.free();
  t.deepEqual(await j.cards.applyRoster(closing), { cards: ['AAAAAAAA'], staff: [] }, 'erased now');
  t.is(await j.cards.photo(sha), null);
  t.deepEqual(inFiles(disk.dir, Buffer.from('Barn AAAAAAAA')), [], 'the name in no file');
  t.deepEqual(inFiles(disk.dir, photo.subarray(photo.length - 200)), [], 'the photo bytes in no file');
  t.deepEqual(inFiles(disk.dir, Buffer.from('AAAAAAAA')), [], 'the UID in no file');
  t.truthy(await j.cards.get('CCCCCCCC'));
  t.is(await j.cards.applyRoster(closing), null, 'and then the same roster changes nothing');
});

test('the same, restarted while the disk is still full: the journal opens, the cards left out stay closed, and the erasure finishes by itself once there is room', async (t) => {
  const first = await erasureCutShort(t);
  const { disk, photo, sha } = first;
  await first.j.close();
  // Before: Journal.open threw SQLITE_FULL (the daemon: "the journal cannot be opened").
  const j = await Journal.open(disk.dir);
  t.teardown(() => j.close().catch(() => undefined));
  t.true(j.erasureWaiting);
  t.is(await j.cards.get('AAAAAAAA'), null, 'closed to a sale');
  t.truthy(await j.cards.get('CCCCCCCC'));
  disk.free();
  await until(() => !j.erasureWaiting, 'the erasure finished once there was room');
  t.is(await j.cards.photo(sha), null);
  await until(() => inFiles(disk.dir, Buffer.from('Barn AAAAAAAA')).length === 0, 'the name in no file');
  t.deepEqual(inFiles(disk.dir, photo.subarray(photo.length - 200)), [], 'the photo bytes in no file');
});

test('a restart on a full disk whose WAL holds pages past the database file: the journal opens (it waited for room for ever), and checkpoints once there is room', async (t) => {
  const disk = smallDisk(t);
  let j = await Journal.open(disk.dir);
  t.teardown(() => j.close().catch(() => undefined));
  const photo = noisePhoto(1, 256);
  await j.cards.putPhotos([[sha256Hex(photo), photo]]);
  const wal = join(disk.dir, 'journal.db-wal');
  t.true(statSync(wal).size > statSync(join(disk.dir, 'journal.db')).size, 'the photo is in the WAL only');
  disk.fill();
  await j.close(); // its checkpoint fails: no room to grow the database file
  const opening = Journal.open(disk.dir);
  if (!(await within(opening, 60_000, systemTimers))) return void t.fail('the journal did not open in 60 s');
  j = await opening;
  t.truthy(await j.cards.photo(sha256Hex(photo)), 'it reads what the WAL holds');
  disk.free();
  await until(() => statSync(wal).size === 0, 'the WAL emptied into the database file once there was room');
});
