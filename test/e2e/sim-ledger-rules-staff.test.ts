// Contract 1.1 in the reference ledger, over a real broker: parents' rules on online sales with the
// ledger's own count of the club's local day (injected clock across midnight in Copenhagen), `spent`
// in the card record, staff records and the roster published after every change, cashierId booked,
// and the `klubkort ledger` commands that set them.
import test, { type ExecutionContext } from 'ava';
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';
import { startBroker, type EmbeddedBroker } from '../../sim/broker.ts';
import { startLedger, type ClubSeed, type Ledger } from '../../sim/reference-ledger/ledger.ts';
import { runAdmin } from '../../sim/admin.ts';
import { CardRecord, ResultMsg, Roster, StaffRecord, topics, type SaleLine } from '../../contract/index.ts';
import { createLogger } from '../../firmware/log.ts';

const CLUB = 'test-klub';
const T = 'kasse-1';
const KID = '04A1B2C3D4E5F6';
const STAFF = '04AA0000000C01';

const club = (): ClubSeed => ({
  clubId: CLUB,
  catalog: {
    version: 1,
    items: [
      { sku: 'juice', name: 'Juice', price: 800, category: 'drikke' },
      { sku: 'is', name: 'Is', price: 1000, category: 'slik' },
    ],
  },
  cards: [
    {
      cardUid: KID,
      holderId: 'h-1',
      name: 'Test Barn',
      balance: 10000,
      photo: null,
      rules: { dailyLimit: 2000, blockedCategories: ['slik'], note: 'Nøddeallergi' },
    },
  ],
  staff: [{ cardUid: STAFF, staffId: 'mette', name: 'Mette', role: 'cashier' }],
  terminals: [T],
});

const juice = (qty = 1): SaleLine => ({ sku: 'juice', name: 'Juice', unitPrice: 800, qty });
const ice: SaleLine = { sku: 'is', name: 'Is', unitPrice: 1000, qty: 1 };
const sale = (items: SaleLine[], over: Record<string, unknown> = {}) => ({
  type: 'sale',
  txId: randomUUID(),
  terminalId: T,
  clubId: CLUB,
  cardUid: KID,
  items,
  total: items.reduce((s, l) => s + l.unitPrice * l.qty, 0),
  createdAt: new Date().toISOString(),
  offline: false,
  cashierId: 'mette',
  ...over,
});

interface W {
  broker: EmbeddedBroker;
  ledger: Ledger;
  client: MqttClient;
  got: Map<string, Buffer>;
  results: ResultMsg[];
  clock: { t: number };
}

async function world(t: ExecutionContext, startAt: string): Promise<W> {
  const dir = await mkdtemp(join(tmpdir(), 'klubkort-ledger11-'));
  const broker = await startBroker();
  const clock = { t: Date.parse(startAt) };
  const ledger = await startLedger({
    brokerUrl: broker.url,
    dbPath: join(dir, 'ledger.db'),
    clubs: [club()],
    logger: createLogger({ level: 'silent' }),
    now: () => new Date(clock.t),
  });
  const client = await mqtt.connectAsync(broker.url, { clientId: `t-${randomUUID().slice(0, 8)}`, clean: true });
  const got = new Map<string, Buffer>();
  const results: ResultMsg[] = [];
  client.on('message', (topic, payload) => {
    got.set(topic, payload);
    if (topic === topics.results(T)) results.push(ResultMsg.parse(JSON.parse(payload.toString())));
  });
  await client.subscribeAsync([topics.results(T), topics.clubAll(CLUB)], { qos: 1 });
  t.teardown(async () => {
    await client.endAsync();
    await ledger.stop();
    await broker.close();
    await rm(dir, { recursive: true, force: true });
  });
  return { broker, ledger, client, got, results, clock };
}

async function until<T>(f: () => T | undefined | null | false, what: string): Promise<T> {
  for (let i = 0; i < 300; i++) {
    const v = f();
    if (v) return v;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`timed out: ${what}`);
}

async function ask(w: W, msg: { txId: string }): Promise<ResultMsg> {
  await w.client.publishAsync(topics.tx(T), JSON.stringify(msg), { qos: 1 });
  return until(() => w.results.find((r) => r.txId === msg.txId), `answer to ${msg.txId}`);
}

const retained = <S extends { parse(v: unknown): unknown }>(w: W, topic: string, schema: S) =>
  until(() => w.got.get(topic), topic).then((b) => (b.length ? schema.parse(JSON.parse(b.toString())) : null));

