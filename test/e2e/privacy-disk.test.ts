// Privacy on the terminal's disk: a closed card leaves no trace in any byte of the data dir, and
// answered sales are kept only for the retention period (PRIVACY.md).
import test from 'ava';
import { fakeClock } from '../helpers/clock.ts';
import { randomUUID } from 'node:crypto';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { filesUnder, traces } from '../helpers/disk-traces.ts';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { world, type World } from '../helpers/fixture.ts';
import { until } from '../helpers/until.ts';
import { sellDirect, voidLast } from '../helpers/cashier.ts';
import { Journal } from '../../firmware/journal/journal.ts';
import { demoClub, demoStaff, DEMO_CLUB_ID } from '../../sim/demo-club.ts';
import type { SaleMsg } from '../../contract/index.ts';
import type { CardSeed } from '../../sim/reference-ledger/types.ts';

import mqtt from 'mqtt';
import { createHash } from 'node:crypto';
import { topics } from '../../contract/index.ts';
import { portraitJpeg } from '../../sim/photos.ts';
import type { Terminal } from '../../firmware/terminal/terminal.ts';

const C = DEMO_CLUB_ID;
const DAY = 86400_000;

/** A card UID as text (as the journal keeps it) and as the bytes it stands for. */
const uidNeedles = (uid: string): Record<string, Buffer> => ({
  uid: Buffer.from(uid),
  uidBinary: Buffer.from(uid, 'hex'),
});

/** Windows of `photo` that none of `others` has (photos share their format's header). */
function photoNeedles(t: import('ava').ExecutionContext, photo: Buffer, others: Buffer[]): Record<string, Buffer> {
  const windows = [0.2, 0.4, 0.6, 0.8]
    .map((f) => photo.subarray(Math.floor(photo.length * f), Math.floor(photo.length * f) + 24))
    .filter((win) => !others.some((o) => o.includes(win)));
  t.true(windows.length >= 2);
  return Object.fromEntries(windows.map((win, i) => [`photo window ${i}`, win]));
}

/** Every byte pattern of a card that must leave the terminal with it: name, note, holder id, UID, photo windows. */
function cardNeedles(t: import('ava').ExecutionContext, seed: CardSeed, seeds: CardSeed[]): Record<string, Buffer> {
  return {
    name: Buffer.from(seed.name),
    holderId: Buffer.from(seed.holderId),
    ...uidNeedles(seed.cardUid),
    ...(seed.rules?.note ? { note: Buffer.from(seed.rules.note) } : {}),
    ...photoNeedles(
      t,
      seed.photo!,
      seeds.filter((c) => c !== seed && c.photo).map((c) => c.photo!),
    ),
  };
}

/** Every card of the club at the ledger's version, nothing queued, and the catalog on the till (a key before it adds nothing). */
async function inStep(w: World, terminal: Terminal): Promise<void> {
  await until(async () => {
    if ((await terminal.journal.sales.outbox()).length > 0) return false;
    for (const c of w.ledger.cards(C))
      if ((await terminal.journal.cards.get(c.cardUid))?.version !== c.version) return false;
    return terminal.controller.catalog.length > 0;
  }, 'terminal in step with the ledger');
}

