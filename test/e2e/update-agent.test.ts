// The terminal's update agent end to end (issue 27, item 3): a real release bundle of this checkout,
// served over HTTPS on 127.0.0.1 by a certificate of a test CA (make-ca.sh) that the terminal trusts
// as its broker's CA, announced retained at a real broker; the terminal (simulated devices, the
// reference ledger) downloads it, verifies it and hands it to the root side (request.json in its
// data dir), which `klubkort update --request` then installs into a temp root as
// klubkort-update.service would.
import test, { type ExecutionContext } from 'ava';
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  readlinkSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { once } from 'node:events';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { topics, type StatusMsg } from '../../contract/index.ts';
import { loadTrustedKeys } from '../../firmware/release/signing.ts';
import type { ReleaseFacts } from '../../firmware/terminal/terminal.ts';
import { REQUEST_NAME, RESULT_NAME, spoolDir } from '../../firmware/update/spool.ts';
import { demoChildren, DEMO_CLUB_ID } from '../../sim/demo-club.ts';
import { DaemonProcess } from '../helpers/daemon-process.ts';
import { world, type World } from '../helpers/fixture.ts';
import { SimClient } from '../helpers/sim-client.ts';
import {
  buildTestBundle,
  readBundle,
  remake,
  terminalRoot,
  testKey,
  writeBundle,
  type TestKey,
} from '../helpers/release-bundle.ts';
import { sh } from '../helpers/tls-broker.ts';
import { announcement, serveBundles, type BundleServer } from '../helpers/bundle-server.ts';
import { until } from '../helpers/until.ts';

const BIN = join(process.cwd(), 'bin/klubkort.js');
const RUNNING = '0.1.0-e2e.a';
const NEXT = '0.2.0-e2e.b';
const base = mkdtempSync(join(tmpdir(), 'klubkort-agent-e2e-'));
let key: TestKey;
let good: string;
let forged: string;
let pki: string;

test.before(async () => {
  key = testKey(join(base, 'key'));
  const out = join(base, 'bundles');
  const built = (await buildTestBundle(out, key, NEXT)).file;
  // Served under the name `npm run release` gives it (the agent reads the architecture from it).
  good = join(out, `klubkort-${NEXT}-linux-${process.arch}.tar.gz`);
  if (built !== good) symlinkSync(built, good);
  // Forged: a file of the bundle changed, its hash in the manifest brought along, the old signature kept.
  forged = writeBundle(
    join(out, `klubkort-0.2.1-e2e.f-linux-${process.arch}.tar.gz`),
    remake(await readBundle(good), {
      key,
      sign: false,
      manifest: (m) => ({ ...m, version: '0.2.1-e2e.f' }),
      files: (fs) =>
        fs.map((f) =>
          f.path === 'dist/main.js' ? { ...f, data: Buffer.concat([Buffer.from('/* forged */\n'), f.data]) } : f,
        ),
    }),
  );
  pki = join(base, 'pki');
  sh('make-ca.sh', pki, '127.0.0.1');
});

test.after.always(() => rmSync(base, { recursive: true, force: true }));

const sha256 = (file: string) => createHash('sha256').update(readFileSync(file)).digest('hex');

/** The terminal as the daemon makes it: running release RUNNING, trusting the test's release key, the broker's CA = the test CA. */
async function terminal(t: ExecutionContext, w: World, cfg: Record<string, unknown> = {}) {
  const release: ReleaseFacts = {
    running: RUNNING,
    rolledBack: () => [],
    trusted: () => loadTrustedKeys(key.pubDir).keys,
  };
  const started = await w.startTerminal(
    'kasse-1',
    { broker: { url: w.broker.url, reconnectMaxSeconds: 2, caFile: join(pki, 'ca.crt') }, ...cfg },
    { release },
  );
  t.teardown(() => started.stop());
  return started;
}

