// The reference ledger, driven over MQTT by a plain mqtt.js client acting as a terminal, with a real
// embedded broker and a real SQLite file per test. Hooks only set up and check the ledger's state.
import test, { type ExecutionContext } from 'ava';
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';
import { PNG } from 'pngjs';
import { startBroker, type EmbeddedBroker } from '../../sim/broker.ts';
import { startLedger, type ClubSeed, type Ledger } from '../../sim/reference-ledger/ledger.ts';
import { seedClubs } from '../../sim/reference-ledger/seed.ts';
import * as store from '../../sim/reference-ledger/store.ts';
import { demoChildren, demoClub, DEMO_CLUB_ID } from '../../sim/demo-club.ts';
import { portraitPng, sha256Hex } from '../../sim/photos.ts';
import { runAdmin } from '../../sim/admin.ts';
import { CARD_UID, CardRecord, Catalog, ITEM_PRICE_CEILING, ResultMsg, type SaleLine } from '../../contract/index.ts';
import { topics } from '../../contract/index.ts';
import { createLogger } from '../../firmware/log.ts';

const CLUB = 'test-klub';
const T = 'kasse-1';
const RICH = '04A1B2C3D4E5F6'; // 100 kr, photo
const BLOCKED = 'B10CED00'; // 50 kr, blocked, photo
const POOR = '0A0B0C0D'; // 3 kr, no photo
const PHOTO = portraitPng('rich');

function testClub(): ClubSeed {
  return {
    clubId: CLUB,
    catalog: { version: 3, items: [{ sku: 'juice', name: 'Juice', price: 800, category: 'drikke' }] },
    cards: [
      { cardUid: RICH, holderId: 'h-1', name: 'Rig Test', balance: 10000, photo: PHOTO },
      {
        cardUid: BLOCKED,
        holderId: 'h-2',
        name: 'Spærret Test',
        balance: 5000,
        status: 'blocked',
        photo: portraitPng('blocked'),
      },
      { cardUid: POOR, holderId: 'h-3', name: 'Fattig Test', balance: 300, photo: null },
    ],
    terminals: [T],
    terminalConfigs: {
      [T]: { maxPurchase: 19999, offline: { perCardLimit: 10000, terminalLimit: 300000, maxAgeSeconds: 86400 } },
    },
  };
}

const line = (unitPrice: number, qty = 1): SaleLine => ({ sku: 'juice', name: 'Juice', unitPrice, qty });

function sale(cardUid: string, lines: SaleLine[], over: Record<string, unknown> = {}) {
  return {
    type: 'sale',
    txId: randomUUID(),
    terminalId: T,
    clubId: CLUB,
    cardUid,
    items: lines,
    total: lines.reduce((s, l) => s + l.unitPrice * l.qty, 0),
    createdAt: new Date().toISOString(),
    offline: false,
    ...over,
  };
}
const reversal = (txId: string) => ({ type: 'reversal', txId, terminalId: T, createdAt: new Date().toISOString() });
const voidOf = (s: { txId: string; cardUid: string }, txId = randomUUID()) => ({
  type: 'void',
  txId,
  voids: s.txId,
  terminalId: T,
  clubId: CLUB,
  cardUid: s.cardUid,
  createdAt: new Date().toISOString(),
});

interface Msg {
  topic: string;
  payload: Buffer;
}

