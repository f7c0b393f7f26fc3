// The broker ACL and TLS of systemd/mosquitto, for real: a mosquitto run from the example config
// and ACL (temp paths, free port), a test CA and certificates made by make-ca.sh and
// issue-terminal-cert.sh, the reference ledger and a terminal each connecting with their own
// certificate. mosquitto drops a forbidden MQTT 3.1.1 publish silently and does not deliver what a
// client may not read, so each refusal is shown by absence next to a positive control on the same
// connection.
import test from 'ava';
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { copyFileSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { Identity, sh, SYSTEMD } from '../helpers/tls-broker.ts';
import { startTlsLedgerWorld, stopTlsLedgerWorld, type TlsLedgerWorld } from '../helpers/tls-ledger.ts';
import { SimClient } from '../helpers/sim-client.ts';
import { until } from '../helpers/until.ts';
import { logSink } from '../helpers/log-sink.ts';
import { demoChildren, demoClub, DEMO_CLUB_ID } from '../../sim/demo-club.ts';
import { Terminal } from '../../firmware/terminal/terminal.ts';
import { parseConfig } from '../../firmware/config/load.ts';
import { createLogger } from '../../firmware/log.ts';
import { createSimHardware } from '../../hal/sim/index.ts';
import { topics } from '../../contract/index.ts';

const OTHER_CLUB = 'other-klub';

let w: TlsLedgerWorld;

test.before(async () => {
  w = await startTlsLedgerWorld(
    [
      ['kasse-1', DEMO_CLUB_ID],
      ['kasse-2', DEMO_CLUB_ID],
      ['kasse-9', OTHER_CLUB],
    ],
    [
      demoClub(['kasse-1', 'kasse-2']),
      {
        clubId: OTHER_CLUB,
        catalog: { version: 1, items: [{ sku: 'x', name: 'X', price: 100, category: 'c' }] },
        cards: [],
        terminals: ['kasse-9'],
      },
    ],
  );
});

test.after.always(() => stopTlsLedgerWorld(w));

const reversal = (terminalId: string) => ({
  type: 'reversal',
  txId: randomUUID(),
  terminalId,
  createdAt: new Date().toISOString(),
});

test.serial(
  'a terminal with its certificate and the ledger with its own: a sale goes through end to end',
  async (t) => {
    const id = 'kasse-1';
    const log = createLogger({ level: 'debug', destination: logSink(id) });
    const config = parseConfig({
      terminalId: id,
      clubId: DEMO_CLUB_ID,
      dataDir: join(w.dir, 'data', id),
      hardware: 'sim',
      headless: true,
      logLevel: 'debug',
      broker: {
        url: w.tlsUrl,
        caFile: join(w.dir, id, 'ca.pem'),
        certFile: join(w.dir, id, `${id}.crt`),
        keyFile: join(w.dir, id, `${id}.key`),
      },
    });
    const sim = await SimClient.connect(w.plainUrl, id);
    const terminal = await Terminal.start({
      config,
      hardware: createSimHardware({ brokerUrl: w.plainUrl, terminalId: id, log }),
      log,
    });
    t.teardown(async () => {
      await terminal.stop();
      await sim.close();
    });

    await sim.waitScreen('idle', (s) => s.online && (s.view.catalog?.items.length ?? 0) > 0);
    await until(async () => (await terminal.journal.cards.count()) === demoChildren().length, 'cards synced over TLS');
    const child = demoChildren()
      .map((c) => w.ledger.card(DEMO_CLUB_ID, c.uid)!)
      .find((c) => c.status === 'active' && c.balance >= 2000)!;
    const price = sim.screen!.view.catalog!.items[0]!.price;
    await sim.key('1');
    await sim.waitScreen('basket');
    await sim.key('enter');
    await sim.waitScreen('tap');
    await sim.tap(child.cardUid);
    await sim.waitScreen('confirm');
    await sim.key('enter');
    const result = await sim.waitScreen('result', (s) => s.result !== null);
    t.like(result.result, { status: 'approved', balance: child.balance - price });
    t.is(w.ledger.bookings(result.result!.txId!), 1);
    t.is(w.ledger.card(DEMO_CLUB_ID, child.cardUid)!.balance, child.balance - price);
  },
);

test.serial("a terminal cannot publish to another terminal's tx: the ledger never sees it", async (t) => {
  const probe = await Identity.connect(w, 'kasse-2');
  t.teardown(() => probe.close());
  await probe.subscribe(topics.results('kasse-2'));
  const before = w.ledger.counters.accepted;
  const forged = reversal('kasse-1');
  await probe.publish(topics.tx('kasse-1'), JSON.stringify(forged));
  const own = reversal('kasse-2'); // control: its own tx topic, same connection, sent after
  await probe.publish(topics.tx('kasse-2'), JSON.stringify(own));
  await until(
    () => probe.received(topics.results('kasse-2')).some((p) => p.includes(own.txId)),
    'the answer to its own tx',
  );
  t.is(w.ledger.counters.accepted, before + 1, 'only the tx on its own topic reached the ledger');
  t.false(w.ledger.history().some((e) => e.txId === forged.txId));
});

test.serial('a terminal cannot write under clubs/: a retained card record it publishes does not appear', async (t) => {
  const probe = await Identity.connect(w, 'kasse-2');
  const reader = await Identity.connect(w, 'kasse-1'); // a terminal of the same club, which may read clubs/demo-klub/#
  t.teardown(async () => {
    await probe.close();
    await reader.close();
  });
  const uid = 'DEADBEEF';
  const fake = {
    cardUid: uid,
    holderId: 'x',
    name: 'Forged',
    photo: null,
    status: 'active',
    balance: 1_000_000,
    version: 999,
    updatedAt: new Date().toISOString(),
  };
  await probe.publish(topics.card(DEMO_CLUB_ID, uid), JSON.stringify(fake), true);
  await probe.publish(topics.catalog(DEMO_CLUB_ID), JSON.stringify({ version: 999, items: [] }), true);
  await probe.publish(topics.status('kasse-2'), JSON.stringify({ state: 'offline' }), true); // control: allowed, retained
  // Retained messages come in subscription order: once the status is here, a card would have been too.
  await reader.subscribe(topics.card(DEMO_CLUB_ID, uid));
  await reader.subscribe(topics.catalog(DEMO_CLUB_ID));
  const observer = await SimClientObserver.connect(w.plainUrl, topics.status('kasse-2'));
  t.teardown(() => observer.end());
  await until(() => observer.got.length > 0, 'the control: its own retained status');
  await until(() => reader.received(topics.catalog(DEMO_CLUB_ID)).length > 0, 'the club catalog');
  t.deepEqual(reader.received(topics.card(DEMO_CLUB_ID, uid)), []);
  t.false(
    reader.received(topics.catalog(DEMO_CLUB_ID)).some((p) => p.includes('"version":999')),
    'the ledger catalog stands',
  );
});

test.serial("a terminal cannot read another terminal's results, nor another club", async (t) => {
  const probe = await Identity.connect(w, 'kasse-2');
  const other = await Identity.connect(w, 'kasse-1');
  const foreign = await Identity.connect(w, 'kasse-9');
  t.teardown(async () => {
    await probe.close();
    await other.close();
    await foreign.close();
  });
  await probe.subscribe(topics.results('kasse-1'), topics.clubAll(OTHER_CLUB), topics.results('kasse-2'));
  await other.subscribe(topics.results('kasse-1'));
  await foreign.subscribe(topics.catalog(OTHER_CLUB));
  const theirs = reversal('kasse-1');
  await other.publish(topics.tx('kasse-1'), JSON.stringify(theirs));
  await until(
    () => other.received(topics.results('kasse-1')).some((p) => p.includes(theirs.txId)),
    "kasse-1's own answer",
  );
  await until(
    () => foreign.received(topics.catalog(OTHER_CLUB)).length > 0,
    'the other club has a catalog (its own terminal reads it)',
  );
  // The ledger answers in order: once the probe has the answer to its own tx, kasse-1's came first.
  const own = reversal('kasse-2');
  await probe.publish(topics.tx('kasse-2'), JSON.stringify(own));
  await until(
    () => probe.received(topics.results('kasse-2')).some((p) => p.includes(own.txId)),
    'the answer to its own tx',
  );
  t.deepEqual(probe.received(topics.results('kasse-1')), []);
  t.false(probe.got.some((m) => m.topic.includes(`/clubs/${OTHER_CLUB}/`)));
});

test.serial("a terminal reads the ledger's retained status, and cannot write it", async (t) => {
  const probe = await Identity.connect(w, 'kasse-2');
  t.teardown(() => probe.close());
  await probe.publish(topics.ledgerStatus(), JSON.stringify({ state: 'offline' }), true);
  await probe.subscribe(topics.ledgerStatus());
  await until(() => probe.received(topics.ledgerStatus()).length > 0, 'the retained ledger status');
  t.like(JSON.parse(probe.received(topics.ledgerStatus())[0]!), { state: 'online' });
});

/** A plain-listener client that sees everything retained on one topic (the test's own eyes). */
const SimClientObserver = {
  async connect(url: string, topic: string) {
    const client = await mqtt.connectAsync(url, {
      clientId: `observer-${randomUUID().slice(0, 6)}`,
      reconnectPeriod: 0,
    });
    const got: string[] = [];
    client.on('message', (_t, p) => got.push(p.toString()));
    await client.subscribeAsync(topic, { qos: 1 });
    return { got, end: () => client.endAsync() };
  },
};

function provision(args: string[]): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['bin/klubkort.js', 'provision', '--yes', '--skip-selftest', '--hardware', 'sim', ...args],
      { encoding: 'utf8' },
      (err, stdout, stderr) =>
        resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, out: stdout + stderr }),
    );
  });
}

