// Issue 24, test/e2e/fuzz.test.ts's "8213 received, 8211 expected": a reconnect made the broker send
// again what it had in flight to the terminal (QoS 1, DUP set), and the link handed those messages
// on a second time. Now it hands each on once: here with the sync's flow control holding a message
// unacknowledged when the connection is lost, as on a loaded machine.
import test from 'ava';
import mqtt from 'mqtt';
import { randomUUID } from 'node:crypto';
import { world, inStep } from '../helpers/fixture.ts';
import { until } from '../helpers/until.ts';
import { startMosquitto } from '../helpers/mosquitto.ts';
import { MAX_BATCH } from '../../firmware/ledger/sync.ts';
import { topics } from '../../contract/index.ts';
import { DEMO_CLUB_ID } from '../../sim/demo-club.ts';

const C = DEMO_CLUB_ID;

test('a copy of a message handed on is recognised by id, topic and payload, early on the next connection', async (t) => {
  const { Redelivery } = await import('../../firmware/ledger/redelivery.ts');
  const a = Buffer.from('a');
  const r = new Redelivery();
  t.false(r.again(1, 'x', a));
  t.false(r.again(2, 'x', a));
  t.false(r.again(1, 'x', a), 'on the same connection a repeat is a new message (the same payload published again)');
  r.ended();
  t.true(r.again(1, 'x', a), 'sent again on the next connection');
  t.true(r.again(2, 'x', a));
  t.false(r.again(3, 'x', a), 'new');
  t.false(r.again(2, 'x', a), 'after a new message no copy can come: the id reused');

  const s = new Redelivery();
  s.again(7, 'x', a);
  s.ended();
  t.false(s.again(7, 'x', Buffer.from('b')), 'the id reused for another message (the first was acknowledged)');
  const u = new Redelivery();
  u.again(8, 'x', a);
  u.ended();
  u.ended(); // a connection that brought nothing
  t.true(u.again(8, 'x', a), 'still looked out for after a connection that brought nothing');
  t.false(u.again(undefined, 'x', a), 'QoS 0 has no id');
  // Seen in a fresh-clone run on a busy machine: a new message (a retained one of the new
  // subscription) came ahead of a copy, which was then handed on twice.
  const v = new Redelivery();
  v.again(5, 'x', a);
  v.again(6, 'y', a);
  v.ended();
  t.false(v.again(40, 'z', a), 'a new message first');
  t.true(v.again(6, 'y', a), 'a copy after a new message is still a copy');
  t.true(v.again(5, 'x', a));
});

for (const broker of ['aedes', 'mosquitto'] as const) {
  test(`messages in flight when the connection is lost come again: each is handed on once (${broker})`, async (t) => {
    const mq = broker === 'mosquitto' ? await startMosquitto() : null;
    if (mq) t.teardown(() => mq.close());
    const w = await world(t, { brokerUrl: mq?.url });
    const { terminal } = await w.startTerminal('kasse-1');
    await inStep(w, terminal);
    const cards = w.ledger.cards(C);
    const card = cards[0]!;
    let reconnects = 0;
    terminal.link.on('connected', () => reconnects++);

    // The journal busy: the sync's inbox fills and the link holds the next message unacknowledged.
    let release!: () => void;
    const busy = terminal.journal.db.tx(
      () =>
        new Promise<void>((r) => {
          release = r;
        }),
    );
    const link0 = { ...terminal.link.counters };
    const stale0 = terminal.sync.counters.staleRecords;
    const N = MAX_BATCH + 100;
    const ledger = await mqtt.connectAsync(mq?.url ?? w.broker.url, { clientId: `pub-${randomUUID().slice(0, 6)}` });
    t.teardown(() => ledger.endAsync());
    // Records older than the cached one (each a different payload): every one counts as stale, once.
    for (let i = 0; i < N; i++) {
      await ledger.publishAsync(topics.card(C, card.cardUid), JSON.stringify({ ...card, version: 0, balance: i }), {
        qos: 1,
      });
    }
    await until(
      () => terminal.link.counters.received - link0.received >= MAX_BATCH,
      'the inbox full, the link holding',
    );
    terminal.link.reconnect();
    await until(() => reconnects >= 1 && terminal.link.connected, 'connected again');
    release();
    await busy;

    // Each reconnect also brings every retained card record again (stale too).
    const expected = () => N + reconnects * cards.length;
    await until(
      async () => {
        await terminal.sync.idle();
        return terminal.sync.counters.staleRecords - stale0 >= expected();
      },
      'all applied',
      30_000,
    ).catch(() => undefined);
    await terminal.sync.idle();
    t.is(terminal.sync.counters.staleRecords - stale0, expected(), 'each record applied once');
    const c = terminal.link.counters;
    t.is(c.received - link0.received - (c.retained - link0.retained), N, 'each handed on once');
    t.true(c.redelivered - link0.redelivered >= 1, 'the held one came again, and was dropped');
  });
}