/** A terminal: sends tx, and records everything it receives in arrival order. */
class Terminal {
  readonly received: Msg[] = [];
  #waiters = new Set<() => void>();
  private constructor(readonly client: MqttClient) {
    client.on('message', (topic, payload) => {
      this.received.push({ topic, payload });
      for (const w of this.#waiters) w();
    });
  }

  static async connect(
    url: string,
    subs: string[] = [topics.results(T), topics.clubAll(CLUB), topics.config(T)],
  ): Promise<Terminal> {
    const client = await mqtt.connectAsync(url, { clientId: `${T}-${randomUUID().slice(0, 8)}`, clean: true });
    const term = new Terminal(client);
    await client.subscribeAsync(subs, { qos: 1 });
    return term;
  }

  send(msg: object | string): Promise<unknown> {
    return this.client.publishAsync(topics.tx(T), typeof msg === 'string' ? msg : JSON.stringify(msg), { qos: 1 });
  }

  results(txId?: string): ResultMsg[] {
    return this.received
      .filter((m) => m.topic === topics.results(T))
      .map((m) => ResultMsg.parse(JSON.parse(m.payload.toString())))
      .filter((r) => txId === undefined || r.txId === txId);
  }

  /** Resolves with the first truthy value of `check`, re-checked on every message. */
  waitFor<V>(check: () => V | undefined | null | false, what: string): Promise<V> {
    return new Promise((resolve, reject) => {
      const done = () => {
        const v = check();
        if (!v) return;
        this.#waiters.delete(done);
        clearTimeout(timer);
        resolve(v);
      };
      const timer = setTimeout(() => {
        this.#waiters.delete(done);
        reject(new Error(`timed out waiting for ${what}`));
      }, 15000);
      this.#waiters.add(done);
      done();
    });
  }

  /** Sends a tx and waits for the n-th answer to its txId (n counts answers this terminal got so far). */
  async ask<M extends { txId: string }>(msg: M, nth = this.results(msg.txId).length + 1): Promise<ResultMsg> {
    await this.send(msg);
    return this.waitFor(() => this.results(msg.txId)[nth - 1], `answer ${nth} to ${msg.txId}`);
  }

  close(): Promise<void> {
    return this.client.endAsync();
  }
}

interface World {
  broker: EmbeddedBroker;
  dbPath: string;
  ledger: Ledger;
  term: Terminal;
  start(): Promise<Ledger>;
}

async function world(t: ExecutionContext, clubs: ClubSeed[] = [testClub()]): Promise<World> {
  const dir = await mkdtemp(join(tmpdir(), 'klubkort-ledger-'));
  const broker = await startBroker();
  const dbPath = join(dir, 'ledger.db');
  const ledgers: Ledger[] = [];
  const start = async () => {
    const l = await startLedger({ brokerUrl: broker.url, dbPath, clubs, logger: createLogger({ level: 'silent' }) });
    ledgers.push(l);
    return l;
  };
  const ledger = await start();
  const term = await Terminal.connect(broker.url);
  t.teardown(async () => {
    await term.close();
    for (const l of ledgers) await l.stop();
    await broker.close();
    await rm(dir, { recursive: true, force: true });
  });
  return { broker, dbPath, ledger, term, start };
}

test('on start the ledger publishes every card, photo, catalog and terminal config retained', async (t) => {
  const w = await world(t);
  const late = await Terminal.connect(w.broker.url); // subscribes after start: sees only what is retained
  t.teardown(() => late.close());
  const club = testClub();
  await late.waitFor(
    () => late.received.length >= 3 + 2 + 1 + 1 + 1,
    'retained state (cards, photos, catalog, config, roster)',
  );
  const byTopic = new Map(late.received.map((m) => [m.topic, m.payload]));
  for (const seed of club.cards) {
    const rec = CardRecord.parse(JSON.parse(byTopic.get(topics.card(CLUB, seed.cardUid))!.toString()));
    t.like(rec, {
      cardUid: seed.cardUid,
      name: seed.name,
      balance: seed.balance,
      status: seed.status ?? 'active',
      version: 1,
    });
    t.is(rec.photo, seed.photo ? sha256Hex(seed.photo) : null);
    if (seed.photo) t.deepEqual(byTopic.get(topics.photo(CLUB, rec.photo!)), seed.photo);
  }
  t.deepEqual(Catalog.parse(JSON.parse(byTopic.get(topics.catalog(CLUB))!.toString())), club.catalog);
  t.deepEqual(JSON.parse(byTopic.get(topics.config(T))!.toString()), club.terminalConfigs![T]);
});

test('an approved online sale books the exact total, bumps the version and publishes the record before the result', async (t) => {
  const w = await world(t);
  const s = sale(RICH, [line(800, 2), line(1250)]);
  const r = await w.term.ask(s);
  t.deepEqual(r, {
    txId: s.txId,
    type: 'sale',
    status: 'approved',
    balance: 10000 - 2850,
    cardVersion: 2,
    offline: false,
  });
  t.like(w.ledger.card(CLUB, RICH), { balance: 7150, version: 2 });
  t.is(w.ledger.bookings(s.txId), 1);
  t.like(w.ledger.history()[0], { type: 'sale', txId: s.txId, amount: -2850, offline: false, terminalId: T });
  const recordAt = w.term.received.findIndex(
    (m) => m.topic === topics.card(CLUB, RICH) && CardRecord.parse(JSON.parse(m.payload.toString())).version === 2,
  );
  const resultAt = w.term.received.findIndex((m) => m.topic === topics.results(T));
  t.true(recordAt >= 0 && recordAt < resultAt, 'record v2 before the result');
});

test('online sales are declined for insufficient funds, a blocked card and an unknown card, and nothing moves', async (t) => {
  const w = await world(t);
  const cases = [
    [sale(POOR, [line(400)]), { status: 'declined', reason: 'insufficient_funds', balance: 300, cardVersion: 1 }],
    [sale(BLOCKED, [line(400)]), { status: 'declined', reason: 'blocked', balance: 5000, cardVersion: 1 }],
    [sale('DEADBEEF', [line(400)]), { status: 'declined', reason: 'unknown_card' }],
  ] as const;
  for (const [s, expected] of cases) {
    const r = await w.term.ask(s);
    t.like(r, { ...expected, offline: false });
    t.is(w.ledger.bookings(s.txId), 0);
  }
  t.is(w.term.results().find((r) => r.reason === 'unknown_card')!.balance, undefined);
  t.like(w.ledger.card(CLUB, POOR), { balance: 300, version: 1 });
  t.deepEqual(w.ledger.history(), []);
});

test('a repeated txId gets the first answer again and is booked once', async (t) => {
  const w = await world(t);
  const s = sale(RICH, [line(500)]);
  const first = await w.term.ask(s);
  t.deepEqual(await w.term.ask(s), first);
  // The terminal timed out and approved it offline: same booking, answered with its offline flag.
  t.deepEqual(await w.term.ask({ ...s, offline: true }), { ...first, offline: true });
  t.is(w.ledger.bookings(s.txId), 1);
  t.like(w.ledger.card(CLUB, RICH), { balance: 9500, version: 2 });
});

test('a reversal undoes a booked online sale and makes its txId final', async (t) => {
  const w = await world(t);
  const s = sale(RICH, [line(700)]);
  await w.term.ask(s);
  const r = await w.term.ask(reversal(s.txId));
  t.deepEqual(r, { txId: s.txId, type: 'reversal', status: 'approved', balance: 10000, cardVersion: 3 });
  t.like(await w.term.ask({ ...s, offline: true }), {
    type: 'sale',
    status: 'declined',
    reason: 'reversed',
    offline: true,
  });
  t.deepEqual(await w.term.ask(reversal(s.txId)), r, 'a repeated reversal gets the same answer');
  t.like(w.ledger.card(CLUB, RICH), { balance: 10000, version: 3 });
  t.deepEqual(
    w.ledger.history().map((e) => [e.type, e.amount]),
    [
      ['sale', -700],
      ['reversal', 700],
    ],
  );
});

test('a reversal that comes before its sale makes the sale declined as reversed', async (t) => {
  const w = await world(t);
  const s = sale(RICH, [line(700)]);
  t.deepEqual(await w.term.ask(reversal(s.txId)), { txId: s.txId, type: 'reversal', status: 'approved' });
  t.like(await w.term.ask(s), { status: 'declined', reason: 'reversed', offline: false });
  t.like(await w.term.ask({ ...s, offline: true }), { status: 'declined', reason: 'reversed', offline: true });
  t.is(w.ledger.bookings(s.txId), 0);
  t.like(w.ledger.card(CLUB, RICH), { balance: 10000, version: 1 });
});

test('an offline sale after a decline of the same txId is booked, below zero; it is never reversed', async (t) => {
  const w = await world(t);
  const s = sale(POOR, [line(500)]);
  t.like(await w.term.ask(s), { status: 'declined', reason: 'insufficient_funds' });
  const r = await w.term.ask({ ...s, offline: true });
  t.deepEqual(r, { txId: s.txId, type: 'sale', status: 'approved', balance: -200, cardVersion: 2, offline: true });
  t.deepEqual(await w.term.ask({ ...s, offline: true }), r, 'repeated: same answer');
  t.like(await w.term.ask(reversal(s.txId)), { type: 'reversal', status: 'declined', reason: 'invalid' });
  t.is(w.ledger.bookings(s.txId), 1);
  t.like(w.ledger.card(CLUB, POOR), { balance: -200, version: 2 });
});

test('offline sales are booked on a blocked card and below zero', async (t) => {
  const w = await world(t);
  const onBlocked = sale(BLOCKED, [line(900)], { offline: true });
  t.like(await w.term.ask(onBlocked), { status: 'approved', balance: 4100, cardVersion: 2, offline: true });
  const belowZero = sale(POOR, [line(1000)], { offline: true });
  t.like(await w.term.ask(belowZero), { status: 'approved', balance: -700, cardVersion: 2, offline: true });
  // Blocked after an online decline: the terminal did not know yet.
  await w.ledger.block(CLUB, RICH);
  const s = sale(RICH, [line(100)]);
  t.like(await w.term.ask(s), { status: 'declined', reason: 'blocked' });
  t.like(await w.term.ask({ ...s, offline: true }), { status: 'approved', balance: 9900, offline: true });
  t.deepEqual(
    [onBlocked, belowZero, s].map((x) => w.ledger.bookings(x.txId)),
    [1, 1, 1],
  );
});

test('a void refunds one approved sale once; its own txId is idempotent', async (t) => {
  const w = await world(t);
  const s = sale(RICH, [line(1200)]);
  await w.term.ask(s);
  const v = voidOf(s);
  const r = await w.term.ask(v);
  t.deepEqual(r, { txId: v.txId, type: 'void', status: 'approved', balance: 10000, cardVersion: 3 });
  t.deepEqual(await w.term.ask(v), r);
  t.like(
    await w.term.ask(voidOf(s)),
    { type: 'void', status: 'declined', reason: 'invalid' },
    'a second void of the sale',
  );
  t.like(
    await w.term.ask(voidOf({ txId: randomUUID(), cardUid: RICH })),
    { status: 'declined', reason: 'invalid' },
    'unknown sale',
  );
  const declined = sale(POOR, [line(900)]);
  await w.term.ask(declined);
  t.like(await w.term.ask(voidOf(declined)), { status: 'declined', reason: 'invalid' }, 'declined sale');
  t.like(
    await w.term.ask(reversal(s.txId)),
    { status: 'approved', balance: 10000 },
    'a reversal after the void moves nothing',
  );
  t.is(w.ledger.bookings(v.txId), 1);
  t.like(w.ledger.card(CLUB, RICH), { balance: 10000, version: 3 });
});

test('well-formed sales with unacceptable content are declined invalid or limit', async (t) => {
  const w = await world(t);
  const cases = [
    [sale(RICH, [line(ITEM_PRICE_CEILING)]), 'invalid'],
    [{ ...sale(RICH, [line(800, 2)]), total: 1500 }, 'invalid'],
    [sale(RICH, [line(800)], { clubId: 'other-klub' }), 'invalid'],
    [sale(RICH, [line(10000, 2)]), 'limit'],
  ] as const;
  for (const [s, reason] of cases) t.like(await w.term.ask(s), { status: 'declined', reason }, reason);
  await w.ledger.setTerminalConfig(T, {
    maxPurchase: 500,
    offline: { perCardLimit: 0, terminalLimit: 0, maxAgeSeconds: 0 },
  });
  const overConfigured = sale(RICH, [line(600)], { offline: true });
  t.like(await w.term.ask(overConfigured), { status: 'declined', reason: 'limit', offline: true });
  t.like(w.ledger.card(CLUB, RICH), { balance: 10000, version: 1 });
  t.deepEqual(w.ledger.history(), []);
});

test('malformed payloads are counted and ignored: no answer, no state change', async (t) => {
  const w = await world(t);
  const good = sale(RICH, [line(800)]);
  const bad = [
    'not json {',
    JSON.stringify({ ...good, total: '800' }),
    JSON.stringify({ ...good, items: [line(8.5)], total: 8.5 }),
    JSON.stringify({ ...good, cardUid: '04a1b2c3' }),
    JSON.stringify({ ...good, terminalId: 'kasse-2' }),
    JSON.stringify({ type: 'refund', txId: good.txId }),
    '',
  ];
  for (const p of bad) await w.term.send(p);
  // Messages are handled in order: once the probe is answered, every bad one was handled.
  const probe = sale(POOR, [line(100)]);
  await w.term.ask(probe);
  t.deepEqual(
    w.term.results().map((r) => r.txId),
    [probe.txId],
  );
  t.deepEqual(w.ledger.counters, { accepted: 1, rejected: bad.length });
  t.like(w.ledger.card(CLUB, RICH), { balance: 10000, version: 1 });
  t.is(w.ledger.bookings(good.txId), 0);
});

test('closing a card publishes empty retained payloads for its record and its photo', async (t) => {
  const w = await world(t);
  await w.term.waitFor(() => w.term.received.some((m) => m.topic === topics.card(CLUB, RICH)), 'record');
  await w.ledger.closeCard(CLUB, RICH);
  const photoTopic = topics.photo(CLUB, sha256Hex(PHOTO));
  await w.term.waitFor(
    () =>
      [topics.card(CLUB, RICH), photoTopic].every((topic) =>
        w.term.received.some((m) => m.topic === topic && m.payload.length === 0),
      ),
    'empty payloads',
  );
  t.is(w.ledger.card(CLUB, RICH), null);
  const late = await Terminal.connect(w.broker.url);
  t.teardown(() => late.close());
  await late.waitFor(() => late.received.some((m) => m.topic === topics.card(CLUB, POOR)), 'the other records');
  t.false(
    late.received.some((m) => m.topic === topics.card(CLUB, RICH) || m.topic === photoTopic),
    'nothing retained',
  );
  // Sales of a closed card still queued at a terminal are money: an offline one is recorded.
  const s = sale(RICH, [line(300)], { offline: true });
  t.deepEqual(await w.term.ask(s), { txId: s.txId, type: 'sale', status: 'approved', offline: true });
  t.like(await w.term.ask(sale(RICH, [line(300)])), { status: 'declined', reason: 'unknown_card' });
});

test('replacing a photo publishes the new bytes before the record naming them, and empties the old photo', async (t) => {
  const w = await world(t);
  const cardTopic = topics.card(CLUB, RICH);
  await w.term.waitFor(() => w.term.received.some((m) => m.topic === cardTopic), 'record');
  const before = w.ledger.card(CLUB, RICH)!;
  const NEW = portraitPng('replaced');
  const oldTopic = topics.photo(CLUB, sha256Hex(PHOTO));
  const newTopic = topics.photo(CLUB, sha256Hex(NEW));
  const from = w.term.received.length;
  const after = await w.ledger.setPhoto(CLUB, RICH, NEW);
  t.is(after.photo, sha256Hex(NEW));
  t.true(after.version > before.version, 'a higher version: the terminal replaces its record');
  t.is(after.balance, before.balance);
  await w.term.waitFor(
    () => w.term.received.slice(from).some((m) => m.topic === oldTopic && m.payload.length === 0),
    'the old photo emptied',
  );
  const got = w.term.received.slice(from).map((m) => m.topic);
  t.true(got.indexOf(newTopic) >= 0 && got.indexOf(newTopic) < got.indexOf(cardTopic), 'bytes before the record');
  t.deepEqual(w.term.received.find((m) => m.topic === newTopic)?.payload, NEW);
  const rec = CardRecord.parse(
    JSON.parse(
      w.term.received
        .filter((m) => m.topic === cardTopic)
        .at(-1)!
        .payload.toString(),
    ),
  );
  t.is(rec.photo, sha256Hex(NEW));
  // The same photo again changes nothing; too large a photo is refused and changes nothing.
  t.is((await w.ledger.setPhoto(CLUB, RICH, NEW)).version, after.version);
  await t.throwsAsync(w.ledger.setPhoto(CLUB, RICH, Buffer.alloc(300 * 1024)), { message: /at most/ });
  // A late subscriber finds the new photo retained and not the old one; removing the photo empties it.
  const late = await Terminal.connect(w.broker.url);
  t.teardown(() => late.close());
  await late.waitFor(() => late.received.some((m) => m.topic === newTopic), 'the new photo retained');
  t.false(
    late.received.some((m) => m.topic === oldTopic),
    'the old photo not retained',
  );
  t.is((await w.ledger.setPhoto(CLUB, RICH, null)).photo, null);
  await w.term.waitFor(
    () => w.term.received.some((m) => m.topic === newTopic && m.payload.length === 0),
    'the removed photo emptied',
  );
});

test('state survives a ledger restart on the same database, and the seed does not overwrite it', async (t) => {
  const w = await world(t);
  const s = sale(RICH, [line(2500)]);
  const first = await w.term.ask(s);
  await w.ledger.closeCard(CLUB, POOR);
  await w.ledger.stop();
  const whileDown = sale(RICH, [line(500)]);
  await w.term.send(whileDown); // kept in the ledger's persistent session
  const again = await w.start();
  t.is(again.card(CLUB, POOR), null, 'a closed card is not seeded again');
  t.like(await w.term.waitFor(() => w.term.results(whileDown.txId)[0], 'answer after restart'), {
    status: 'approved',
    balance: 7000,
  });
  t.deepEqual(await w.term.ask(s), first);
  t.is(again.bookings(s.txId), 1);
  t.like(again.card(CLUB, RICH), { balance: 7000, version: 3 });
});

test('pause and resume: tx sent while the ledger is away are queued and answered on resume', async (t) => {
  const w = await world(t);
  await w.ledger.pause();
  const s = sale(RICH, [line(800)]);
  await w.term.send(s);
  const topUp = w.ledger.topUp(CLUB, POOR, 1000); // committed now, published on resume
  t.is(w.ledger.bookings(s.txId), 0);
  await w.ledger.resume();
  await topUp;
  await w.term.waitFor(() => w.term.results(s.txId)[0], 'queued answer');
  t.is(w.ledger.bookings(s.txId), 1);
  t.like(w.ledger.card(CLUB, POOR), { balance: 1300, version: 2 });
  await w.term.waitFor(
    () =>
      w.term.received.some(
        (m) =>
          m.topic === topics.card(CLUB, POOR) && CardRecord.parse(JSON.parse(m.payload.toString())).balance === 1300,
      ),
    'top-up record',
  );
});

test('duplicate and delayed results: every answer is sent twice and still booked once', async (t) => {
  const w = await world(t);
  w.ledger.setDuplicateResults(true);
  w.ledger.setReplyDelay(50);
  const s = sale(RICH, [line(800)]);
  await w.term.send(s);
  const [a, b] = await w.term.waitFor(
    () => w.term.results(s.txId).length >= 2 && w.term.results(s.txId),
    'two answers',
  );
  t.deepEqual(a, b);
  t.is(w.ledger.bookings(s.txId), 1);
});

test('bookings read what hooks and earlier bookings committed, also after a restart', async (t) => {
  const w = await world(t);
  // A UID the club never had is not its card (contract § Access), until the office adds it.
  const NEW = '0C0D0E0F';
  const newcomer = () => sale(NEW, [line(500)], { offline: true });
  t.like(await w.term.ask(newcomer()), { status: 'declined', reason: 'invalid' }, 'a card the club never had');
  await w.ledger.addCard(CLUB, { cardUid: NEW, holderId: 'h-4', name: 'Ny Test', balance: 1000, photo: null });
  t.like(await w.term.ask(newcomer()), { status: 'approved', balance: 500 }, "the card is the club's now");
  await w.ledger.closeCard(CLUB, POOR);
  const config = testClub().terminalConfigs![T]!;
  await w.ledger.setTerminalConfig(T, { ...config, maxPurchase: 400 });
  t.like(await w.term.ask(sale(RICH, [line(500)])), { status: 'declined', reason: 'limit' });
  await w.ledger.setTerminalConfig(T, config);
  const s = sale(RICH, [line(1000)]);
  t.like(await w.term.ask(s), { status: 'approved', balance: 9000, cardVersion: 2 });
  await w.ledger.stop();
  const again = await w.start();
  t.like(
    await w.term.ask(voidOf(s)),
    { status: 'approved', balance: 10000, cardVersion: 3 },
    'voids the sale booked before',
  );
  const closed = await w.term.ask(sale(POOR, [line(100)], { offline: true }));
  t.deepEqual(
    [closed.status, closed.balance],
    ['approved', undefined],
    "a card closed before the restart is still the club's: its debt is recorded",
  );
  t.deepEqual(
    again.history().map((e) => [e.seq, e.type]),
    [
      [1, 'sale'],
      [2, 'sale'],
      [3, 'void'],
      [4, 'sale'],
    ],
  );
});

test('a booking is written whole or not at all, and only onto the card version it was decided on', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'klubkort-ledger-'));
  const db = await store.openStore(join(dir, 'ledger.db'));
  t.teardown(async () => {
    await db.close();
    await rm(dir, { recursive: true, force: true });
  });
  await seedClubs(db, [testClub()], new Date().toISOString());
  const card = (await store.getCard(db, CLUB, RICH))!;
  const booking = (before: CardRecord): store.Booking => {
    const s = sale(RICH, [line(800)]);
    const after = { ...before, balance: before.balance - 800, version: before.version + 1 };
    const answer = ResultMsg.parse({
      txId: s.txId,
      type: 'sale',
      status: 'approved',
      balance: after.balance,
      cardVersion: after.version,
      offline: false,
    });
    return {
      stored: {
        in: 'sales',
        txId: s.txId,
        terminalId: T,
        answer,
        sale: { clubId: CLUB, cardUid: RICH, total: 800, items: s.items, createdAt: s.createdAt, booked: 'online' },
      },
      moved: {
        entry: {
          seq: 1,
          at: s.createdAt,
          type: 'sale',
          txId: s.txId,
          ref: null,
          clubId: CLUB,
          cardUid: RICH,
          amount: -800,
          offline: false,
          terminalId: T,
          cashierId: null,
        },
        card: { before, after },
      },
    };
  };
  const stale = booking({ ...card, version: card.version - 1 });
  await t.throwsAsync(store.putBooking(db, stale), { message: /card changed under a booking/ });
  t.deepEqual(await store.listEntries(db), [], 'no entry');
  t.deepEqual(
    await store.getTxIdState(db, stale.stored!.txId),
    { sale: null, reversal: null, void: null, sentBy: [] },
    'no answer stored',
  );
  t.deepEqual(await store.getCard(db, CLUB, RICH), card);
  const b = booking(card);
  await store.putBooking(db, b);
  t.deepEqual(await store.listEntries(db), [b.moved!.entry]);
  t.like((await store.getTxIdState(db, b.stored!.txId)).sale, {
    booked: 'online',
    total: 800,
    answer: b.stored!.answer,
    voidedBy: null,
  });
  t.deepEqual(await store.getCard(db, CLUB, RICH), b.moved!.card!.after);
});