test.serial(
  'provision checks the issued certificate against the broker and copies the files next to the config',
  async (t) => {
    const etc = join(w.dir, 'etc-kasse-1');
    const src = join(w.dir, 'kasse-1');
    const r = await provision([
      '--config',
      join(etc, 'config.json'),
      '--terminal-id',
      'kasse-1',
      '--club-id',
      DEMO_CLUB_ID,
      '--broker',
      w.tlsUrl,
      '--check-url',
      w.checkUrl,
      '--ca',
      join(src, 'ca.pem'),
      '--cert',
      join(src, 'kasse-1.crt'),
      '--key',
      join(src, 'kasse-1.key'),
      '--data-dir',
      join(w.dir, 'data', 'p1'),
    ]);
    t.is(r.code, 0, r.out);
    t.regex(r.out, /connected, club catalog received/);
    t.regex(r.out, /certificate +.*kasse-1\.crt \(CN=kasse-1, valid until \d{4}-\d\d-\d\d\)/);
    const cfg = JSON.parse(readFileSync(join(etc, 'config.json'), 'utf8'));
    t.deepEqual(cfg.broker, {
      url: w.tlsUrl,
      checkUrl: w.checkUrl,
      caFile: join(etc, 'ca.pem'),
      certFile: join(etc, 'kasse-1.crt'),
      keyFile: join(etc, 'kasse-1.key'),
    });
    t.is(statSync(join(etc, 'kasse-1.key')).mode & 0o777, 0o600);
    t.is(readFileSync(join(etc, 'kasse-1.key'), 'utf8'), readFileSync(join(src, 'kasse-1.key'), 'utf8'));
  },
);