test("daily limit: the ledger counts the club's local day, publishes spent, and starts again at midnight in Copenhagen", async (t) => {
  // 23:40 in Copenhagen (UTC+1 in December): 22:40Z; local midnight is 23:00Z.
  const w = await world(t, '2026-12-01T22:40:00.000Z');
  t.like(await ask(w, sale([juice(2)])), { status: 'approved' });
  const rec = w.ledger.card(CLUB, KID)!;
  t.deepEqual(rec.spent, { day: '2026-12-01', total: 1600 });
  t.deepEqual(
    ((await retained(w, topics.card(CLUB, KID), CardRecord)) as CardRecord).spent,
    rec.spent,
    'spent is in the published record',
  );
  t.like(await ask(w, sale([juice()])), { status: 'declined', reason: 'daily_limit' }, '1600 + 800 > 2000');
  t.is(w.ledger.card(CLUB, KID)!.balance, 10000 - 1600, 'a declined sale books nothing');
  // An offline sale is booked whatever the rules.
  t.like(await ask(w, sale([juice()], { offline: true })), { status: 'approved', offline: true });
  t.deepEqual(w.ledger.card(CLUB, KID)!.spent, { day: '2026-12-01', total: 2400 });
  w.clock.t = Date.parse('2026-12-01T23:00:00.000Z'); // 00:00 on 2 December in Copenhagen
  const next = sale([juice(2)]);
  t.like(await ask(w, next), { status: 'approved' });
  t.deepEqual(w.ledger.card(CLUB, KID)!.spent, { day: '2026-12-02', total: 1600 });
  // A void of today's sale gives its money back to today's spending too, and books the cashier.
  const v = {
    type: 'void',
    txId: randomUUID(),
    voids: next.txId,
    terminalId: T,
    clubId: CLUB,
    cardUid: KID,
    createdAt: new Date().toISOString(),
    cashierId: 'lars',
  };
  t.like(await ask(w, v), { status: 'approved' });
  t.deepEqual(w.ledger.card(CLUB, KID)!.spent, { day: '2026-12-02', total: 0 });
  const h = w.ledger.history();
  t.deepEqual(
    h.map((e) => [e.type, e.cashierId]),
    [
      ['sale', 'mette'],
      ['sale', 'mette'],
      ['sale', 'mette'],
      ['void', 'lars'],
    ],
  );
});

test('a blocked category declines an online sale; an offline one is booked; a 1.0 sale without cashierId books null', async (t) => {
  const w = await world(t, '2026-12-01T10:00:00.000Z');
  t.like(await ask(w, sale([juice(), ice])), { status: 'declined', reason: 'category_blocked' });
  t.like(await ask(w, sale([ice], { offline: true, cashierId: undefined })), { status: 'approved' });
  t.deepEqual(
    w.ledger.history().map((e) => e.cashierId),
    [null],
  );
  await w.ledger.setRules(CLUB, KID, { unblock: ['slik'], dailyLimit: null });
  t.like(await ask(w, sale([ice])), { status: 'approved' });
  t.deepEqual(w.ledger.card(CLUB, KID)!.rules, { dailyLimit: null, blockedCategories: [], note: 'Nøddeallergi' });
});

test('the ledger judges an online sale by its own catalog: an item no longer in it is declined invalid (not passed as having no category); an offline one is booked', async (t) => {
  const w = await world(t, '2026-12-01T10:00:00.000Z');
  // The club renames the ice cream's sku: a terminal that rang "is" up before the change sends the old one.
  await w.ledger.setCatalog(CLUB, {
    version: 2,
    items: [
      { sku: 'juice', name: 'Juice', price: 800, category: 'drikke' },
      { sku: 'is-2', name: 'Is', price: 1500, category: 'slik' },
    ],
  });
  t.like(await ask(w, sale([ice])), { status: 'declined', reason: 'invalid' });
  t.like(await ask(w, sale([juice(), ice])), { status: 'declined', reason: 'invalid' });
  t.like(
    await ask(w, sale([{ sku: 'is-2', name: 'Is', unitPrice: 1500, qty: 1 }])),
    { status: 'declined', reason: 'category_blocked' },
    'the new sku has the category',
  );
  t.is(w.ledger.card(CLUB, KID)!.balance, 10000, 'nothing booked online');
  t.like(
    await ask(w, sale([ice], { offline: true })),
    { status: 'approved', offline: true },
    'offline sales are booked whatever',
  );
  t.is(w.ledger.card(CLUB, KID)!.balance, 9000);
});