test('admin commands over MQTT top up, block and list like the parents portal', async (t) => {
  const w = await world(t);
  const lines: string[] = [];
  const io = { out: (l: string) => lines.push(l), err: (l: string) => lines.push(`ERR ${l}`) };
  const admin = (...args: string[]) => runAdmin(['--broker', w.broker.url, '--club', CLUB, ...args], io);
  t.is(await admin('topup', POOR.toLowerCase(), '12,50'), 0);
  t.like(w.ledger.card(CLUB, POOR), { balance: 1550, version: 2 });
  await w.term.waitFor(
    () =>
      w.term.received.some(
        (m) => m.topic === topics.card(CLUB, POOR) && CardRecord.parse(JSON.parse(m.payload.toString())).version === 2,
      ),
    'published top-up',
  );
  t.is(await admin('block', POOR), 0);
  t.is(w.ledger.card(CLUB, POOR)!.status, 'blocked');
  t.is(await admin('list'), 0);
  t.true(
    lines.some((l) => l.includes(POOR) && l.includes('15,50 kr') && l.includes('blocked')),
    lines.join('\n'),
  );
  t.is(await admin('topup', 'DEADBEEF', '5'), 1, 'unknown card');
  t.is(await admin('topup', POOR, '-5'), 1, 'not an amount');
  t.is(await admin('frobnicate'), 1);
  t.is(w.ledger.card(CLUB, POOR)!.balance, 1550);
});

