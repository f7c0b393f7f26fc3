// The core terminal end to end: a real broker on loopback, the reference ledger, a terminal with
// simulated hardware and its own SQLite file, driven only through the simulator topics.
import test from 'ava';
import { createHash } from 'node:crypto';
import { world, type World } from '../helpers/fixture.ts';
import { until } from '../helpers/until.ts';
import { demoChildren, DEMO_CLUB_ID } from '../../sim/demo-club.ts';
import { topics } from '../../contract/index.ts';
import type { CardRecord } from '../../contract/index.ts';
import type { SimClient } from '../helpers/sim-client.ts';
import type { Terminal } from '../../firmware/terminal/terminal.ts';

const C = DEMO_CLUB_ID;

function pick(w: World, pred: (c: CardRecord) => boolean): CardRecord {
  const c = demoChildren()
    .map((d) => w.ledger.card(C, d.uid))
    .find((r): r is CardRecord => !!r && pred(r));
  if (!c) throw new Error('no demo child fits');
  return c;
}

/** Waits until the terminal is online with the catalog and every card of the ledger cached. */
async function ready(terminal: Terminal, sim: SimClient): Promise<void> {
  await sim.waitScreen('idle', (s) => s.online && (s.view.catalog?.items.length ?? 0) > 0);
  await until(async () => (await terminal.journal.cards.count()) === demoChildren().length, 'cards synced');
}

type Digit = '1' | '2' | '3' | '4' | '5' | '6' | '7' | '8' | '9';

/** Rings up `keys`, asks for the card and taps `uid`. */
async function ringUpAndTap(sim: SimClient, keys: Digit[], uid: string): Promise<void> {
  await sim.keys(...keys);
  await sim.waitScreen('basket', (s) => s.basket!.items.reduce((n, l) => n + l.qty, 0) === keys.length);
  await sim.key('enter');
  await sim.waitScreen('tap');
  await sim.tap(uid);
}

async function buy(sim: SimClient, keys: Digit[], uid: string) {
  await ringUpAndTap(sim, keys, uid);
  return sim.waitScreen('confirm');
}

test('an approved sale carries the exact items and øre total, and the ledger books it once', async (t) => {
  const w = await world(t);
  const { terminal, sim } = await w.startTerminal();
  await ready(terminal, sim);
  const child = pick(w, (c) => c.status === 'active' && c.photo !== null && c.balance >= 5000);
  const catalog = sim.screen!.view.catalog!.items;
  const confirm = await buy(sim, ['1', '1', '2'], child.cardUid);
  const total = catalog[0]!.price * 2 + catalog[1]!.price;
  t.is(confirm.basket!.total, total);
  t.deepEqual(confirm.card, { name: child.name, balance: child.balance, photo: child.photo, note: null });
  t.is(sim.tx.length, 0, 'nothing is sent before the cashier confirms');
  await sim.key('enter');
  const result = await sim.waitScreen('result');
  t.like(result.result, { status: 'approved', reason: null, balance: child.balance - total });
  t.is(sim.tx.length, 1);
  const tx = sim.tx[0]!;
  t.like(tx, { type: 'sale', cardUid: child.cardUid, total, offline: false, terminalId: 'kasse-1', clubId: C });
  if (tx.type !== 'sale') return;
  t.deepEqual(tx.items, [
    { sku: catalog[0]!.sku, name: catalog[0]!.name, unitPrice: catalog[0]!.price, qty: 2 },
    { sku: catalog[1]!.sku, name: catalog[1]!.name, unitPrice: catalog[1]!.price, qty: 1 },
  ]);
  t.is(result.result!.txId, tx.txId);
  t.is(w.ledger.card(C, child.cardUid)!.balance, child.balance - total);
  t.is(w.ledger.bookings(tx.txId), 1);
  t.true(sim.indications.some((i) => i.led === 'green' && i.buzzer === 'approve'));
  await sim.key('5');
  await sim.waitScreen('idle');
  await until(async () => (await terminal.journal.sales.queueLength()) === 0, 'queue empty');
});