test('a closed card leaves nothing behind: not in journal.db, -wal or -shm, not anywhere in the data dir', async (t) => {
  const w = await world(t);
  const { terminal } = await w.startTerminal();
  const dataDir = join(w.dir, 'kasse-1');
  const seeds = demoClub().cards;
  const seed = seeds.find((c) => c.photo && c.balance >= 5000 && (c.status ?? 'active') === 'active')!;
  const uid = seed.cardUid;
  await inStep(w, terminal);

  // The card goes through many versions and every table that can hold it.
  t.like((await sellDirect(terminal, ['1'], uid)).result, { status: 'approved' });
  t.like((await sellDirect(terminal, ['2', '2'], uid)).result, { status: 'approved' });
  t.like((await voidLast(terminal)).result, { status: 'approved' });
  await w.ledger.topUp(C, uid, 1000);
  await terminal.controller.onCard({ uid, sun: null }); // the balance screen
  terminal.controller.onKey('escape');
  await inStep(w, terminal);

  const needles = cardNeedles(t, seed, seeds);
  t.true(
    traces(dataDir, needles).some((f) => f.startsWith('name')),
    'the scan finds the name before the card is closed',
  );
  t.true(
    traces(dataDir, needles).some((f) => f.startsWith('photo')),
    'and the photo',
  );

  await w.ledger.closeCard(C, uid);
  await until(async () => (await terminal.journal.cards.get(uid)) === null, 'card erased');
  await terminal.sync.idle();
  t.deepEqual(traces(dataDir, needles), []);
  t.is(
    await terminal.journal.db
      .read((q) => q.get<{ n: number }>('SELECT count(*) AS n FROM sales WHERE card_uid = ?', [uid]))
      .then((r) => r!.n),
    0,
  );
  t.deepEqual(
    filesUnder(dataDir)
      .map((f) => f.slice(dataDir.length + 1))
      .sort(),
    ['journal.db', 'journal.db-shm', 'journal.db-wal'],
    'no photo files or caches',
  );
  // The other children's data is still there: the erasure was of this card only.
  const other = seeds.find((c) => c !== seed && c.photo)!;
  t.truthy(await terminal.journal.cards.get(other.cardUid));
});

test('1.1: a card and a staff card removed while the terminal is off and its session is gone are erased by the roster at restart: no byte of them remains', async (t) => {
  const w = await world(t);
  const first = await w.startTerminal();
  const dataDir = join(w.dir, 'kasse-1');
  const seeds = demoClub().cards;
  const seed = seeds.find((c) => c.rules?.note && c.photo)!; // the child with a note and a photo
  const staff = demoStaff()[1]!;
  await inStep(w, first.terminal);
  await until(() => first.terminal.journal.cards.staff(staff.cardUid), 'staff card cached');
  t.like((await sellDirect(first.terminal, ['1'], seed.cardUid)).result, { status: 'approved' });
  await first.terminal.controller.onCard({ uid: seed.cardUid, sun: null }); // the balance screen, with the note
  first.terminal.controller.onKey('escape');
  await inStep(w, first.terminal);
  const needles = { ...cardNeedles(t, seed, seeds), staffName: Buffer.from(staff.name) };
  t.true(
    traces(dataDir, needles).some((f) => f.startsWith('note')),
    'the scan finds the note before',
  );
  t.true(
    traces(dataDir, needles).some((f) => f.startsWith('staffName')),
    'and the staff name',
  );
  await first.stop();

  await w.ledger.closeCard(C, seed.cardUid);
  await w.ledger.removeStaff(C, staff.cardUid);
  // The broker loses the terminal's persistent session (a broker restart, a long absence): the
  // empty records queued for it are gone with it.
  const intruder = await mqtt.connectAsync(w.broker.url, { clientId: 'kasse-1', clean: true });
  await intruder.endAsync();

  const second = await w.startTerminal();
  await until(
    async () =>
      (await second.terminal.journal.cards.get(seed.cardUid)) === null &&
      (await second.terminal.journal.cards.staff(staff.cardUid)) === null,
    'erased by the roster',
  );
  // A card the roster leaves out is hidden at once and erased in chunks after: counted once all are.
  await second.terminal.sync.idle();
  t.true(second.terminal.sync.counters.rosterErased >= 2, 'the roster did it (the session was gone)');
  t.deepEqual(traces(dataDir, needles), []);
  t.truthy(await second.terminal.journal.cards.get(seeds[0]!.cardUid), 'the others stay');
  t.truthy(await second.terminal.journal.cards.staff(demoStaff()[0]!.cardUid));
});

test("issue 24: a closed card's queued sale keeps its UID until answered; once answered, the UID leaves every file", async (t) => {
  const w = await world(t);
  const { terminal } = await w.startTerminal('kasse-1', {
    sale: { replyTimeoutMs: 300, maxPurchase: 19999, resultScreenMs: 60000 },
  });
  const dataDir = join(w.dir, 'kasse-1');
  const seeds = demoClub().cards;
  const seed = seeds.find(
    (c) => c.photo && c.balance >= 5000 && (c.status ?? 'active') === 'active' && !c.rules && !c.auth,
  )!;
  await inStep(w, terminal);
  const needles = cardNeedles(t, seed, seeds);

  // The ledger stops answering: the sale is approved offline and queued, with the card's UID.
  await w.ledger.pause();
  t.like((await sellDirect(terminal, ['1'], seed.cardUid)).result, { status: 'approved' });
  const [queued] = await terminal.journal.sales.outbox();
  t.like(queued, { type: 'sale', offline: true });
  // The ledger closes the card meanwhile. When it is back its close goes out first (its link sends
  // what waited before it reads the queued sale), then its answer to the sale.
  await w.ledger.closeCard(C, seed.cardUid);
  await w.ledger.resume();
  await until(async () => (await terminal.journal.sales.outbox()).length === 0, 'the queued sale answered');
  await terminal.sync.idle();
  t.is(await terminal.journal.cards.get(seed.cardUid), null);
  t.deepEqual(traces(dataDir, needles), []);
});

