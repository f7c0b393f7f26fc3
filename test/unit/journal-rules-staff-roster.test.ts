// The journal's 1.1 storage: card rules, spent and the note kept and erased with the card; staff
// cards; the roster, which erases cached cards and staff cards missing from it (only records older
// than it, and nothing before a roster arrived); the cashier on sales and voids.
import test from 'ava';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { Journal } from '../../firmware/journal/journal.ts';
import type { CardRecord, SaleMsg, StaffRecord } from '../../contract/index.ts';

async function open(t: import('ava').ExecutionContext) {
  const dir = mkdtempSync(join(tmpdir(), 'klubkort-journal11-'));
  const j = await Journal.open(dir);
  t.teardown(async () => {
    await j.close().catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  });
  return j;
}
const T0 = '2026-11-24T09:00:00.000Z';
const T1 = '2026-11-24T10:00:00.000Z';
const card = (uid: string, over: Partial<CardRecord> = {}): CardRecord => ({
  cardUid: uid,
  holderId: `h-${uid}`,
  name: `Barn ${uid}`,
  photo: null,
  status: 'active',
  balance: 5000,
  version: 1,
  updatedAt: T0,
  ...over,
});
const staff = (uid: string, over: Partial<StaffRecord> = {}): StaffRecord => ({
  cardUid: uid,
  staffId: `s-${uid}`,
  name: `Voksen ${uid}`,
  role: 'cashier',
  version: 1,
  updatedAt: T0,
  ...over,
});
const roster = (version: number, updatedAt: string, cards: string[], staffUids: string[]) => ({
  version,
  updatedAt,
  cards,
  staff: staffUids,
});

test('a card keeps its rules and spent; absent 1.1 fields stay absent', async (t) => {
  const j = await open(t);
  const rules = { dailyLimit: 3000, blockedCategories: ['slik'], note: 'Nøddeallergi' };
  await j.cards.put(card('AAAAAAAA', { rules, spent: { day: '2026-11-24', total: 1200 } }));
  await j.cards.put(card('BBBBBBBB'));
  t.deepEqual(await j.cards.get('AAAAAAAA'), card('AAAAAAAA', { rules, spent: { day: '2026-11-24', total: 1200 } }));
  t.deepEqual(await j.cards.get('BBBBBBBB'), card('BBBBBBBB'));
});

test('staff records follow the version rule and are erased when removed', async (t) => {
  const j = await open(t);
  t.true(await j.cards.putStaff(staff('CCCCCCCC', { version: 2 })));
  t.false(await j.cards.putStaff(staff('CCCCCCCC', { version: 2, name: 'Andet' })));
  t.true(await j.cards.putStaff(staff('CCCCCCCC', { version: 3, role: 'lead' })));
  t.like(await j.cards.staff('CCCCCCCC'), { role: 'lead', version: 3 });
  t.true(await j.cards.removeStaff('CCCCCCCC'));
  t.is(await j.cards.staff('CCCCCCCC'), null);
});

test('the roster erases cached cards and staff cards missing from it whose records are older; newer ones and listed ones stay', async (t) => {
  const j = await open(t);
  await j.cards.put(card('AAAAAAAA', { rules: { note: 'Nøddeallergi' } }));
  await j.cards.put(card('BBBBBBBB'));
  await j.cards.put(card('DDDDDDDD', { updatedAt: '2026-11-24T11:00:00.000Z' })); // added after the roster was made
  await j.cards.putStaff(staff('CCCCCCCC'));
  await j.cards.putStaff(staff('EEEEEEEE'));
  t.deepEqual(await j.cards.applyRoster(roster(5, T1, ['BBBBBBBB'], ['EEEEEEEE'])), {
    cards: ['AAAAAAAA'],
    staff: ['CCCCCCCC'],
  });
  t.is(await j.cards.get('AAAAAAAA'), null);
  t.truthy(await j.cards.get('BBBBBBBB'));
  t.truthy(await j.cards.get('DDDDDDDD'), 'a record newer than the roster is not erased for missing from it');
  t.is(await j.cards.staff('CCCCCCCC'), null);
  t.truthy(await j.cards.staff('EEEEEEEE'));
  t.is(
    await j.cards.applyRoster(roster(5, '2026-11-25T10:00:00.000Z', [], [])),
    null,
    'the version rule of cards applies',
  );
  t.truthy(await j.cards.get('BBBBBBBB'));
  // A stale record of a card the roster left out arrives late (a retained copy): it is not kept.
  t.false(await j.cards.put(card('AAAAAAAA', { version: 9 })));
  t.is(await j.cards.get('AAAAAAAA'), null);
  t.true(
    await j.cards.put(card('AAAAAAAA', { version: 10, updatedAt: '2026-11-24T12:00:00.000Z' })),
    'a card given out again after the roster is kept',
  );
  t.deepEqual(await j.cards.roster(), roster(5, T1, ['BBBBBBBB'], ['EEEEEEEE']));
});

