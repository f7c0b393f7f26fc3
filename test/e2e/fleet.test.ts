// `klubkort fleet` (issue 27, item 3) on mosquitto run from the example config and ACL with
// certificates from make-ca.sh: a real terminal (kasse-1) publishing its status, kasse-2 an older
// version with an old queue, kasse-9 of another club offline. The fleet lists them, --check finds
// what a monitoring system must hear of, and `fleet update` announces a release with the release
// tool's certificate, which only it may do.
import test from 'ava';
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';
import { topics, type StatusMsg } from '../../contract/index.ts';
import { parseConfig } from '../../firmware/config/load.ts';
import { createLogger } from '../../firmware/log.ts';
import { Terminal } from '../../firmware/terminal/terminal.ts';
import { FIRMWARE_VERSION } from '../../firmware/version.ts';
import { createSimHardware } from '../../hal/sim/index.ts';
import { logSink } from '../helpers/log-sink.ts';
import { Identity, makePki, startTlsBroker, type TlsBroker } from '../helpers/tls-broker.ts';
import { until } from '../helpers/until.ts';

const BIN = join(process.cwd(), 'bin/klubkort.js');
const CLUB = 'demo-klub';
const OTHER = 'other-klub';
let b: TlsBroker;
let terminal: Terminal | null = null;
let observer: MqttClient;
const retained = new Map<string, string>();
const twoHoursAgo = new Date(Date.now() - 2 * 3600_000).toISOString();

/** The CLI with the certificate of make-ca.sh's `who` (fleet, release) or a terminal's. */
function fleet(who: string, ...args: string[]) {
  const [dir, ca] = who === 'fleet' || who === 'release' ? [join(b.pki, 'ca'), 'ca.crt'] : [join(b.pki, who), 'ca.pem'];
  const tls = [
    '--broker',
    b.tlsUrl,
    '--ca',
    join(dir, ca),
    '--cert',
    join(dir, `${who}.crt`),
    '--key',
    join(dir, `${who}.key`),
  ];
  const [sub, rest] = args[0] === 'update' ? [['update'], args.slice(1)] : [[], args];
  return spawnSync(process.execPath, [BIN, 'fleet', ...sub, ...tls, ...rest], { encoding: 'utf8' });
}

test.before(async () => {
  b = await startTlsBroker(
    makePki([
      ['kasse-1', CLUB],
      ['kasse-2', CLUB],
      ['kasse-9', OTHER],
    ]),
  );
  // Watches everything on the test-only plain listener (the ACL binds only the TLS ones).
  observer = await mqtt.connectAsync(b.plainUrl, { protocolVersion: 4 });
  observer.on('message', (topic, payload) => retained.set(topic, payload.toString()));
  await observer.subscribeAsync('klubkort/v1/terminals/#', { qos: 1 });

  const id = 'kasse-1';
  const log = createLogger({ level: 'info', destination: logSink(id) });
  const config = parseConfig({
    terminalId: id,
    clubId: CLUB,
    dataDir: join(b.pki, 'data', id),
    hardware: 'sim',
    headless: true,
    broker: {
      url: b.tlsUrl,
      caFile: join(b.pki, id, 'ca.pem'),
      certFile: join(b.pki, id, `${id}.crt`),
      keyFile: join(b.pki, id, `${id}.key`),
    },
  });
  terminal = await Terminal.start({
    config,
    hardware: createSimHardware({ brokerUrl: b.plainUrl, terminalId: id, log }),
    log,
  });

  // kasse-2 runs an older version and has had a sale unanswered for two hours; kasse-9 is offline.
  const k2 = await Identity.connect(b, 'kasse-2');
  const s2: StatusMsg = {
    state: 'online',
    version: '0.0.1',
    since: twoHoursAgo,
    queue: 3,
    contract: '1.1',
    club: CLUB,
    reader: 'unplugged',
    queueOldest: twoHoursAgo,
  };
  await k2.publish(topics.status('kasse-2'), JSON.stringify(s2), true);
  await k2.close();
  const k9 = await Identity.connect(b, 'kasse-9');
  await k9.publish(
    topics.status('kasse-9'),
    JSON.stringify({ state: 'offline', version: FIRMWARE_VERSION, club: OTHER, starts: 4 }),
    true,
  );
  await k9.close();
  await until(() => {
    const s = retained.get(topics.status('kasse-1'));
    return (
      s &&
      JSON.parse(s).reader === 'ready' &&
      retained.has(topics.status('kasse-2')) &&
      retained.has(topics.status('kasse-9'))
    );
  }, 'the three statuses retained');
});

