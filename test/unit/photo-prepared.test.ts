// Issue 28: photos prepared ahead. The display prepares every stored photo in the background and
// keeps its encoded sixel in the journal (photo_prepared); a tap then reads that row instead of
// decoding and encoding. The rows are the photo's own data: they go with the photo's row (a closed
// card, a replaced photo), and no byte of them stays in any file.
import test, { type ExecutionContext } from 'ava';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Journal } from '../../firmware/journal/journal.ts';
import { migrations } from '../../firmware/journal/migrations.ts';
import { Db } from '../../firmware/journal/db.ts';
import { PhotoPreparer } from '../../firmware/ui/photo/photo-preparer.ts';
import { PhotoPrefill } from '../../firmware/ui/photo/photo-prefill.ts';
import { SixelOutput } from '../../firmware/ui/photo/photo-output.ts';
import { ManualTimers } from '../helpers/manual-timers.ts';
import { until } from '../helpers/until.ts';
import { kioskDisplay, type KioskDisplay } from '../../bench/screen.ts';
import { portraitJpeg, sha256Hex } from '../../sim/photos.ts';
import { demoModels } from '../fixtures/ui/models.ts';
import { traces } from '../helpers/disk-traces.ts';
import type { CardRecord, ScreenModel } from '../../contract/index.ts';
import { tempJournal } from '../helpers/temp-journal.ts';

const quiet = { warn: () => undefined, info: () => undefined };
const confirmOf = (sha: string): ScreenModel => {
  const m = demoModels('da').confirm!;
  return { ...m, card: { ...m.card!, photo: sha } };
};
const idle = demoModels('da').idle!;

/** A real preparer (worker thread) that counts what it is asked to prepare. */
function countingPreparer() {
  const real = new PhotoPreparer();
  const p = {
    calls: 0,
    sixel: (...a: Parameters<PhotoPreparer['sixel']>) => {
      p.calls++;
      return real.sixel(...a);
    },
    scale: (...a: Parameters<PhotoPreparer['scale']>) => {
      p.calls++;
      return real.scale(...a);
    },
    close: () => real.close(),
  };
  return p;
}

const openJournal = (t: ExecutionContext) => tempJournal(t, 'prepared');

/** The kiosk's display (sixel, 80×24 cells of 10×20 px) over the journal's photos. */
async function kiosk(
  t: ExecutionContext,
  j: Journal,
  ahead: Parameters<typeof kioskDisplay>[2],
): Promise<KioskDisplay> {
  const k = kioskDisplay((sha) => j.cards.photo(sha), quiet, ahead);
  await k.display.start();
  t.teardown(() => k.display.stop());
  // The terminal's first screen: photos are prepared while it is idle.
  k.display.draw(idle);
  return k;
}

/** Draws the confirm screen with `sha`'s photo; resolves with the sixel written for it. */
async function tap(k: KioskDisplay, sha: string): Promise<string> {
  const written = k.nextSixel();
  k.display.draw(confirmOf(sha));
  await written;
  const s = k.lastSixel()!;
  k.display.draw(idle);
  return s;
}

const record = (uid: string, photo: string | null, version = 1): CardRecord => ({
  cardUid: uid,
  holderId: `h-${uid}`,
  name: 'Prepared Ahead Child',
  photo,
  status: 'active',
  balance: 1000,
  version,
  updatedAt: '2026-12-07T08:00:00.000Z',
});

const rows = async (j: Journal, sha?: string) =>
  (await j.db.get<{ n: number }>(
    `SELECT count(*) AS n FROM photo_prepared${sha ? ' WHERE sha = ?' : ''}`,
    sha ? [sha] : [],
  ))!.n;

test('a photo prepared ahead is drawn at the tap without preparing it again: the same sixel the tap would have made', async (t) => {
  const { j } = await openJournal(t);
  const photo = portraitJpeg('prepared-ahead-a', { width: 240, height: 320 });
  const sha = sha256Hex(photo);
  await j.cards.putPhoto(sha, photo);

  const prep = countingPreparer();
  const k = await kiosk(t, j, { prepared: j.prepared, preparer: prep });
  await k.display.photosPrepared();
  t.is(prep.calls, 1, 'prepared once, in the background');
  t.is(await rows(j, sha), 1);

  prep.calls = 0;
  const shown = await tap(k, sha);
  t.is(prep.calls, 0, 'the tap read the prepared photo: nothing prepared at the tap');
  const [stored] = await j.prepared.get(sha, 'sixel:256');
  t.true(shown.includes(stored!.bytes.toString('latin1')), 'the stored sixel is what was written');

  // The same photo on a display that prepares at the tap (the fallback): the very same pixels.
  const plain = await kiosk(t, j, {});
  t.is(await tap(plain, sha), shown);
});

test('a photo stored after the display started is prepared ahead too; without a row the tap prepares it itself', async (t) => {
  const { j } = await openJournal(t);
  const prep = countingPreparer();
  const k = await kiosk(t, j, { prepared: j.prepared, preparer: prep });
  await k.display.photosPrepared();
  const early = portraitJpeg('prepared-ahead-early', { width: 240, height: 320 });
  const earlySha = sha256Hex(early);
  // Stored behind the display's back (no notice): the tap falls back to the worker.
  await j.db.run('INSERT INTO photos (sha, bytes) VALUES (?, ?)', [earlySha, early]);
  await tap(k, earlySha);
  t.is(prep.calls, 1, 'no row yet: prepared at the tap');
  t.is(await rows(j, earlySha), 0);

  const late = portraitJpeg('prepared-ahead-late', { width: 240, height: 320 });
  await j.cards.putPhoto(sha256Hex(late), late);
  await k.display.photosPrepared();
  t.is(await rows(j), 2, 'both photos prepared once a photo arrived');
});