test('sales and voids keep their cashier; the per-cashier report counts from the sign-in mark', async (t) => {
  const j = await open(t);
  const sale = (cashierId: string | null): SaleMsg => ({
    type: 'sale',
    txId: randomUUID(),
    terminalId: 't1',
    clubId: 'c1',
    cardUid: 'AAAAAAAA',
    items: [{ sku: 'j', name: 'Juice', unitPrice: 800, qty: 1 }],
    total: 800,
    createdAt: new Date().toISOString(),
    offline: true,
    cashierId,
  });
  await j.sales.approveOffline(sale('mette'));
  const mark = await j.sales.mark();
  const a = sale('mette');
  await j.sales.approveOffline(a);
  await j.sales.approveOffline(sale('lars'));
  await j.sales.approveOffline(sale('mette'));
  t.is((await j.sales.sale(a.txId))!.cashierId, 'mette');
  await j.sales.recordVoid(
    {
      type: 'void',
      txId: randomUUID(),
      voids: a.txId,
      terminalId: 't1',
      clubId: 'c1',
      cardUid: 'AAAAAAAA',
      createdAt: new Date().toISOString(),
      cashierId: 'mette',
    },
    800,
  );
  t.deepEqual(await j.sales.cashierReport('mette', mark), { sales: 2, salesTotal: 1600, voids: 1, voidsTotal: 800 });
  t.deepEqual(await j.sales.cashierReport('lars', mark), { sales: 1, salesTotal: 800, voids: 0, voidsTotal: 0 });
});

test('a card money read is kept only while nothing was written: a sale, a new record or any write in between is read again', async (t) => {
  const j = await open(t);
  const rules = { dailyLimit: 3000, blockedCategories: [], note: null };
  await j.cards.put(card('DDDDDDDD', { rules }));
  const first = await j.cardMoney('DDDDDDDD', 0);
  t.is(await j.cardMoney('DDDDDDDD', 0), first, 'asked again with no write between: the same answer, not read again');
  t.true(
    Object.isFrozen(first) && Object.isFrozen(first!.record) && Object.isFrozen(first!.record.rules),
    'shared, so frozen',
  );
  t.not(await j.cardMoney('DDDDDDDD', null), first, 'another day mark is another read');
  t.like(await j.cardMoney('DDDDDDDD', 0), { unbooked: 0, unbookedToday: 0 });

  await j.sales.approveOffline(
    {
      type: 'sale',
      txId: randomUUID(),
      terminalId: 't1',
      clubId: 'c1',
      cardUid: 'DDDDDDDD',
      items: [{ sku: 'j', name: 'Juice', unitPrice: 700, qty: 1 }],
      total: 700,
      createdAt: new Date().toISOString(),
      offline: true,
      cashierId: null,
    },
    true,
  );
  t.like(await j.cardMoney('DDDDDDDD', 0), {
    unbooked: 700,
    unbookedToday: 700,
    exposure: { card: 700, terminal: 700 },
  });
  const mark = (await j.sales.mark()).sale;
  t.like(
    await j.cardMoney('DDDDDDDD', mark),
    { unbooked: 700, unbookedToday: 0 },
    "rows before the day's mark are another day's",
  );

  await j.cards.put(card('DDDDDDDD', { rules, balance: 9000, version: 2 }));
  t.like((await j.cardMoney('DDDDDDDD', 0))!.record, { balance: 9000, version: 2 });
  await j.setMeta('x', 'y');
  t.not(await j.cardMoney('DDDDDDDD', 0), await j.cardMoney('DDDDDDDD', null));
});