test('the club office registers terminals: klubkort ledger terminal-add and terminals; a seed and a registration never move a terminal to another club', async (t) => {
  const w = await world(t, [
    testClub(),
    { clubId: 'nabo-klub', catalog: { version: 1, items: [] }, cards: [], terminals: ['kasse-9'] },
  ]);
  const lines: string[] = [];
  const io = { out: (l: string) => lines.push(l), err: (l: string) => lines.push(`ERR ${l}`) };
  const admin = (...args: string[]) => runAdmin(['--broker', w.broker.url, '--club', CLUB, ...args], io);
  t.is(await admin('terminal-add', 'kasse-2'), 0);
  t.is(await admin('terminal-add', 'kasse-2'), 0, 'again: no change');
  t.is(await admin('terminals'), 0);
  t.deepEqual(lines, [
    `kasse-2  club ${CLUB}`,
    `kasse-2  club ${CLUB}`,
    `kasse-1  club ${CLUB}`,
    `kasse-2  club ${CLUB}`,
  ]);
  t.is(await admin('terminal-add', 'kasse-9'), 1);
  t.is(lines.at(-1), 'ERR refused: terminal kasse-9 is registered with club nabo-klub');
  t.is(await admin('terminal-add', 'Kasse 3'), 1, 'not a terminalId');
  t.deepEqual(w.ledger.terminals(CLUB), ['kasse-1', 'kasse-2']);
  // Registrations are stored: after a restart, and a seed naming kasse-9 for this club is refused.
  await w.ledger.stop();
  t.deepEqual((await w.start()).terminals(CLUB), ['kasse-1', 'kasse-2']);
  const db = await store.openStore(w.dbPath);
  t.teardown(() => db.close());
  await t.throwsAsync(seedClubs(db, [{ ...testClub(), terminals: [T, 'kasse-9'] }], new Date().toISOString()), {
    message: /kasse-9 is registered with club nabo-klub/,
  });
  await t.throwsAsync(seedClubs(db, [{ ...testClub(), terminals: [] }], new Date().toISOString()), {
    message: /config for terminal kasse-1, which is not one of/,
  });
});

