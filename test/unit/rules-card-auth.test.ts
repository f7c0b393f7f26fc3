// The terminal's own card_auth rules (pure) and the journal's record of SUN counters it used.
import test from 'ava';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { Journal } from '../../firmware/journal/journal.ts';
import { offlineAuthProblem, saleCardAuth, tapAuthProblem } from '../../firmware/rules/card-auth.ts';
import type { CardRecord, SaleMsg } from '../../contract/index.ts';

const UID = '04DE5F1EACC040';
const rec = (over: Partial<CardRecord> = {}): CardRecord => ({
  cardUid: UID,
  holderId: 'h1',
  name: 'Sun Test',
  photo: null,
  status: 'active',
  balance: 5000,
  version: 3,
  updatedAt: '2026-11-24T09:00:00.000Z',
  auth: 'sun',
  sunCounter: 10,
  ...over,
});
const sun = (ctr: number, uid = UID) => ({ uid, ctr, cmac: '94EED9EE65337086' });

test('at the tap: a sun card needs its own SUN; a uid card needs none', (t) => {
  t.is(tapAuthProblem(rec(), sun(11)), null);
  t.is(tapAuthProblem(rec(), null), 'card_auth', 'a clone: same UID, no SUN');
  t.is(tapAuthProblem(rec(), sun(11, '04DE5F1EACC041')), 'card_auth', "another card's SUN");
  t.is(tapAuthProblem(rec({ auth: 'uid' }), null), null);
  t.is(tapAuthProblem(rec({ auth: undefined }), null), null, 'absent auth: a uid card');
  t.deepEqual(saleCardAuth(rec(), sun(11)), { ctr: 11, cmac: '94EED9EE65337086' });
  t.is(saleCardAuth(rec({ auth: 'uid' }), sun(11)), undefined, 'a uid card sends no cardAuth');
});

test('offline: the counter must be above sunCounter and every counter used in another sale', (t) => {
  const a = { ctr: 11, cmac: '94EED9EE65337086' };
  t.is(offlineAuthProblem(rec(), a, null), null);
  t.is(offlineAuthProblem(rec(), { ...a, ctr: 10 }, null), 'card_auth', 'not above sunCounter');
  t.is(offlineAuthProblem(rec(), a, 11), 'card_auth', 'used already in another sale');
  t.is(offlineAuthProblem(rec(), a, 9), null);
  t.is(offlineAuthProblem(rec(), undefined, null), 'card_auth');
  t.is(offlineAuthProblem(rec({ auth: 'uid' }), undefined, 50), null);
});

test('offline fallback of a sale sent online: the ledger accepting this very read while the terminal waited is no replay; a read the record knew before, or an older one, is', (t) => {
  const a = { ctr: 11, cmac: '94EED9EE65337086' };
  // rec()'s sunCounter is 10: as before the sale was sent, the card's record said 10.
  t.is(offlineAuthProblem(rec({ sunCounter: 11 }), a, null, 10), null, 'the ledger took 11 (this read) meanwhile');
  t.is(offlineAuthProblem(rec({ sunCounter: 11 }), a, null), 'card_auth', 'not sent online: 11 is a replay');
  t.is(offlineAuthProblem(rec({ sunCounter: 11 }), a, null, 11), 'card_auth', 'the record knew 11 before it was sent');
  t.is(offlineAuthProblem(rec({ sunCounter: 12 }), a, null, 10), 'card_auth', 'a newer read was accepted meanwhile');
  t.is(offlineAuthProblem(rec({ sunCounter: 11 }), a, 11, 10), 'card_auth', 'this terminal used 11 in another sale');
});

test('journal: counters of sent sales are kept per card, a fallback of the same sale is not counted against itself, pruned and erased with the card', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'klubkort-sun-journal-'));
  const j = await Journal.open(dir);
  t.teardown(async () => {
    await j.close().catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  });
  await j.cards.put(rec());
  t.deepEqual(await j.cards.get(UID), rec(), 'auth and sunCounter cached');
  const sale = (ctr: number, over: Partial<SaleMsg> = {}): SaleMsg => ({
    type: 'sale',
    txId: randomUUID(),
    terminalId: 't1',
    clubId: 'c1',
    cardUid: UID,
    items: [{ sku: 'j', name: 'Juice', unitPrice: 800, qty: 1 }],
    total: 800,
    createdAt: new Date().toISOString(),
    offline: false,
    cardAuth: { ctr, cmac: '94EED9EE65337086' },
    ...over,
  });
  const first = sale(12);
  await j.sales.beginOnline(first);
  t.is(await j.sales.highestSunCounter(UID, randomUUID()), 12);
  t.is(await j.sales.highestSunCounter(UID, first.txId), null, 'the sale itself does not count');
  t.true(await j.sales.approveOffline({ ...first, offline: true }));
  t.is(await j.sales.highestSunCounter(UID, first.txId), null, 'its offline fallback keeps the counter');
  const second = sale(15, { offline: true });
  t.true(await j.sales.approveOffline(second, true));
  t.is(await j.sales.highestSunCounter(UID, randomUUID()), 15);
  await j.cards.put(rec({ version: 4, sunCounter: 13 }));
  t.is(await j.sales.highestSunCounter(UID, second.txId), null, 'below the accepted counter: pruned');
  t.is(await j.sales.highestSunCounter(UID, randomUUID()), 15);
  await j.cards.close(UID);
  t.is(await j.sales.highestSunCounter(UID, randomUUID()), null, 'erased with the card');
});

test('journal: a counter the ledger declined with card_auth is forgotten when that answer is stored; one declined for another reason stays', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'klubkort-sun-journal-'));
  const j = await Journal.open(dir);
  t.teardown(async () => {
    await j.close().catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  });
  await j.cards.put(rec());
  const sale = (ctr: number): SaleMsg => ({
    type: 'sale',
    txId: randomUUID(),
    terminalId: 't1',
    clubId: 'c1',
    cardUid: UID,
    items: [{ sku: 'j', name: 'Juice', unitPrice: 800, qty: 1 }],
    total: 800,
    createdAt: new Date().toISOString(),
    offline: false,
    cardAuth: { ctr, cmac: '94EED9EE65337086' },
  });
  const poor = sale(20);
  await j.sales.beginOnline(poor);
  await j.sales.settle({
    txId: poor.txId,
    type: 'sale',
    status: 'declined',
    reason: 'insufficient_funds',
    offline: false,
  });
  t.is(await j.sales.highestSunCounter(UID, randomUUID()), 20, 'a read the ledger did not call forged is kept');
  const forged = sale(0xffffff);
  await j.sales.beginOnline(forged);
  t.is(await j.sales.highestSunCounter(UID, randomUUID()), 0xffffff);
  await j.sales.settle({ txId: forged.txId, type: 'sale', status: 'declined', reason: 'card_auth', offline: false });
  t.is(await j.sales.highestSunCounter(UID, randomUUID()), 20, 'the forged counter is forgotten');
});
