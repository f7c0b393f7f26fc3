// Issue 28: a roster's erasure runs a chunk of cards per transaction (a sale's write waits behind
// one chunk, not a thousand erasures). A chunked erasure cut by SIGKILL must finish at the next
// start and leave no byte of the cards it left out in any file; meanwhile no sale sees them.
import test from 'ava';
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import sqlite3 from 'sqlite3';
import { Journal } from '../../firmware/journal/journal.ts';
import { portraitJpeg, sha256Hex } from '../../sim/photos.ts';
import type { CardRecord } from '../../contract/index.ts';

const CARDS = 420; // 400 closed: four transactions of the erasure
/** The roster keeps the first KEPT cards; the rest (with photos) are closed. */
const KEPT = 20;
const T0 = '2026-11-24T09:00:00.000Z';
const T1 = '2026-11-24T10:00:00.000Z';
const CHILD = fileURLToPath(new URL('../helpers/roster-kill-child.ts', import.meta.url));

const uid = (i: number) => `04A1${i.toString(16).toUpperCase().padStart(10, '0')}`;
const photos = Array.from({ length: CARDS }, (_, i) => portraitJpeg(`roster-kill-${i}`, { width: 96, height: 128 }));
const card = (i: number): CardRecord => ({
  cardUid: uid(i),
  // Delimited: the name of card 2 followed by a SHA starting with 6 must not read as card 26's.
  holderId: `holder-${i}-zq`,
  name: `Rosterbarn ${i} Zqx`,
  photo: sha256Hex(photos[i]!),
  status: 'active',
  balance: 5000,
  version: 1,
  updatedAt: T0,
});
const roster = { version: 1, updatedAt: T1, cards: Array.from({ length: KEPT }, (_, i) => uid(i)), staff: [] };

/** Byte patterns of card `i`: name, holder id, UID and windows of its photo. */
function needles(i: number): Buffer[] {
  const p = photos[i]!;
  return [
    Buffer.from(card(i).name),
    Buffer.from(card(i).holderId),
    Buffer.from(uid(i)),
    ...[0.3, 0.6, 0.9].map((f) => p.subarray(Math.floor(p.length * f), Math.floor(p.length * f) + 24)),
  ];
}

/** The closed cards with any byte left in any file of `dir`. */
function traces(dir: string, cards: number[]): number[] {
  const files = readdirSync(dir).map((f) => readFileSync(join(dir, f)));
  return cards.filter((i) => needles(i).some((n) => files.some((b) => b.includes(n))));
}

/** Cards in the file, counted without Journal.open (which would finish the erasure). */
function rawCount(file: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const db = new sqlite3.Database(file, sqlite3.OPEN_READWRITE, (err) => {
      if (err) return reject(err);
      db.get<{ n: number }>('SELECT count(*) AS n FROM cards', (e, r) =>
        db.close(() => (e ? reject(e) : resolve(r!.n))),
      );
    });
  });
}

async function filledJournal(t: import('ava').ExecutionContext): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'klubkort-roster-kill-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const data = join(dir, 'data');
  const j = await Journal.open(data);
  await j.cards.putPhotos(photos.map((p) => [sha256Hex(p), p] as const));
  await j.cards.putMany(Array.from({ length: CARDS }, (_, i) => card(i)));
  await j.close();
  writeFileSync(join(dir, 'roster.json'), JSON.stringify(roster));
  return dir;
}

const closed = Array.from({ length: CARDS - KEPT }, (_, i) => KEPT + i);

test('a roster erasure cut by SIGKILL after two chunks finishes at the next start: no byte of a closed card in any file', async (t) => {
  const dir = await filledJournal(t);
  const data = join(dir, 'data');
  t.deepEqual(traces(data, closed), closed, 'the scan finds every card before');

  const proc = spawn(process.execPath, ['--import', 'tsx', CHILD, data, join(dir, 'roster.json'), '2'], {
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  const [code, signal] = await new Promise<[number | null, string | null]>((resolve) =>
    proc.once('exit', (c, s) => resolve([c, s])),
  );
  t.is(signal, 'SIGKILL', `the erasure was cut in the middle (the child exited ${code}: not chunked)`);
  const left = await rawCount(join(data, 'journal.db'));
  t.true(left < CARDS && left > KEPT, `two chunks erased, the rest pending (${left} cards in the file)`);
  t.true(traces(data, closed).length > 0, 'cards still to erase are in the files at the cut');

  // The next start: the pending erasure is finished before the journal is handed out.
  const j = await Journal.open(data);
  t.is(await j.cards.count(), KEPT);
  for (const i of closed) t.is(await j.cards.get(uid(i)), null);
  for (let i = 0; i < KEPT; i++) t.truthy(await j.cards.get(uid(i)), 'the cards on the roster stay');
  t.is(
    (await j.db.read((q) => q.get<{ n: number }>('SELECT count(*) AS n FROM photos')))!.n,
    KEPT,
    'the closed cards photos went with them',
  );
  await j.close();
  t.deepEqual(traces(data, closed), [], 'no byte of a closed card in journal.db, -wal or -shm');
  t.is(traces(data, [0, KEPT - 1]).length, 2, 'the kept cards are still found by the same scan');
});

test('while a roster erasure is under way, a card it leaves out is seen by no sale, though not yet erased', async (t) => {
  const dir = await filledJournal(t);
  const j = await Journal.open(join(dir, 'data'));
  t.teardown(() => j.close());
  const last = uid(CARDS - 1); // in the last chunk
  const seen: Promise<unknown>[] = [];
  let chunks = 0;
  const erased = await j.cards.applyRoster(roster, () => {
    if (chunks++ > 0) return;
    seen.push(j.cards.get(last), j.cardMoney(last), rawCount(join(dir, 'data', 'journal.db')));
  });
  t.true(chunks > 1, 'erased in several transactions');
  const [record, money, count] = await Promise.all(seen);
  t.true((count as number) > KEPT, 'the card was not erased yet when read');
  t.is(record, null, 'the card is not found for a tap');
  t.is(money, null, 'nor for a sale');
  t.is(erased?.cards.length, CARDS - KEPT);
});