test('staff cards and the roster are retained; the roster is published again after every change', async (t) => {
  const w = await world(t, '2026-12-01T10:00:00.000Z');
  const r1 = (await retained(w, topics.roster(CLUB), Roster)) as Roster;
  t.deepEqual({ cards: r1.cards, staff: r1.staff }, { cards: [KID], staff: [STAFF] });
  t.like(await retained(w, topics.staff(CLUB, STAFF), StaffRecord), { staffId: 'mette', role: 'cashier', version: 1 });
  await t.throwsAsync(w.ledger.addStaff(CLUB, { cardUid: KID, staffId: 'x', name: 'X', role: 'lead' }), {
    message: /payment card/,
  });
  w.clock.t += 1000;
  await w.ledger.addStaff(CLUB, { cardUid: '04AA0000000D01', staffId: 'lars', name: 'Lars', role: 'lead' });
  const r2 = await until(() => {
    const r = w.ledger.roster(CLUB);
    return r && r.version > r1.version && r;
  }, 'roster 2');
  t.deepEqual(r2.staff, ['04AA0000000C01', '04AA0000000D01']);
  t.true(r2.updatedAt > r1.updatedAt);
  await w.ledger.removeStaff(CLUB, STAFF);
  await until(() => w.got.get(topics.staff(CLUB, STAFF))?.length === 0, 'empty staff payload');
  await w.ledger.closeCard(CLUB, KID);
  const r4 = await until(() => {
    const b = w.got.get(topics.roster(CLUB));
    const r = b && Roster.parse(JSON.parse(b.toString()));
    return r && r.version === r2.version + 2 && r;
  }, 'roster after close');
  t.deepEqual({ cards: r4.cards, staff: r4.staff }, { cards: [], staff: ['04AA0000000D01'] });
});

test('klubkort ledger sets and clears rules and notes and adds and removes staff cards; --help shows how', async (t) => {
  const w = await world(t, '2026-12-01T10:00:00.000Z');
  const out: string[] = [];
  const io = { out: (l: string) => out.push(l), err: (l: string) => out.push(`ERR ${l}`) };
  const run = (...a: string[]) => runAdmin(['--broker', w.broker.url, '--club', CLUB, ...a], io);
  t.is(await run('--help'), 0);
  t.regex(out.join('\n'), /limit <uid>.*\n.*block-category.*\n.*unblock-category.*\n.*note <uid>/s);
  t.regex(out.join('\n'), /staff-add <uid> <staffId> cashier\|lead <name…>/);
  t.is(await run('limit', KID, '12,50'), 0);
  t.is(w.ledger.card(CLUB, KID)!.rules!.dailyLimit, 1250);
  t.is(await run('limit', KID, 'none'), 0);
  t.is(w.ledger.card(CLUB, KID)!.rules!.dailyLimit, null);
  t.is(await run('block-category', KID, 'drikke'), 0);
  t.deepEqual(w.ledger.card(CLUB, KID)!.rules!.blockedCategories, ['slik', 'drikke']);
  t.is(await run('note', KID, 'Ingen', 'mælk'), 0);
  t.is(w.ledger.card(CLUB, KID)!.rules!.note, 'Ingen mælk');
  t.is(await run('note', KID, 'none'), 0);
  t.is(w.ledger.card(CLUB, KID)!.rules!.note, null);
  t.is(await run('note', KID, 'x'.repeat(201)), 1, 'a note longer than the contract allows is refused');
  t.is(await run('staff-add', '04aa0000000e01', 'ole', 'lead', 'Ole', 'Lund'), 0);
  t.like(
    w.ledger.staff(CLUB).find((s) => s.staffId === 'ole'),
    { name: 'Ole Lund', role: 'lead', cardUid: '04AA0000000E01' },
  );
  t.is(await run('staff-add', '04AA0000000F01', 'x', 'boss', 'X'), 1, 'only cashier or lead');
  out.length = 0;
  t.is(await run('staff'), 0);
  t.is(out.length, 2);
  t.is(await run('staff-remove', '04AA0000000E01'), 0);
  t.false(w.ledger.staff(CLUB).some((s) => s.staffId === 'ole'));
});
