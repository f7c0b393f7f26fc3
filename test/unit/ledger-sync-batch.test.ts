// The ledger sync applies a burst of messages in one transaction: in arrival order, with the version
// rule, a result stored with its card record, and a bad message costing only itself.
import test from 'ava';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { Journal } from '../../firmware/journal/journal.ts';
import { LedgerSync } from '../../firmware/ledger/sync.ts';
import type { LinkEvents } from '../../firmware/ledger/link.ts';
import type { CardRecord, SaleMsg } from '../../contract/index.ts';
import { TypedEmitter } from '../../lib/emitter.ts';
import { createLogger } from '../../firmware/log.ts';
import { portraitPng, sha256Hex } from '../../sim/photos.ts';
import { until } from '../helpers/until.ts';
import { systemTimers } from '../../lib/timers.ts';

/** Stands in for the MQTT link: what it emits is what the broker delivered, in that order. */
class FakeLink extends TypedEmitter<LinkEvents> {
  /** The sync's flow control: a promise while the link must hold further messages. */
  hold: () => Promise<void> | null = () => null;
  throttle(hold: () => Promise<void> | null): void {
    this.hold = hold;
  }
  deliver<K extends keyof LinkEvents & string>(event: K, ...args: LinkEvents[K]): void {
    this.emit(event, ...args);
  }
}

async function setup(t: import('ava').ExecutionContext) {
  const dir = mkdtempSync(join(tmpdir(), 'klubkort-sync-'));
  const j = await Journal.open(dir);
  const link = new FakeLink();
  const sync = new LedgerSync(link, j, createLogger({ level: 'silent' }), systemTimers);
  const events: string[] = [];
  sync.on('cardChanged', (uid) => events.push(`card ${uid}`));
  sync.on('settled', (s) => events.push(`settled ${s.txId}`));
  sync.on('queueChanged', () => events.push('queue'));
  let commits = 0;
  const run = j.db.run.bind(j.db);
  j.db.run = (sql, params) => {
    if (sql === 'COMMIT') commits++;
    return run(sql, params);
  };
  t.teardown(async () => {
    await j.close().catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  });
  return { j, link, sync, events, commits: () => commits };
}

const rec = (uid: string, version: number, over: Partial<CardRecord> = {}): CardRecord => ({
  cardUid: uid,
  holderId: `h-${uid}`,
  name: 'Test Barn',
  photo: null,
  status: 'active',
  balance: 5000,
  version,
  updatedAt: '2026-11-24T09:00:00.000Z',
  ...over,
});
const sale = (uid: string): SaleMsg => ({
  type: 'sale',
  txId: randomUUID(),
  terminalId: 't1',
  clubId: 'c1',
  cardUid: uid,
  items: [{ sku: 'j', name: 'Juice', unitPrice: 800, qty: 1 }],
  total: 800,
  createdAt: new Date().toISOString(),
  offline: false,
});

test('a burst is one transaction, in order: stale versions ignored, the result stored with the record it names', async (t) => {
  const { j, link, sync, events, commits } = await setup(t);
  const s = sale('04A1B2C3');
  await j.sales.beginOnline(s);
  const photo = portraitPng('sync-batch');
  const sha = sha256Hex(photo);
  const before = commits();

  link.deliver('card', '04A1B2C3', rec('04A1B2C3', 3, { photo: sha }));
  link.deliver('card', '04A1B2C3', rec('04A1B2C3', 2, { balance: 1 }));
  link.deliver('photo', sha, photo);
  link.deliver('card', '04A1B2C3', rec('04A1B2C3', 4, { photo: sha, balance: 4200 }));
  link.deliver('result', {
    txId: s.txId,
    type: 'sale',
    status: 'approved',
    balance: 4200,
    cardVersion: 4,
    offline: false,
  });
  await sync.idle();

  t.is(commits() - before, 1);
  t.deepEqual(events, ['card 04A1B2C3', 'card 04A1B2C3', `settled ${s.txId}`, 'queue']);
  t.is(sync.counters.staleRecords, 1);
  t.like(await j.cards.get('04A1B2C3'), { version: 4, balance: 4200, photo: sha });
  t.deepEqual(await j.cards.photo(sha), photo);
  t.like(await j.sales.sale(s.txId), { status: 'approved', answered: true, resultVersion: 4 });
  t.is(await j.sales.queueLength(), 0);
});