test.serial('provision says why a certificate from another CA, or of another club, does not work', async (t) => {
  const stranger = join(w.dir, 'stranger');
  sh('make-ca.sh', join(stranger, 'ca'), '127.0.0.1');
  copyFileSync(join(SYSTEMD, 'mosquitto/klubkort.acl'), join(stranger, 'acl'));
  sh(
    'issue-terminal-cert.sh',
    '--acl',
    join(stranger, 'acl'),
    join(stranger, 'ca'),
    'kasse-1',
    DEMO_CLUB_ID,
    join(stranger, 'out'),
  );
  const base = [
    '--terminal-id',
    'kasse-1',
    '--club-id',
    DEMO_CLUB_ID,
    '--broker',
    w.tlsUrl,
    '--check-url',
    w.checkUrl,
    '--data-dir',
    join(w.dir, 'data', 'p2'),
  ];
  mkdirSync(join(w.dir, 'etc-x'), { recursive: true });

  const wrongCa = await provision([
    '--config',
    join(w.dir, 'etc-x', 'a.json'),
    ...base,
    '--ca',
    join(w.dir, 'kasse-1', 'ca.pem'),
    '--cert',
    join(stranger, 'out', 'kasse-1.crt'),
    '--key',
    join(stranger, 'out', 'kasse-1.key'),
  ]);
  t.is(wrongCa.code, 69, wrongCa.out);
  t.regex(
    wrongCa.out,
    /cannot connect to the broker: .*(client certificate|dropped the connection|closed the connection)/,
  );

  const wrongBrokerCa = await provision([
    '--config',
    join(w.dir, 'etc-x', 'b.json'),
    ...base,
    '--ca',
    join(stranger, 'out', 'ca.pem'),
    '--cert',
    join(w.dir, 'kasse-1', 'kasse-1.crt'),
    '--key',
    join(w.dir, 'kasse-1', 'kasse-1.key'),
  ]);
  t.is(wrongBrokerCa.code, 69, wrongBrokerCa.out);
  t.regex(wrongBrokerCa.out, /the broker's certificate is not signed by the CA file given/);

  const otherClub = await provision([
    '--config',
    join(w.dir, 'etc-x', 'c.json'),
    ...base,
    '--ca',
    join(w.dir, 'kasse-9', 'ca.pem'),
    '--cert',
    join(w.dir, 'kasse-9', 'kasse-9.crt'),
    '--key',
    join(w.dir, 'kasse-9', 'kasse-9.key'),
  ]);
  t.is(otherClub.code, 0, otherClub.out);
  t.regex(otherClub.out, /made out for kasse-9, not kasse-1/);
  t.regex(otherClub.out, /warning: no catalog for club demo-klub arrived/);

  const mismatched = await provision([
    '--config',
    join(w.dir, 'etc-x', 'd.json'),
    ...base,
    '--ca',
    join(w.dir, 'kasse-1', 'ca.pem'),
    '--cert',
    join(w.dir, 'kasse-1', 'kasse-1.crt'),
    '--key',
    join(w.dir, 'kasse-2', 'kasse-2.key'),
  ]);
  t.is(mismatched.code, 65, mismatched.out);
  t.regex(mismatched.out, /--key: .*this key does not belong to the certificate \(kasse-1\)/);
});