test("issue 24: a replaced photo leaves no byte behind when the card's record names its successor", async (t) => {
  const w = await world(t);
  const { terminal } = await w.startTerminal();
  const dataDir = join(w.dir, 'kasse-1');
  const seeds = demoClub().cards;
  const seed = seeds.find((c) => c.photo && seeds.filter((o) => o.photo?.equals(c.photo!)).length === 1)!;
  await inStep(w, terminal);
  const old = w.ledger.card(C, seed.cardUid)!;
  const oldPhoto = photoNeedles(
    t,
    seed.photo!,
    seeds.filter((c) => c !== seed && c.photo).map((c) => c.photo!),
  );
  t.true(traces(dataDir, oldPhoto).length > 0, 'the scan finds the photo before');

  // The parents' portal uploads a new photo: the ledger publishes it, then the record naming it.
  // (It may leave the old one's retained message: the terminal drops the photo no card names itself.)
  const fresh = portraitJpeg(`${seed.name} a year older`);
  const sha = createHash('sha256').update(fresh).digest('hex');
  const portal = await mqtt.connectAsync(w.broker.url, { clientId: 'portal-test' });
  t.teardown(() => portal.endAsync());
  await portal.publishAsync(topics.photo(C, sha), fresh, { qos: 1, retain: true });
  await portal.publishAsync(
    topics.card(C, seed.cardUid),
    JSON.stringify({ ...old, photo: sha, version: old.version + 1, updatedAt: new Date().toISOString() }),
    { qos: 1, retain: true },
  );
  await until(async () => (await terminal.journal.cards.get(seed.cardUid))?.photo === sha, 'the new photo named');
  await terminal.sync.idle();
  t.is(await terminal.journal.cards.photo(old.photo!), null, "the old photo is no card's: dropped");
  t.truthy(await terminal.journal.cards.photo(sha));
  t.deepEqual(traces(dataDir, oldPhoto), []);
  t.true(traces(dataDir, { name: Buffer.from(seed.name) }).length > 0, 'the card itself stays');
});

test('an erasure cut short by a power cut (committed, not yet checkpointed) is finished when the journal opens', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'klubkort-privacy-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const j = await Journal.open(join(dir, 'live'));
  const seed = demoClub().cards[0]!;
  const rec = {
    cardUid: seed.cardUid,
    holderId: seed.holderId,
    name: seed.name,
    photo: null,
    status: 'active' as const,
    balance: 100,
    version: 1,
    updatedAt: new Date().toISOString(),
  };
  for (let v = 1; v <= 5; v++) await j.cards.put({ ...rec, version: v, balance: 100 * v });
  // What CardCache.close commits, without the checkpoint that follows it.
  await j.db.tx((q) => q.run('DELETE FROM cards WHERE uid = ?', [seed.cardUid]));
  // The files as a power cut leaves them: the database and its WAL (the -shm is rebuilt).
  mkdirSync(join(dir, 'after-cut'));
  for (const f of ['journal.db', 'journal.db-wal']) copyFileSync(join(dir, 'live', f), join(dir, 'after-cut', f));
  await j.close();
  const name = { name: Buffer.from(seed.name) };
  t.notDeepEqual(traces(join(dir, 'after-cut'), name), [], 'the WAL still holds the erased name');
  const reopened = await Journal.open(join(dir, 'after-cut'));
  t.teardown(() => reopened.close());
  t.is(await reopened.cards.get(seed.cardUid), null);
  t.deepEqual(traces(join(dir, 'after-cut'), name), []);
});