test('one message that fails costs only itself: the rest of its burst is applied, in order', async (t) => {
  const { j, link, sync, events } = await setup(t);
  link.deliver('card', '0A0A0A0A', rec('0A0A0A0A', 1));
  // Cannot be stored (the table's CHECK): the batch rolls back and goes again one by one.
  link.deliver('card', '0B0B0B0B', rec('0B0B0B0B', 1, { status: 'lost' as CardRecord['status'] }));
  link.deliver('card', '0C0C0C0C', rec('0C0C0C0C', 1));
  link.deliver('result', { txId: randomUUID(), type: 'sale', status: 'approved', offline: false });
  await sync.idle();

  t.truthy(await j.cards.get('0A0A0A0A'));
  t.is(await j.cards.get('0B0B0B0B'), null);
  t.truthy(await j.cards.get('0C0C0C0C'));
  t.is(sync.counters.ignoredResults, 1);
  t.deepEqual(events, ['card 0A0A0A0A', 'card 0C0C0C0C']);
});

test('a card closed within a burst is erased in its place: a record after the close stands', async (t) => {
  const { j, link, sync, events } = await setup(t);
  link.deliver('card', '0A0A0A0A', rec('0A0A0A0A', 1));
  link.deliver('card', '0D0D0D0D', rec('0D0D0D0D', 1));
  link.deliver('card', '0A0A0A0A', null);
  link.deliver('card', '0D0D0D0D', null);
  link.deliver('card', '0D0D0D0D', rec('0D0D0D0D', 2));
  await sync.idle();

  t.is(await j.cards.get('0A0A0A0A'), null);
  t.like(await j.cards.get('0D0D0D0D'), { version: 2 });
  t.deepEqual(events, ['card 0A0A0A0A', 'card 0D0D0D0D', 'card 0A0A0A0A', 'card 0D0D0D0D', 'card 0D0D0D0D']);
});

test('a burst bigger than a batch makes the link hold further messages until the sync caught up', async (t) => {
  const { j, link, sync } = await setup(t);
  t.is(link.hold(), null);
  const uids = Array.from({ length: 450 }, (_, i) => `0E${i.toString(16).toUpperCase().padStart(6, '0')}`);
  for (const uid of uids) link.deliver('card', uid, rec(uid, 1));
  const held = link.hold();
  t.truthy(held);
  await held;
  await sync.idle();
  t.is(link.hold(), null);
  t.is(await j.cards.count(), uids.length);
});

test('a queue answered as a flow (a record and a result per booking, one after another) is stored in few commits, all of it, in order', async (t) => {
  const { j, link, sync, events, commits } = await setup(t);
  const sales = Array.from({ length: 150 }, (_, i) => sale(`0F${i.toString(16).toUpperCase().padStart(6, '0')}`));
  for (const s of sales) await j.sales.approveOffline({ ...s, offline: true }, true);
  const before = commits();
  // As the ledger answers a long queue: one booking every millisecond or so.
  for (const [i, s] of sales.entries()) {
    link.deliver('card', s.cardUid, rec(s.cardUid, 2, { balance: 4200 }));
    link.deliver('result', {
      txId: s.txId,
      type: 'sale',
      status: 'approved',
      balance: 4200,
      cardVersion: 2,
      offline: true,
    });
    if (i % 2) await new Promise((r) => setTimeout(r, 1));
  }
  await sync.idle();
  await until(async () => (await j.sales.queueLength()) === 0, 'every answer stored');
  // One commit per pair or two was an fsync each; gathering while they keep coming makes it a handful.
  t.true(commits() - before <= 30, `${commits() - before} commits for ${sales.length} bookings`);
  t.deepEqual(
    events.filter((e) => e.startsWith('settled')),
    sales.map((s) => `settled ${s.txId}`),
  );
  t.is(events.filter((e) => e.startsWith('card')).length, sales.length);
});