test.after.always(async () => {
  await terminal?.stop();
  await observer?.endAsync(true);
  await b?.broker.close();
});

test.serial(
  "the fleet lists every terminal from the retained statuses, the real terminal's with its club, reader and queue",
  (t) => {
    const r = fleet('fleet', '--json');
    t.is(r.status, 0, r.stderr);
    const rows = JSON.parse(r.stdout) as Record<string, unknown>[];
    t.deepEqual(
      rows.map((x) => x.terminal),
      ['kasse-1', 'kasse-2', 'kasse-9'],
    );
    t.like(rows[0], {
      club: CLUB,
      state: 'online',
      version: FIRMWARE_VERSION,
      queue: 0,
      queueOldest: null,
      reader: 'ready',
      update: null,
    });
    t.like(rows[1], {
      club: CLUB,
      state: 'online',
      version: '0.0.1',
      queue: 3,
      queueOldest: twoHoursAgo,
      reader: 'unplugged',
    });
    t.like(rows[2], { club: OTHER, state: 'offline', version: FIRMWARE_VERSION, queue: null, offlineSince: null });

    const table = fleet('fleet');
    t.is(table.status, 0);
    const lines = table.stdout.trimEnd().split('\n');
    t.regex(lines[0]!, /^TERMINAL\s+CLUB\s+STATE\s+VERSION\s+SINCE\s+QUEUE\s+OLDEST\s+READER\s+UPDATE$/);
    t.regex(lines[2]!, /^kasse-2\s+demo-klub\s+online\s+0\.0\.1\s+2 h\s+3\s+2 h\s+unplugged\s+-$/);
    t.regex(lines[3]!, /^kasse-9\s+other-klub\s+offline\s+\S+\s+-\s+-\s+-\s+-\s+-$/);
  },
);