/** A client of the broker: announces (retained) and records every status of the terminal. */
async function fleet(t: ExecutionContext, w: World) {
  const c = await mqtt.connectAsync(w.broker.url, { clientId: `fleet-${process.pid}` });
  t.teardown(() => c.endAsync());
  const statuses: StatusMsg[] = [];
  c.on('message', (_topic, p) => {
    if (p.length) statuses.push(JSON.parse(p.toString()) as StatusMsg);
  });
  await c.subscribeAsync(topics.status('kasse-1'), { qos: 1 });
  return {
    statuses,
    states: () => statuses.flatMap((s) => (s.state === 'online' && s.update ? [s.update.state] : [])),
    last: () => {
      const s = statuses.at(-1);
      return s?.state === 'online' ? (s.update ?? null) : null;
    },
    announce: (file: string, server: BundleServer) =>
      c.publishAsync(topics.update('kasse-1'), JSON.stringify(announcement(file, server.url(file))), {
        qos: 1,
        retain: true,
      }),
  };
}

test.serial(
  'a download cut halfway is resumed with a Range request; the bundle verifies, is handed over, and the root side installs it',
  async (t) => {
    t.timeout(180_000);
    const w = await world(t);
    const size = readFileSync(good).length;
    const server = await serveBundles(t, { base, pki, files: [good], cut: Math.floor(size / 2) });
    await terminal(t, w);
    const f = await fleet(t, w);
    await f.announce(good, server);
    const spool = spoolDir(join(w.dir, 'kasse-1'));
    await until(() => existsSync(join(spool, REQUEST_NAME)), 'the hand-over', 120_000);

    const reqs = server.requests();
    t.log(
      reqs.map((r) => `${r.status} ${r.range ?? 'whole'}${r.cutAt ? ` (cut after ${r.cutAt} bytes)` : ''}`).join('; '),
    );
    t.like(reqs[0], { status: 200, range: null, cutAt: Math.floor(size / 2) }, 'the first answer was cut halfway');
    const resumed = reqs.find((r) => r.status === 206);
    t.truthy(resumed, 'the download was resumed');
    t.true(resumed!.from! > 0 && resumed!.from! <= Math.floor(size / 2), `resumed at byte ${resumed!.from}`);
    t.is(resumed!.range, `bytes=${resumed!.from}-`);
    t.false(
      reqs.some((r) => r.status === 200 && r !== reqs[0]),
      'never fetched whole again',
    );
    t.is(sha256(join(spool, `${NEXT}.tar.gz`)), sha256(good), 'the file put together is the bundle');
    t.deepEqual(JSON.parse(readFileSync(join(spool, REQUEST_NAME), 'utf8')), {
      version: NEXT,
      bundle: `${NEXT}.tar.gz`,
    });
    await until(() => f.last()?.state === 'staged', 'the status says staged', 10_000);
    t.deepEqual(
      [...new Set(f.states())],
      ['downloading', 'verified', 'staged'],
      'each stage reported in the retained status',
    );
    t.like(f.statuses.at(-1), { contract: '1.2' });

    // The root side, as klubkort-update.service runs it (here into a temp root).
    const root = terminalRoot(base, key);
    const r = spawnSync(process.execPath, [BIN, 'update', '--request', join(spool, REQUEST_NAME), '--root', root], {
      encoding: 'utf8',
    });
    t.is(r.status, 0, r.stderr);
    t.is(readlinkSync(join(root, 'opt/klubkort/current')), `releases/${NEXT}`);
    t.false(existsSync(join(spool, REQUEST_NAME)), 'the request is done');
    t.like(JSON.parse(readFileSync(join(spool, RESULT_NAME), 'utf8')), { version: NEXT, state: 'staged', error: null });
  },
);