test('portraits are deterministic photo-like PNGs (grain: tens of KB, far below the 256 KiB limit) that differ per child', (t) => {
  const a = portraitPng('demo-0001');
  t.deepEqual(a, portraitPng('demo-0001'));
  t.notDeepEqual(a, portraitPng('demo-0002'));
  const png = PNG.sync.read(a);
  t.deepEqual([png.width, png.height], [120, 150]);
  t.true(a.length > 1000 && a.length < 64 * 1024, `${a.length} bytes`);
  t.is(sha256Hex(Buffer.from('abc')), 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
});

test('the demo club has a paged catalog under 200 kr, nine children covering the cases (two with genuine sun cards), a cashier and a lead', async (t) => {
  const club = demoClub();
  t.is(club.clubId, DEMO_CLUB_ID);
  t.true(club.catalog.items.length > 9);
  t.true(club.catalog.items.every((i) => i.price < ITEM_PRICE_CEILING));
  t.is(club.cards.length, 9);
  t.deepEqual(
    club.cards.filter((c) => c.auth === 'sun').map((c) => c.cardUid.length),
    [14, 14],
  );
  t.true(club.cards.every((c) => CARD_UID.test(c.cardUid)));
  t.truthy(club.cards.find((c) => c.rules?.dailyLimit));
  t.truthy(club.cards.find((c) => c.rules?.blockedCategories?.length && c.rules.note));
  t.deepEqual(club.staff?.map((s) => s.role).sort(), ['cashier', 'lead']);
  t.is(club.cards.filter((c) => c.status === 'blocked').length, 1);
  t.is(club.cards.filter((c) => c.photo === null).length, 1);
  t.is(new Set(club.cards.flatMap((c) => (c.photo ? [sha256Hex(c.photo)] : []))).size, 8);
  t.deepEqual(
    demoChildren().map((c) => c.uid),
    club.cards.map((c) => c.cardUid),
  );
  const w = await world(t, [club]);
  t.is(w.ledger.cards(DEMO_CLUB_ID).length, 9);
  t.is(w.ledger.staff(DEMO_CLUB_ID).length, 2);
});