test('a sale beyond the balance is refused at the tap (contract 1.1), sends nothing and books nothing', async (t) => {
  const w = await world(t);
  const { terminal, sim } = await w.startTerminal();
  await ready(terminal, sim);
  const child = pick(w, (c) => c.status === 'active' && c.balance < 1500);
  // the dearest items on the first page until the total is above the balance
  const items = sim.screen!.view.catalog!.items;
  const dear = items.reduce((a, b) => (b.price > a.price ? b : a));
  const n = Math.floor(child.balance / dear.price) + 1;
  await ringUpAndTap(sim, Array(n).fill(dear.key), child.cardUid);
  const result = await sim.waitScreen('result');
  t.like(result.result, { status: 'declined', reason: 'insufficient_funds', balance: child.balance, txId: null });
  t.is(w.ledger.card(C, child.cardUid)!.balance, child.balance);
  t.is(sim.tx.length, 0);
  t.true(sim.indications.some((i) => i.led === 'red' && i.buzzer === 'decline'));
});

test('blocked, closed and unknown cards are refused at once and nothing is sent', async (t) => {
  const w = await world(t);
  const { terminal, sim } = await w.startTerminal();
  await ready(terminal, sim);
  const blocked = pick(w, (c) => c.status === 'blocked');
  const toClose = pick(w, (c) => c.status === 'active');
  await w.ledger.closeCard(C, toClose.cardUid);
  await until(async () => (await terminal.journal.cards.get(toClose.cardUid)) === null, 'card closed on the terminal');
  for (const [uid, reason] of [
    [blocked.cardUid, 'blocked'],
    [toClose.cardUid, 'unknown_card'],
    ['DEADBEEF', 'unknown_card'],
  ] as const) {
    await ringUpAndTap(sim, ['1'], uid);
    const r = await sim.waitScreen('result');
    t.like(r.result, { status: 'declined', reason, txId: null }, uid);
    await sim.key('escape');
    // The basket is kept after a decline, with the same lines.
    const back = await sim.waitScreen('basket');
    t.deepEqual(
      back.basket!.items.map((l) => l.qty),
      [1],
    );
    await sim.key('escape');
    await sim.waitScreen('idle');
  }
  t.is(sim.tx.length, 0);
  t.true(sim.indications.filter((i) => i.led === 'red' && i.buzzer === 'decline').length >= 3);
});

test('an item of 200 kr is never sold', async (t) => {
  const w = await world(t);
  const { terminal, sim } = await w.startTerminal();
  await ready(terminal, sim);
  await w.ledger.setCatalog(C, {
    version: 1000,
    items: [
      { sku: 'cykel', name: 'Cykelhjelm', price: 20000, category: 'værksted' },
      { sku: 'juice', name: 'Juice', price: 800, category: 'drikke' },
    ],
  });
  await sim.waitScreen('idle', (s) => s.view.catalog!.items[0]!.sku === 'cykel');
  await sim.key('1');
  const s = await sim.waitFor(() => sim.screen?.message.includes('200 kr') && sim.screen, 'refusal notice');
  t.is(s.screen, 'idle');
  t.is(s.basket, null);
  await sim.key('enter');
  t.is(sim.screen!.screen, 'idle');
  t.is(sim.tx.length, 0);
});

test('a tap on an empty basket shows the balance', async (t) => {
  const w = await world(t);
  const { terminal, sim } = await w.startTerminal();
  await ready(terminal, sim);
  const child = pick(w, (c) => c.status === 'active');
  await sim.tap(child.cardUid);
  const s = await sim.waitScreen('balance');
  t.deepEqual(s.card, { name: child.name, balance: child.balance, photo: child.photo, note: null });
  t.is(sim.tx.length, 0);
});

test('a restart between offline approval and the answer resends the same txId and the ledger books it once', async (t) => {
  const w = await world(t);
  const first = await w.startTerminal('kasse-1', {
    sale: { replyTimeoutMs: 300, maxPurchase: 19999, resultScreenMs: 4000 },
  });
  await ready(first.terminal, first.sim);
  const child = pick(w, (c) => c.status === 'active' && c.balance >= 2000);
  await w.ledger.pause();
  await buy(first.sim, ['1'], child.cardUid);
  await first.sim.key('enter');
  const r = await first.sim.waitScreen('result');
  t.like(r.result, { status: 'approved' });
  const txId = r.result!.txId!;
  await first.stop();
  const second = await w.startTerminal('kasse-1', {
    sale: { replyTimeoutMs: 300, maxPurchase: 19999, resultScreenMs: 4000 },
  });
  await w.ledger.resume();
  await until(async () => (await second.terminal.journal.sales.queueLength()) === 0, 'queue answered after restart');
  t.is(w.ledger.bookings(txId), 1);
  const price = first.sim.screens.find((s) => s.basket)!.basket!.total;
  t.is(w.ledger.card(C, child.cardUid)!.balance, child.balance - price);
  t.true(
    second.sim.tx.some((m) => m.txId === txId && m.type === 'sale' && m.offline),
    'resent after restart with the same txId',
  );
});