test.serial(
  'an announcement arriving while a sale is open installs nothing until the sale is answered and the basket is empty',
  async (t) => {
    t.timeout(180_000);
    const w = await world(t);
    const server = await serveBundles(t, { base, pki, files: [good] });
    // The result screen stays until a key: the test looks at it while it is there.
    const { terminal: term, sim } = await terminal(t, w, { sale: { resultScreenMs: 60_000 } });
    const f = await fleet(t, w);
    const spool = spoolDir(join(w.dir, 'kasse-1'));
    await sim.waitScreen('idle', (s) => s.online && (s.view.catalog?.items.length ?? 0) > 0);
    await until(async () => (await term.journal.cards.count()) === demoChildren().length, 'cards synced');
    const child = demoChildren()
      .map((d) => w.ledger.card(DEMO_CLUB_ID, d.uid))
      .find((c) => c && c.status === 'active' && c.balance >= 5000)!;
    await sim.keys('1', '2');
    await sim.waitScreen('basket');
    await sim.key('enter');
    await sim.waitScreen('tap');
    await sim.tap(child.cardUid);
    await sim.waitScreen('confirm');

    await f.announce(good, server);
    await until(() => f.last()?.state === 'verified', 'downloaded and verified while the sale is open', 120_000);
    t.false(existsSync(join(spool, REQUEST_NAME)), 'nothing handed over while the confirm screen is open');
    await sim.key('enter');
    const result = await sim.waitScreen('result');
    t.is(result.result!.status, 'approved');
    const txId = result.result!.txId!;
    t.false(existsSync(join(spool, REQUEST_NAME)), 'nothing handed over while the result is shown');
    t.is(term.updates!.state.s, 'verified');
    await sim.key('escape');
    await sim.waitScreen('idle');
    await until(() => existsSync(join(spool, REQUEST_NAME)), 'handed over once the till is idle', 30_000);
    t.is((await term.journal.sales.queue()).length, 0, 'the sale was answered by the ledger before');
    t.is(w.ledger.bookings(txId), 1, 'booked once');
  },
);

test.serial(
  'a forged bundle (its signature does not match) is refused and reported, deleted, never handed over, and not fetched again',
  async (t) => {
    t.timeout(180_000);
    const w = await world(t);
    const server = await serveBundles(t, { base, pki, files: [forged] });
    const started = await terminal(t, w);
    const f = await fleet(t, w);
    const spool = spoolDir(join(w.dir, 'kasse-1'));
    await f.announce(forged, server);
    await until(() => f.last()?.state === 'failed', 'the refusal reported', 120_000);
    const report = f.last()!;
    t.like(report, { version: '0.2.1-e2e.f', state: 'failed' });
    t.regex(
      report.error!,
      /^refused \(signature\): the signature of release key [0-9a-f]{16} does not match the manifest/,
    );
    t.false(existsSync(join(spool, REQUEST_NAME)), 'never handed over');
    t.deepEqual(
      readdirSync(spool).filter((n) => n.includes('.tar.gz')),
      [],
      'the forged bytes are deleted',
    );
    const fetched = server.requests().length;
    t.is(fetched, 1);
    // A reconnect brings the retained announcement again, a restart the same: not fetched again.
    started.terminal.link.reconnect();
    await started.stop();
    const again = await terminal(t, w);
    await until(
      () => again.terminal.updates!.state.s === 'failed',
      'the restarted agent remembers the refusal',
      30_000,
    );
    t.is(server.requests().length, fetched);
    t.false(existsSync(join(spool, REQUEST_NAME)));
  },
);

test.serial(
  "the root side trusts no link in the daemon's spool: a spool that is a link elsewhere is refused, nothing written there",
  (t) => {
    const elsewhere = mkdtempSync(join(base, 'elsewhere-'));
    const data = mkdtempSync(join(base, 'data-'));
    symlinkSync(elsewhere, join(data, 'update'));
    writeFileSync(join(elsewhere, REQUEST_NAME), JSON.stringify({ version: NEXT, bundle: `${NEXT}.tar.gz` }));
    const root = terminalRoot(base, key);
    const r = spawnSync(
      process.execPath,
      [BIN, 'update', '--request', join(data, 'update', REQUEST_NAME), '--root', root],
      { encoding: 'utf8' },
    );
    t.is(r.status, 65);
    t.regex(r.stderr, /update is not a directory \(a link\?\): not used/);
    t.deepEqual(readdirSync(elsewhere), [REQUEST_NAME], 'no result written, nothing removed through the link');
    t.false(existsSync(join(root, 'opt/klubkort/current')));
  },
);

