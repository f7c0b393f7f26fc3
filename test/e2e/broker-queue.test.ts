// The queue limits of systemd/mosquitto/klubkort.conf, for real: a club's whole retained set (10,000
// cards and 1,000 photos of ~30 KB, QoS 1) must reach a fresh terminal that subscribes to its club.
// mosquitto queues every retained message of a SUBSCRIBE for that client at once and drops, without
// a word to the client, what is past max_inflight_messages + max_queued_messages. The control runs
// the same config without its max_queued_messages line (mosquitto's default, 1000) and shows the loss.
import test from 'ava';
import { createHash } from 'node:crypto';
import { readFileSync, rmSync } from 'node:fs';
import { Identity, makePki, startTlsBroker, type TlsBroker } from '../helpers/tls-broker.ts';
import { until } from '../helpers/until.ts';
import { parseClubTopic, topics } from '../../contract/index.ts';

const CLUB = 'queue-klub';
const TERMINAL = 'kasse-q';
const CARDS = 10_000;
const PHOTOS = 1_000;
// The broker names a terminal's connection after its certificate's CN (use_username_as_clientid).
const DROP_NOTICE = `Outgoing messages are being dropped for client ${TERMINAL}.`;

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const uid = (i: number) => i.toString(16).toUpperCase().padStart(8, '0');
// ~30 KB each, all different (a photo's topic is its SHA-256).
const photos = Array.from({ length: PHOTOS }, (_, i) => {
  const bytes = Buffer.alloc(30_000, i % 251);
  bytes.writeUInt32BE(i);
  return { sha: sha(bytes), bytes };
});
const card = (i: number) =>
  JSON.stringify({
    cardUid: uid(i),
    holderId: `holder-${i}`,
    name: `Barn Nummer ${i} Testesen`,
    photo: photos[i]?.sha ?? null,
    status: 'active',
    balance: 5000 + i,
    version: 1,
    updatedAt: '2026-11-24T10:00:00.000Z',
  });
const clubTopics = [
  ...Array.from({ length: CARDS }, (_, i) => topics.card(CLUB, uid(i))),
  ...photos.map((p) => topics.photo(CLUB, p.sha)),
];

let pki: string;
test.before(() => {
  pki = makePki([[TERMINAL, CLUB]]);
});
test.after.always(() => {
  if (pki) rmSync(pki, { recursive: true, force: true });
});

/** The ledger publishes the whole club retained; then a fresh terminal subscribes as the firmware does. */
async function freshSync(b: TlsBroker): Promise<{ club: Map<string, Buffer>; log: string }> {
  const ledger = await Identity.connect(b, 'ledger');
  const terminal = await Identity.connect(b, TERMINAL);
  try {
    await Promise.all([
      ...Array.from({ length: CARDS }, (_, i) => ledger.publish(topics.card(CLUB, uid(i)), card(i), true)),
      ...photos.map((p) => ledger.publish(topics.photo(CLUB, p.sha), p.bytes, true)),
    ]);
    await terminal.subscribe(topics.clubAll(CLUB), topics.results(TERMINAL), topics.config(TERMINAL));
    // One client's queue is delivered in order, so once a marker sent after the SUBSCRIBE arrives,
    // everything queued for it before has arrived. A marker that meets a full queue is dropped like
    // the rest: send another until one gets through.
    for (let n = 0; ; n++) {
      await ledger.publish(topics.results(TERMINAL), `marker-${n}`);
      const arrived = await until(() => terminal.received(topics.results(TERMINAL)).length > 0, 'a marker', 1000).catch(
        () => false,
      );
      if (arrived) break;
      if (n === 29) throw new Error('no marker got through to the terminal');
    }
  } finally {
    await terminal.close();
    await ledger.close();
    await b.broker.stop(); // flushes the log
  }
  const club = new Map(terminal.got.filter((m) => parseClubTopic(m.topic)).map((m) => [m.topic, m.payload]));
  return { club, log: readFileSync(b.logFile, 'utf8') };
}

test('the example config: a fresh terminal gets every retained card and photo of a 10,000-card club', async (t) => {
  const b = await startTlsBroker(pki);
  t.teardown(() => b.broker.close());
  const { club, log } = await freshSync(b);
  const missing = clubTopics.filter((topic) => !club.has(topic));
  t.is(
    missing.length,
    0,
    `${club.size} of ${clubTopics.length} arrived; missing e.g. ${missing.slice(0, 3).join(', ')}`,
  );
  t.true(
    photos.every((p) => club.get(topics.photo(CLUB, p.sha))?.equals(p.bytes)),
    'every photo whole',
  );
  t.false(log.includes(DROP_NOTICE));
});

test("control, mosquitto's default max_queued_messages (1000): the same sync arrives cut off at 20 in flight + 1000 queued", async (t) => {
  const b = await startTlsBroker(pki, { without: ['max_queued_messages'] });
  t.teardown(() => b.broker.close());
  const { club, log } = await freshSync(b);
  t.is(club.size, 20 + 1000, `${club.size} of ${clubTopics.length} arrived`);
  t.true(log.includes(DROP_NOTICE), 'mosquitto only says so in its own log');
});