test('malformed payloads on every subscribed topic change nothing; a photo with a wrong hash is dropped', async (t) => {
  const w = await world(t);
  const { terminal, sim } = await w.startTerminal();
  await ready(terminal, sim);
  const child = pick(w, (c) => c.status === 'active' && c.photo !== null);
  const before = {
    card: await terminal.journal.cards.get(child.cardUid),
    catalog: await terminal.journal.cards.catalog(),
    count: await terminal.journal.cards.count(),
  };
  const rejected = terminal.link.counters.rejected;
  const png = Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    Buffer.from('not the photo'),
  ]);
  const otherSha = createHash('sha256').update('something else').digest('hex');
  const bad: [string, string | Buffer][] = [
    [topics.card(C, child.cardUid), 'not json'],
    [topics.card(C, child.cardUid), JSON.stringify({ ...child, balance: 12.5, version: child.version + 1 })],
    [topics.card(C, child.cardUid), JSON.stringify({ ...child, balance: '100', version: child.version + 1 })],
    [topics.card(C, child.cardUid), JSON.stringify({ ...child, cardUid: 'AABBCCDD', version: child.version + 1 })],
    [topics.card(C, 'aabbccdd'), JSON.stringify({ ...child, cardUid: 'aabbccdd' })],
    [topics.card(C, child.cardUid), JSON.stringify({ ...child, status: 'closed', version: child.version + 1 })],
    [topics.catalog(C), JSON.stringify({ version: 99, items: [{ sku: 'x', name: 'x', price: -5, category: 'x' }] })],
    [topics.catalog(C), '[]'],
    [topics.config('kasse-1'), JSON.stringify({ maxPurchase: 'lots' })],
    [topics.results('kasse-1'), JSON.stringify({ txId: 'nope', type: 'sale', status: 'approved' })],
    [topics.results('kasse-1'), Buffer.from([0xff, 0x00, 0x13])],
    [topics.photo(C, 'abc'), png],
  ];
  for (const [topic, payload] of bad) await sim.publish(topic, payload);
  await sim.publish(topics.photo(C, otherSha), png);
  await until(() => terminal.link.counters.rejected >= rejected + bad.length, 'all rejected');
  await until(() => terminal.sync.counters.photosDropped >= 1, 'wrong photo dropped');
  await terminal.sync.idle();
  t.is(await terminal.journal.cards.photo(otherSha), null);
  t.deepEqual(await terminal.journal.cards.get(child.cardUid), before.card);
  t.deepEqual(await terminal.journal.cards.catalog(), before.catalog);
  t.is(await terminal.journal.cards.count(), before.count);
  // and it still sells
  await buy(sim, ['1'], child.cardUid);
  await sim.key('enter');
  t.like((await sim.waitScreen('result')).result, { status: 'approved' });
});

test("a closed card leaves no row and no photo in the terminal's SQLite", async (t) => {
  const w = await world(t);
  const { terminal, sim } = await w.startTerminal();
  await ready(terminal, sim);
  const child = pick(w, (c) => c.status === 'active' && c.photo !== null && c.balance >= 1000);
  await buy(sim, ['1'], child.cardUid);
  await sim.key('enter');
  await sim.waitScreen('result', (s) => s.result!.status === 'approved');
  t.truthy(await terminal.journal.cards.photo(child.photo!));
  await w.ledger.closeCard(C, child.cardUid);
  await until(async () => (await terminal.journal.cards.get(child.cardUid)) === null, 'card erased');
  await until(async () => (await terminal.journal.cards.photo(child.photo!)) === null, 'photo erased');
  const db = terminal.journal.db;
  const rows = await db.all('SELECT * FROM cards WHERE uid = ? OR name = ?', [child.cardUid, child.name]);
  const sales = await db.all('SELECT * FROM sales WHERE card_uid = ?', [child.cardUid]);
  const photos = await db.all('SELECT sha FROM photos WHERE sha = ?', [child.photo!]);
  t.deepEqual([rows.length, sales.length, photos.length], [0, 0, 0]);
});