test.serial(
  'an announcement of a version this terminal rolled back from is left alone; one that breaks the contract changes nothing (one log line)',
  async (t) => {
    t.timeout(120_000);
    const w = await world(t);
    const server = await serveBundles(t, { base, pki, files: [good] });
    const release: ReleaseFacts = {
      running: RUNNING,
      rolledBack: () => [NEXT],
      trusted: () => loadTrustedKeys(key.pubDir).keys,
    };
    const started = await w.startTerminal(
      'kasse-1',
      { broker: { url: w.broker.url, reconnectMaxSeconds: 2, caFile: join(pki, 'ca.crt') } },
      { release },
    );
    t.teardown(() => started.stop());
    const f = await fleet(t, w);
    const link = started.terminal.link;
    await until(() => link.connected, 'connected', 30_000);
    await f.announce(good, server);
    // The same topic keeps its order: once this one is rejected, the one before was handled.
    const c = await mqtt.connectAsync(w.broker.url, { clientId: `release-${process.pid}` });
    t.teardown(() => c.endAsync());
    await c.publishAsync(
      topics.update('kasse-1'),
      JSON.stringify({
        version: NEXT,
        url: server.url(good).replace('https:', 'http:'),
        sha256: sha256(good),
        size: 1,
      }),
      { qos: 1, retain: true },
    );
    await until(() => link.counters.rejectedBy.update === 1, 'the malformed announcement rejected', 30_000);
    t.is(started.terminal.updates!.state.s, 'none');
    t.is(started.terminal.updates!.report(), null);
    t.deepEqual(server.requests(), [], 'the rolled-back version is not fetched');
    t.false(existsSync(join(spoolDir(join(w.dir, 'kasse-1')), REQUEST_NAME)));
  },
);

test.serial(
  'the root side restarts the daemon only once its till is idle: a sale opened while the bundle was being installed is not cut',
  async (t) => {
    t.timeout(180_000);
    const w = await world(t);
    const dataDir = join(w.dir, 'kasse-2');
    const daemon = DaemonProcess.spawn({
      brokerUrl: w.broker.url,
      terminalId: 'kasse-2',
      clubId: DEMO_CLUB_ID,
      dataDir,
    });
    t.teardown(() => daemon.kill());
    const sim = await SimClient.connect(w.broker.url, 'kasse-2');
    t.teardown(() => sim.close());
    await sim.waitScreen('idle', (s) => (s.view.catalog?.items.length ?? 0) > 0, 60_000);
    // What the agent handed over while the till was idle.
    const spool = spoolDir(dataDir);
    mkdirSync(spool, { recursive: true });
    copyFileSync(good, join(spool, `${NEXT}.tar.gz`));
    writeFileSync(join(spool, REQUEST_NAME), JSON.stringify({ version: NEXT, bundle: `${NEXT}.tar.gz` }));
    // Then a cashier starts a sale.
    await sim.key('1');
    await sim.waitScreen('basket');
    // systemd's systemctl is not on this machine: one that only notes what it was asked.
    const bin = mkdtempSync(join(base, 'bin-'));
    writeFileSync(join(bin, 'systemctl'), `#!/bin/sh\necho "$@" >> ${join(bin, 'calls')}\n`, { mode: 0o755 });
    const root = terminalRoot(base, key);
    const updater = spawn(
      process.execPath,
      [BIN, 'update', '--request', join(spool, REQUEST_NAME), '--root', root, '--restart', 'klubkort.service'],
      { env: { ...process.env, PATH: `${bin}:${process.env.PATH}` }, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stderr = '';
    updater.stderr!.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    const exited = once(updater, 'exit');
    await until(
      () => stderr.includes('a sale is open at the till: the restart waits until it is idle'),
      'the updater waiting for the till',
      120_000,
    );
    t.is(readlinkSync(join(root, 'opt/klubkort/current')), `releases/${NEXT}`, 'installed already');
    t.false(existsSync(join(bin, 'calls')), 'not restarted while the basket is open');
    await sim.key('escape');
    await sim.waitScreen('idle');
    const [code] = (await exited) as [number];
    t.is(code, 0, stderr);
    t.is(
      readFileSync(join(bin, 'calls'), 'utf8'),
      '--no-block restart klubkort.service\n',
      'restarted once the till was idle',
    );
  },
);