/** A journal with a card and its photo, prepared ahead by the kiosk's display. */
async function cardWithPhoto(t: ExecutionContext, seed: string, uid: string) {
  const { j, dir } = await openJournal(t);
  const photo = portraitJpeg(seed, { width: 240, height: 320 });
  const sha = sha256Hex(photo);
  await j.cards.putPhoto(sha, photo);
  await j.cards.put(record(uid, sha));
  const k = await kiosk(t, j, { prepared: j.prepared, preparer: countingPreparer() });
  await k.display.photosPrepared();
  return { j, dir, sha, k };
}

/** Windows of the prepared sixel (its pixel data, past the header every sixel shares). */
function sixelNeedles(bytes: Buffer): Record<string, Buffer> {
  return Object.fromEntries(
    [0.3, 0.5, 0.7, 0.9].map((f, i) => [
      `prepared sixel ${i}`,
      bytes.subarray(Math.floor(bytes.length * f), Math.floor(bytes.length * f) + 48),
    ]),
  );
}

test('a closed card leaves no byte of its prepared photo in any file', async (t) => {
  const { j, dir, sha } = await cardWithPhoto(t, 'prepared-ahead-closed', '04A1B2C3D4E5F6');
  const [stored] = await j.prepared.get(sha, 'sixel:256');
  const needles = sixelNeedles(stored!.bytes);
  await j.db.checkpoint();
  t.true(traces(dir, needles).length > 0, 'the scan finds the prepared sixel before');

  t.true(await j.cards.close('04A1B2C3D4E5F6'));
  t.is(await rows(j), 0, 'its prepared rows went with the photo');
  t.deepEqual(traces(dir, needles), []);
});

test('a replaced photo: its prepared rows go with it, and the tap never shows its pixels again', async (t) => {
  const { j, dir, sha: oldSha, k } = await cardWithPhoto(t, 'prepared-ahead-old', '04AABBCCDDEEFF');
  const [oldRow] = await j.prepared.get(oldSha, 'sixel:256');
  const oldPixels = oldRow!.bytes.toString('latin1');
  t.true((await tap(k, oldSha)).includes(oldPixels));

  const fresh = portraitJpeg('prepared-ahead-new', { width: 240, height: 320 });
  const freshSha = sha256Hex(fresh);
  await j.cards.putPhoto(freshSha, fresh);
  t.true(await j.cards.put(record('04AABBCCDDEEFF', freshSha, 2)));
  await k.display.photosPrepared();
  t.is(await rows(j, oldSha), 0, "the old photo's prepared rows went with it");
  t.is(await rows(j, freshSha), 1);
  const shown = await tap(k, freshSha);
  t.false(shown.includes(oldPixels));
  const [freshRow] = await j.prepared.get(freshSha, 'sixel:256');
  t.true(shown.includes(freshRow!.bytes.toString('latin1')));
  t.deepEqual(traces(dir, sixelNeedles(oldRow!.bytes)), []);
});

test('a journal of schema 6 migrates: its photos stay and get prepared ahead; a deleted photo takes its rows', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'klubkort-prepared-old-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const old = await Db.open(join(dir, 'journal.db'));
  for (const sql of migrations.slice(0, 6)) await old.exec(sql);
  await old.exec('PRAGMA user_version = 6');
  const photo = portraitJpeg('prepared-ahead-migrated', { width: 240, height: 320 });
  const sha = sha256Hex(photo);
  await old.run('INSERT INTO photos (sha, bytes) VALUES (?, ?)', [sha, photo]);
  await old.close();

  const j = await Journal.open(dir);
  t.teardown(() => j.close());
  t.is((await j.db.get<{ user_version: number }>('PRAGMA user_version'))!.user_version, migrations.length);
  t.deepEqual(await j.cards.photo(sha), photo);
  const k = await kiosk(t, j, { prepared: j.prepared, preparer: countingPreparer() });
  await k.display.photosPrepared();
  t.is(await rows(j, sha), 1);
  await j.cards.deletePhoto(sha);
  t.is(await rows(j), 0);
  // A row for a photo not stored is never written.
  t.false(
    await j.prepared.put(sha, 'sixel:256', { srcWidth: 1, srcHeight: 1, width: 1, height: 1, bytes: Buffer.from('x') }),
  );
  t.is(await rows(j), 0);
});

test("stopping the display's preparation ahead never waits for its clock (the daemon's stop under a stepped clock)", async (t) => {
  const { j } = await openJournal(t);
  const photo = portraitJpeg('prepared-ahead-stop', { width: 240, height: 320 });
  await j.cards.putPhoto(sha256Hex(photo), photo);
  const prep = countingPreparer();
  t.teardown(() => prep.close());
  const clock = new ManualTimers();
  const prefill = new PhotoPrefill({
    store: j.prepared,
    lookup: (sha) => j.cards.photo(sha),
    output: new SixelOutput(() => undefined, { w: 10, h: 20 }),
    preparer: prep,
    box: () => ({ maxW: 240, maxH: 320 }),
    // A sale on screen all along: it waits for the screen, on a clock that never moves.
    idle: () => false,
    timers: clock,
  });
  prefill.kick();
  await until(async () => clock.pending > 0, 'the preparation waiting for the screen');
  await prefill.stop();
  t.is(prep.calls, 0);
  t.is(await rows(j), 0);
});
