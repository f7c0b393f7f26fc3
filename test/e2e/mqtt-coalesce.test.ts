// The ledger link's socket writes once per read, not once per packet: a burst of QoS 1 messages is
// acknowledged in a few socket writes (a write per PUBACK was over a quarter of the terminal's main
// thread while a long queue was answered). Real mqtt.js clients on the embedded broker; the socket's writes counted.
import test from 'ava';
import mqtt, { type MqttClient } from 'mqtt';
import { startBroker } from '../../sim/broker.ts';
import { coalesceWrites, noDelay } from '../../lib/mqtt-socket.ts';

const N = 200;

/** Subscribes, takes a burst of N QoS 1 messages and says how many socket writes acknowledged them. */
async function writesForBurst(
  url: string,
  wrap: (c: MqttClient) => MqttClient,
  ackLate = false,
): Promise<{ writes: number; got: number }> {
  const sub = wrap(noDelay(mqtt.connect(url, { clientId: `sub-${Math.random()}`, clean: true })));
  // As the ledger link does: a message is acknowledged once the consumer has room, which every
  // 20 messages takes a moment (a commit), so most PUBACKs go out in a later turn than their read.
  let handled = 0;
  if (ackLate) sub.handleMessage = (_p, done) => (handled++ % 20 === 0 ? setTimeout(done, 2) : done());
  const connected = new Promise<void>((r) => sub.once('connect', () => r()));
  const pub = await mqtt.connectAsync(url, { clientId: `pub-${Math.random()}` });
  try {
    await connected;
    await sub.subscribeAsync('burst/#', { qos: 1 });
    // Counted at the socket's own write entry points, below every cork.
    const s = sub.stream as unknown as { _writev?: (...a: unknown[]) => unknown; _write: (...a: unknown[]) => unknown };
    let writes = 0;
    for (const k of ['_write', '_writev'] as const) {
      const f = s[k];
      if (f)
        s[k] = function (this: unknown, ...a: unknown[]) {
          writes++;
          return f.apply(this, a);
        };
    }
    let got = 0;
    const all = new Promise<void>((r) =>
      sub.on('message', () => {
        if (++got === N) r();
      }),
    );
    await Promise.all(Array.from({ length: N }, (_, i) => pub.publishAsync(`burst/${i}`, 'x', { qos: 1 })));
    await all;
    // The last PUBACKs go out when the loop turns.
    await new Promise((r) => setImmediate(r));
    await new Promise((r) => setTimeout(r, 50));
    return { writes, got };
  } finally {
    await pub.endAsync();
    await sub.endAsync();
  }
}

test('a burst of QoS 1 messages is acknowledged in far fewer socket writes than messages', async (t) => {
  const broker = await startBroker({ port: 0 });
  t.teardown(() => broker.close());
  const plain = await writesForBurst(broker.url, (c) => c);
  const coalesced = await writesForBurst(broker.url, coalesceWrites);
  t.is(plain.got, N);
  t.is(coalesced.got, N);
  t.log(`socket writes for ${N} PUBACKs: ${plain.writes} per packet, ${coalesced.writes} coalesced`);
  // mqtt.js alone writes each PUBACK by itself; the broker's burst arrives in far fewer reads.
  t.true(plain.writes >= N, `mqtt.js alone: ${plain.writes}`);
  t.true(coalesced.writes <= N / 4, `coalesced: ${coalesced.writes}`);
});

test('PUBACKs written after a later commit, not in their read, are coalesced too', async (t) => {
  const broker = await startBroker({ port: 0 });
  t.teardown(() => broker.close());
  const plain = await writesForBurst(broker.url, (c) => c, true);
  const coalesced = await writesForBurst(broker.url, coalesceWrites, true);
  t.is(plain.got, N);
  t.is(coalesced.got, N);
  t.log(`socket writes for ${N} PUBACKs acknowledged late: ${plain.writes} per packet, ${coalesced.writes} coalesced`);
  t.true(plain.writes >= N * 0.9, `mqtt.js alone: ${plain.writes}`);
  // One write per release of the consumer (every 20 messages), a few more for the reads.
  t.true(coalesced.writes <= N / 8, `coalesced: ${coalesced.writes}`);
});