const saleAt = (createdAt: string, cardUid: string, offline = false): SaleMsg => ({
  type: 'sale',
  txId: randomUUID(),
  terminalId: 'kasse-1',
  clubId: C,
  cardUid,
  items: [{ sku: 'juice', name: 'Juice', unitPrice: 800, qty: 1 }],
  total: 800,
  createdAt,
  offline,
});

test('answered sales and voids older than the retention period are deleted at start; unanswered and recent ones stay', async (t) => {
  const w = await world(t);
  const uid = demoClub().cards[0]!.cardUid;
  const ago = (days: number) => new Date(Date.now() - days * DAY).toISOString();
  const j = await Journal.open(join(w.dir, 'kasse-1'));
  // A card no other row names: its UID must leave the files with the sale.
  const onlyHere = '0A1B2C3D4E5F6A';
  const answeredOnline = saleAt(ago(100), onlyHere);
  await j.sales.beginOnline(answeredOnline);
  await j.sales.settle({
    txId: answeredOnline.txId,
    type: 'sale',
    status: 'approved',
    balance: 100,
    cardVersion: 2,
    offline: false,
  });
  const answeredOffline = saleAt(ago(95), uid, true);
  await j.sales.approveOffline(answeredOffline);
  await j.sales.settle({
    txId: answeredOffline.txId,
    type: 'sale',
    status: 'approved',
    balance: 100,
    cardVersion: 3,
    offline: true,
  });
  const refused = saleAt(ago(120), uid);
  await j.sales.recordRefusal(refused, 'blocked');
  const voidTx = randomUUID();
  await j.sales.recordVoid(
    {
      type: 'void',
      txId: voidTx,
      voids: answeredOnline.txId,
      terminalId: 'kasse-1',
      clubId: C,
      cardUid: onlyHere,
      createdAt: ago(99),
    },
    800,
  );
  await j.sales.settle({ txId: voidTx, type: 'void', status: 'approved' });
  const unanswered = saleAt(ago(100), uid, true);
  await j.sales.approveOffline(unanswered);
  const recent = saleAt(ago(89), uid);
  await j.sales.beginOnline(recent);
  await j.sales.settle({
    txId: recent.txId,
    type: 'sale',
    status: 'approved',
    balance: 100,
    cardVersion: 4,
    offline: false,
  });
  await j.close();

  const { terminal } = await w.startTerminal('kasse-1'); // retentionDays: 90 by default
  const sales = terminal.journal.sales;
  t.is(await sales.sale(answeredOnline.txId), null);
  t.is(await sales.sale(answeredOffline.txId), null);
  t.is(await sales.sale(refused.txId), null);
  t.is((await terminal.journal.db.read((q) => q.all('SELECT * FROM voids'))).length, 0);
  t.deepEqual(traces(join(w.dir, 'kasse-1'), uidNeedles(onlyHere)), [], 'the purged rows are gone from the files too');
  t.truthy(await sales.sale(unanswered.txId), 'a sale the ledger has not answered is money: it stays');
  t.truthy(await sales.sale(recent.txId));
  // The unanswered one is booked now, and goes with a later purge.
  await until(() => w.ledger.bookings(unanswered.txId) === 1, 'the old queued sale booked');
});

test('with the clock past retentionDays, the sales of the day are deleted at the next start, not before', async (t) => {
  const w = await world(t);
  const clock = fakeClock();
  const cfg = { retentionDays: 30 };
  const first = await w.startTerminal('kasse-1', cfg, { clock });
  await inStep(w, first.terminal);
  const uid = demoClub().cards[0]!.cardUid;
  const sold = [await sellDirect(first.terminal, ['1'], uid), await sellDirect(first.terminal, ['3'], uid)].map(
    (s) => s.result!.txId!,
  );
  await inStep(w, first.terminal);
  await first.stop();

  clock.step(29 * DAY);
  const second = await w.startTerminal('kasse-1', cfg, { clock });
  for (const tx of sold) t.truthy(await second.terminal.journal.sales.sale(tx));
  await second.stop();

  clock.step(2 * DAY);
  const third = await w.startTerminal('kasse-1', cfg, { clock });
  for (const tx of sold) t.is(await third.terminal.journal.sales.sale(tx), null);
  t.is((await third.terminal.journal.sales.report({ sale: 0, void: 0 })).sales, 0);
});