test.serial(
  '--check: an old queue, a version behind and a terminal offline too long make a monitoring system hear of it',
  (t) => {
    const state = join(b.pki, 'fleet-state.json');
    const first = fleet('fleet', '--check', '--state', state, '--queue-minutes', '60', '--offline-minutes', '30');
    t.is(first.status, 1, first.stderr);
    t.regex(first.stdout, /^PROBLEM kasse-2: 3 unanswered, the oldest for 1[12]\d min \(limit 60\)$/m);
    t.regex(
      first.stdout,
      new RegExp(`^PROBLEM kasse-2: runs 0\\.0\\.1, behind ${FIRMWARE_VERSION.replace(/\./g, '\\.')}$`, 'm'),
    );
    t.notRegex(first.stdout, /^PROBLEM kasse-[19]:/m, 'kasse-9 was first seen offline just now');
    // The state remembers since when kasse-9 is offline; 45 minutes later it is over the limit.
    const seen = JSON.parse(readFileSync(state, 'utf8')) as Record<string, string>;
    t.deepEqual(Object.keys(seen), ['kasse-9']);
    writeFileSync(
      state,
      JSON.stringify({ 'kasse-9': new Date(Date.parse(seen['kasse-9']!) - 45 * 60_000).toISOString() }),
    );
    const later = fleet('fleet', '--check', '--state', state, '--queue-minutes', '180', '--version', '0.0.1', '--json');
    t.is(later.status, 1);
    t.deepEqual((JSON.parse(later.stdout) as { problems: unknown[] }).problems, [
      { terminal: 'kasse-9', problem: 'offline for 45 min (limit 30)' },
    ]);
    // Without a state an offline terminal's time is unknown: it counts.
    const unknown = fleet('fleet', '--check', '--queue-minutes', '180', '--version', '0.0.1');
    t.regex(unknown.stdout, /^PROBLEM kasse-9: offline \(for how long is unknown/m);
    const fine = fleet(
      'fleet',
      '--check',
      '--state',
      state,
      '--queue-minutes',
      '180',
      '--version',
      '0.0.1',
      '--offline-minutes',
      '600',
    );
    t.is(fine.status, 0, fine.stdout);
    t.regex(fine.stdout, /^OK: 3 terminals$/m);
  },
);

test.serial(
  "fleet update announces a release with the release tool's certificate; the terminal may read only its own, and nobody else may announce",
  async (t) => {
    const sha = 'a'.repeat(64);
    const announcement = {
      version: '0.2.0',
      url: 'https://releases.example/klubkort-0.2.0-linux-arm64.tar.gz',
      sha256: sha,
      size: 12345678,
    };
    const args = ['--version', '0.2.0', '--url', announcement.url, '--sha256', sha, '--size', '12345678'];
    const r = fleet('release', 'update', '--terminal', 'kasse-2', ...args);
    t.is(r.status, 0, r.stderr);
    t.is(r.stdout, 'announced 0.2.0 to kasse-2\n');
    await until(() => retained.get(topics.update('kasse-2')), 'the announcement retained');
    t.deepEqual(JSON.parse(retained.get(topics.update('kasse-2'))!), announcement);

    // A club: the terminals whose status names it.
    const club = fleet('release', 'update', '--club', OTHER, ...args);
    t.is(club.stdout, 'announced 0.2.0 to kasse-9\n');
    await until(() => retained.get(topics.update('kasse-9')), "the club's announcement");

    // kasse-2 reads its own announcement, not kasse-9's; the fleet view and a terminal cannot announce.
    const k2 = await Identity.connect(b, 'kasse-2');
    t.teardown(() => k2.close());
    await k2.subscribe(topics.update('kasse-2'), topics.update('kasse-9'));
    await until(() => k2.received(topics.update('kasse-2')).length === 1, 'kasse-2 reads its update');
    t.is(
      fleet('fleet', 'update', '--terminal', 'kasse-1', ...args).status,
      0,
      'MQTT 3.1.1 cannot tell a publisher it was refused',
    );
    await k2.publish(topics.update('kasse-1'), JSON.stringify(announcement), true);
    t.is(
      fleet('release', 'update', '--terminal', 'kasse-2', '--clear').stdout,
      'withdrew the announcement of kasse-2\n',
    );
    await until(() => retained.get(topics.update('kasse-2')) === '', 'the withdrawal');
    t.deepEqual(k2.received(topics.update('kasse-9')), [], "another terminal's announcement is not delivered");
    t.false(retained.has(topics.update('kasse-1')), 'neither the fleet view nor a terminal announced anything');

    // Bad usage says so and publishes nothing.
    const none = fleet('release', 'update', ...args);
    t.is(none.status, 64);
    t.regex(none.stderr, /say which terminals/);
    const http = fleet(
      'release',
      'update',
      '--terminal',
      'kasse-2',
      '--version',
      '0.2.0',
      '--url',
      'http://x/y.tar.gz',
      '--sha256',
      sha,
      '--size',
      '1',
    );
    t.is(http.status, 64);
    t.regex(http.stderr, /url: an https URL/);
  },
);

test.serial(
  'a card reader unplugged at the terminal shows in its status and in the fleet, and plugged back',
  async (t) => {
    const readerOf = () => JSON.parse(retained.get(topics.status('kasse-1')) ?? '{}').reader;
    await observer.publishAsync(topics.simReader('kasse-1'), JSON.stringify({ action: 'unplug' }), { qos: 1 });
    await until(() => readerOf() === 'unplugged', 'the status says unplugged');
    t.like((JSON.parse(fleet('fleet', '--json').stdout) as Record<string, unknown>[])[0], {
      terminal: 'kasse-1',
      reader: 'unplugged',
    });
    await observer.publishAsync(topics.simReader('kasse-1'), JSON.stringify({ action: 'plug' }), { qos: 1 });
    await until(() => readerOf() === 'ready', 'the status says ready again');
    t.pass();
  },
);

test.serial(
  'a terminal that stops says offline with its club and version, and the fleet still lists it so',
  async (t) => {
    await terminal!.stop();
    terminal = null;
    await until(
      () => JSON.parse(retained.get(topics.status('kasse-1')) ?? '{}').state === 'offline',
      'kasse-1 offline',
    );
    t.like(JSON.parse(retained.get(topics.status('kasse-1'))!), {
      state: 'offline',
      club: CLUB,
      version: FIRMWARE_VERSION,
    });
    const rows = JSON.parse(fleet('fleet', '--json').stdout) as Record<string, unknown>[];
    t.like(rows[0], { terminal: 'kasse-1', club: CLUB, state: 'offline', version: FIRMWARE_VERSION });
  },
);
