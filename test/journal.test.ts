import test from 'ava';
import { mkdtempSync, readFileSync, rmSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHash, randomUUID } from 'node:crypto';
import { Journal } from '../firmware/journal/journal.ts';
import { checkPhoto } from '../firmware/journal/card-cache.ts';
import { migrations } from '../firmware/journal/migrations/index.ts';
import type { CardRecord, SaleMsg } from '../firmware/ledger/schemas.ts';

async function open(t: import('ava').ExecutionContext) {
  const dir = mkdtempSync(join(tmpdir(), 'klubkort-journal-'));
  const j = await Journal.open(dir);
  t.teardown(async () => { await j.close().catch(() => undefined); rmSync(dir, { recursive: true, force: true }); });
  return { j, dir };
}
const rec = (over: Partial<CardRecord> = {}): CardRecord => ({ cardUid: '04A1B2C3', holderId: 'h1', name: 'Astrid Nørgaard', photo: null, status: 'active', balance: 5000, version: 3, updatedAt: '2026-11-24T09:00:00.000Z', ...over });
const sale = (over: Partial<SaleMsg> = {}): SaleMsg => ({ type: 'sale', txId: randomUUID(), terminalId: 't1', clubId: 'c1', cardUid: '04A1B2C3', items: [{ sku: 'j', name: 'Juice', unitPrice: 800, qty: 1 }], total: 800, createdAt: new Date().toISOString(), offline: false, ...over });

test('migrations set WAL, synchronous=FULL and secure_delete', async (t) => {
  const { j } = await open(t);
  t.is((await j.db.get<{ journal_mode: string }>('PRAGMA journal_mode'))!.journal_mode, 'wal');
  t.is((await j.db.get<{ synchronous: number }>('PRAGMA synchronous'))!.synchronous, 2);
  t.is((await j.db.get<{ secure_delete: number }>('PRAGMA secure_delete'))!.secure_delete, 1);
  t.is((await j.db.get<{ user_version: number }>('PRAGMA user_version'))!.user_version, migrations.length);
});

test('the card cache never takes an equal or lower version', async (t) => {
  const { j } = await open(t);
  t.true(await j.cards.put(rec()));
  t.false(await j.cards.put(rec({ balance: 1, version: 3 })));
  t.false(await j.cards.put(rec({ balance: 1, version: 2 })));
  t.is((await j.cards.get('04A1B2C3'))!.balance, 5000);
  t.true(await j.cards.put(rec({ balance: 1, version: 4 })));
  t.is((await j.cards.get('04A1B2C3'))!.balance, 1);
});

test('photos are checked against their SHA-256 and kind', (t) => {
  const png = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), Buffer.from('rest')]);
  const sha = createHash('sha256').update(png).digest('hex');
  t.is(checkPhoto(sha, png), 'ok');
  t.is(checkPhoto('0'.repeat(64), png), 'hash_mismatch');
  t.is(checkPhoto(sha, Buffer.from('hello')), 'not_an_image');
  t.is(checkPhoto(sha, Buffer.alloc(256 * 1024 + 1)), 'too_large');
});

test('a result settles its outbox entry once; a late online answer after the offline switch is ignored', async (t) => {
  const { j } = await open(t);
  await j.cards.put(rec());
  const s = sale();
  await j.sales.beginOnline(s);
  t.is(await j.sales.queueLength(), 1);
  t.true(await j.sales.approveOffline({ ...s, offline: true }));
  t.is(await j.sales.settle({ txId: s.txId, type: 'sale', status: 'approved', balance: 4200, cardVersion: 4, offline: false }), 'stale_online_answer');
  const settled = await j.sales.settle({ txId: s.txId, type: 'sale', status: 'approved', balance: 4200, cardVersion: 4, offline: true });
  t.like(settled, { kind: 'sale', status: 'approved' });
  t.is(await j.sales.settle({ txId: s.txId, type: 'sale', status: 'approved', balance: 4200, cardVersion: 4, offline: true }), 'no_entry');
  t.is(await j.sales.queueLength(), 0);
  // booked at version 4, record still at 3: the money is not available
  t.is(await j.sales.unbooked('04A1B2C3', 3), 800);
  t.is(await j.sales.unbooked('04A1B2C3', 4), 0);
});

test('when the answer was stored first, the offline switch does not happen', async (t) => {
  const { j } = await open(t);
  const s = sale();
  await j.sales.beginOnline(s);
  await j.sales.settle({ txId: s.txId, type: 'sale', status: 'declined', reason: 'insufficient_funds', offline: false });
  t.false(await j.sales.approveOffline({ ...s, offline: true }));
  t.is((await j.sales.sale(s.txId))!.status, 'declined');
  t.is(await j.sales.queueLength(), 0);
});

test('after a restart an unanswered online sale becomes a reversal with the same txId', async (t) => {
  const { j } = await open(t);
  const s = sale();
  await j.sales.beginOnline(s);
  t.is(await j.sales.reverseUnansweredOnline(new Date().toISOString(), 't1'), 1);
  const out = await j.sales.outbox();
  t.is(out.length, 1);
  t.like(out[0]!.message, { type: 'reversal', txId: s.txId });
  t.is((await j.sales.sale(s.txId))!.status, 'declined');
});

test('closing a card erases its record, photo and UID, keeps its queued sale, and leaves no bytes in the file', async (t) => {
  const { j, dir } = await open(t);
  const photo = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), Buffer.from('PHOTO-BYTES-OF-ASTRID'.repeat(50))]);
  const sha = createHash('sha256').update(photo).digest('hex');
  await j.cards.putPhoto(sha, photo);
  await j.cards.put(rec({ photo: sha }));
  const s = sale({ offline: true });
  await j.sales.approveOffline(s);
  await j.cards.close('04A1B2C3');
  t.is(await j.cards.get('04A1B2C3'), null);
  t.is(await j.cards.photo(sha), null);
  t.is((await j.sales.sale(s.txId))!.cardUid, null);
  t.is((await j.sales.outbox()).length, 1, 'the ledger must still book the queued sale');
  const bytes = Buffer.concat(readdirSync(dir).filter((f) => f.startsWith('journal.db')).map((f) => readFileSync(join(dir, f))));
  t.false(bytes.includes(Buffer.from('Astrid')), 'name bytes gone');
  t.false(bytes.includes(Buffer.from('PHOTO-BYTES-OF-ASTRID')), 'photo bytes gone');
});
