// The automatic update under a real systemd (issue 27, items 3 and 4): a Debian 13 container
// (helpers/terminal-container.ts) with release A installed by `install.sh --bundle`, its broker
// (mosquitto) and a bundle server (HTTPS, a certificate of the test CA the terminal trusts as its
// broker's CA) on the container's own loopback. The whole path: the release announced (retained)
// → the daemon downloads it (the first answer cut halfway: resumed with Range) → verifies it →
// waits for an idle till → request.json → klubkort-update.path → klubkort-update.service (root:
// `klubkort update --request`) → klubkort restarted → READY → committed, each stage in the
// retained status. Then power lost at each step of the switch: the updater (or the daemon, or
// its commit) is paused at a named step (KLUBKORT_TEST_PAUSE_AT, release/test-pause.ts), the whole
// container killed there (SIGKILL of its PID 1: every process in it dies at once), and booted
// again: the till runs a release that works, the update completes, and the sales queued before
// are still queued and forwarded.
// What a kill of the container does not show: the page cache of the host survives it, so data not
// yet flushed is not lost as on a real power cut; the code flushes (fsync, syncfs) where it must.
import test from 'ava';
import { createHash } from 'node:crypto';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Journal } from '../../firmware/journal/journal.ts';
import { PAUSE_ENV, PAUSE_STEPS, type PauseStep } from '../../firmware/release/test-pause.ts';
import { asRelease, buildTestBundle, readBundle, testKey, writeBundle } from '../helpers/release-bundle.ts';
import {
  CONFIG,
  configure,
  dropIn,
  layOut,
  queueOfflineSales,
  terminalRoot,
  unitView,
  watchTopics,
} from '../helpers/terminal-container.ts';
import type { Container } from '../helpers/nspawn.ts';
import { sh } from '../helpers/tls-broker.ts';
import { until } from '../helpers/until.ts';

const A = '0.1.0-agent.a';
const PORT = 8443; // in the container's own network namespace: nothing else listens there
/** Which unit's process reaches each step (its drop-in sets the pause). */
const UNIT_OF: Record<PauseStep, string> = {
  'after-unpack': 'klubkort-update.service',
  'after-previous': 'klubkort-update.service',
  'after-current': 'klubkort-update.service',
  'before-ready': 'klubkort.service',
  'before-commit': 'klubkort-commit.service', // the commit runs in its own unit (it must not take tty1)
};

test('announcement → download (cut halfway, resumed) → path unit → update → READY → commit; then power lost at each step of the switch: the till runs a working release, the update completes, no queued sale lost', async (t) => {
  t.timeout(30 * 60_000);
  const started = performance.now();
  const secs = () => ((performance.now() - started) / 1000).toFixed(1);
  const stamp = (what: string) => t.log(`${what}: ${secs()} s`);
  const out = mkdtempSync('/var/tmp/klubkort-agent-bundles-');
  t.teardown(() => rmSync(out, { recursive: true, force: true }));
  const key = testKey(join(out, 'key'));
  const a = (await buildTestBundle(out, key, A)).file;
  const entries = await readBundle(a);
  /** A's files as release `version` (its package.json says so too), signed by the test's key. */
  const bundleOf = (version: string) =>
    writeBundle(join(out, `klubkort-${version}-linux-${process.arch}.tar.gz`), asRelease(entries, { key, version }));
  const versions = ['0.1.1-agent.b', ...PAUSE_STEPS.map((_, i) => `0.1.${i + 2}-agent.p`)];
  const bundles = new Map(versions.map((v) => [v, bundleOf(v)]));
  stamp('bundles built');
  const pki = join(out, 'pki');
  sh('make-ca.sh', pki, '127.0.0.1');

  const r = await terminalRoot(t, stamp);
  mkdirSync(join(r.root, 'etc/klubkort/release-keys'), { recursive: true });
  copyFileSync(join(key.pubDir, `${key.keyId}.pub`), join(r.root, 'etc/klubkort/release-keys', `${key.keyId}.pub`));
  layOut(r.root, ['--bundle', a], (l) => t.log(l));
  configure(r.root, dropIn(4, 'TimeoutStartSec=90\n'));
  writeFileSync(
    join(r.root, 'etc/klubkort/config.json'),
    JSON.stringify({ ...CONFIG, broker: { ...CONFIG.broker, caFile: '/etc/klubkort/ca.pem' } }),
  );
  copyFileSync(join(pki, 'ca.crt'), join(r.root, 'etc/klubkort/ca.pem'));
  mkdirSync(join(r.root, 'srv/bundles'), { recursive: true });
  for (const [v, file] of bundles)
    copyFileSync(file, join(r.root, 'srv/bundles', `klubkort-${v}-linux-${process.arch}.tar.gz`));
  for (const f of ['broker.crt', 'broker.key']) copyFileSync(join(pki, f), join(r.root, 'srv', f));
  copyFileSync('test/fixtures/bundle-server.mjs', join(r.root, 'srv/bundle-server.mjs'));

  let c: Container = await r.boot();
  const mqtt = '/opt/klubkort/committed/node_modules/mqtt';
  const link = async (name: string) =>
    (await c.run(['readlink', `/opt/klubkort/${name}`]).catch(() => ({ stdout: '' }))).stdout
      .trim()
      .replace(/^releases\//, '');
  const links = async () =>
    `current ${await link('current')}, previous ${await link('previous')}, committed ${await link('committed')}`;
  const running = async () => (await unitView(c).show('SubState')).SubState === 'running';
  /** The bundle server and two watchers, each a unit of its own: they live until the container stops. */
  const services = async (cut?: number) => {
    await c.run([
      'systemd-run',
      '--unit=test-bundles',
      '/usr/bin/node',
      '/srv/bundle-server.mjs',
      '--dir',
      '/srv/bundles',
      '--cert',
      '/srv/broker.crt',
      '--key',
      '/srv/broker.key',
      '--port',
      String(PORT),
      '--port-file',
      '/run/bundle-port',
      '--log',
      '/root/requests.log',
      ...(cut ? ['--cut', String(cut)] : []),
    ]);
    await watchTopics(c, {
      unit: 'test-watch',
      mqtt,
      files: {
        'klubkort/v1/terminals/kasse-1/tx': '/root/forwarded.txt',
        'klubkort/v1/terminals/kasse-1/status': '/root/statuses.txt',
      },
    });
    await until(
      async () => (await c.sh('cat /run/bundle-port 2>/dev/null || true')).trim() === String(PORT),
      'the bundle server',
      30_000,
    );
  };
  const announce = async (version: string) => {
    const file = bundles.get(version)!;
    const body = readFileSync(file);
    const ann = {
      version,
      url: `https://127.0.0.1:${PORT}/klubkort-${version}-linux-${process.arch}.tar.gz`,
      sha256: createHash('sha256').update(body).digest('hex'),
      size: body.length,
    };
    await c.run([
      'node',
      '-e',
      `const m = require(${JSON.stringify(mqtt)}); const c = m.connect('mqtt://127.0.0.1:1883', { clientId: 'test-release' });
      c.on('connect', () => c.publish('klubkort/v1/terminals/kasse-1/update', ${JSON.stringify(JSON.stringify(ann))}, { qos: 1, retain: true }, () => c.end()));`,
    ]);
  };
  const updateStates = async () =>
    (await c.sh('cat /root/statuses.txt 2>/dev/null || true'))
      .split('\n')
      .filter(Boolean)
      .flatMap((l) => {
        const s = JSON.parse(l) as { update?: { version: string; state: string } | null };
        return s.update ? [`${s.update.state} ${s.update.version}`] : [];
      });
  const daemonStarts = async () =>
    [
      ...(
        await c.run(['journalctl', '--no-pager', '-b', '-u', 'klubkort.service', '--identifier=klubkort', '-o', 'cat'])
      ).stdout.matchAll(/"version":"([^"]+)".*"msg":"terminal started"/g),
    ].map((m) => m[1]);
  const settled = async (version: string, what: string) => {
    await until(
      async () => (await running()) && (await link('current')) === version && (await link('committed')) === version,
      what,
      240_000,
    ).catch(async (e: Error) => {
      throw new Error(
        `${e.message} (${await links()}):\n${(await c.run(['journalctl', '--no-pager', '-b', '-o', 'short-monotonic'])).stdout.slice(-8000)}`,
      );
    });
  };

  await settled(A, 'release A running and committed');
  stamp('A running');
  // Sales the ledger never answered (there is none here), queued before any update.
  const dataDir = join(r.root, 'var/lib/klubkort');
  const queued = await queueOfflineSales(c, r.root, 3);
  await c.run(['systemctl', 'start', 'klubkort.service']);

  // The whole path, the first answer of the bundle server cut halfway.
  const B = versions[0]!;
  await services(Math.floor(readFileSync(bundles.get(B)!).length / 2));
  await settled(A, 'A running again');
  const t0 = performance.now();
  await announce(B);
  await settled(B, `release ${B} installed by the agent, READY and committed`);
  stamp(`B committed, ${((performance.now() - t0) / 1000).toFixed(1)} s after the announcement`);
  const requests = (await c.sh('cat /root/requests.log'))
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as { status: number; range: string | null; from?: number; cutAt?: number });
  t.log(
    `bundle server: ${requests.map((q) => `${q.status} ${q.range ?? 'whole'}${q.cutAt ? ` cut after ${q.cutAt}` : ''}`).join('; ')}`,
  );
  t.like(requests[0], { status: 200, range: null });
  t.truthy(requests[0]!.cutAt);
  t.true(
    requests.some((q) => q.status === 206 && q.from! > 0),
    'resumed with a Range request',
  );
  const log = (await c.run(['journalctl', '--no-pager', '-b', '-o', 'cat'])).stdout;
  t.regex(
    log,
    new RegExp(`klubkort\\.service restarted to run release ${B.replace(/\./g, '\\.')}`),
    'klubkort-update.service installed it and restarted the unit',
  );
  t.regex(log, new RegExp(`release ${B.replace(/\./g, '\\.')} installed in /opt/klubkort/releases/`));
  t.deepEqual((await daemonStarts()).slice(-1), [B]);
  // Each stage in the retained status (the daemon sees the commit's link change).
  await until(async () => (await updateStates()).includes(`committed ${B}`), 'the status saying committed', 120_000);
  const states = [...new Set(await updateStates())];
  t.log(`statuses: ${states.join(' → ')}`);
  for (const s of ['downloading', 'verified', 'staged', 'committed'])
    t.true(states.includes(`${s} ${B}`), `${s} reported`);
  stamp('status committed');

  // Power lost at each step of the switch.
  const seen: string[] = [];
  let prev = B;
  for (const [i, step] of PAUSE_STEPS.entries()) {
    const v = versions[i + 1]!;
    const unitDir = join(r.root, 'etc/systemd/system', `${UNIT_OF[step]}.d`);
    mkdirSync(unitDir, { recursive: true });
    writeFileSync(join(unitDir, 'test-pause.conf'), `[Service]\nEnvironment=${PAUSE_ENV}=${step}\n`);
    await c.run(['systemctl', 'daemon-reload']);
    await announce(v);
    await until(
      async () =>
        (await c.run(['journalctl', '--no-pager', '-b', '-o', 'cat'])).stdout.includes(`test pause at ${step}`),
      `the update paused at ${step}`,
      240_000,
    ).catch(async (e: Error) => {
      throw new Error(
        `${e.message} (${await links()}):\n${(await c.run(['journalctl', '--no-pager', '-b', '-o', 'short-monotonic'])).stdout.slice(-8000)}`,
      );
    });
    const atKill = await links();
    process.kill(c.leader, 'SIGKILL');
    await c.exited;
    rmSync(join(unitDir, 'test-pause.conf'));
    const cut = performance.now();
    c = await r.boot();
    await until(running, `a release READY after the power cut at ${step}`, 240_000);
    const first = (await daemonStarts())[0];
    const firstLinks = await links();
    await services();
    await announce(v); // the release tool's broker kept it; this one lost what it had not saved
    await settled(v, `the update to ${v} completed after the power cut at ${step}`);
    const line = `${step}: at the cut ${atKill}; after boot ran ${first} (${firstLinks}); then ${await links()}, ${((performance.now() - cut) / 1000).toFixed(1)} s from boot to ${v} committed`;
    seen.push(line);
    t.true(first === prev || first === v, line);
    prev = v;
  }
  t.log(seen.join('\n'));

  // No queued sale lost: still queued (no ledger answered them) and forwarded by the release that runs now.
  await c.sh(': > /root/forwarded.txt');
  await c.run(['systemctl', 'restart', 'klubkort.service']);
  await until(
    async () => {
      const f = new Set((await c.sh('cat /root/forwarded.txt')).split('\n'));
      return queued.every((tx) => f.has(tx));
    },
    'the queued sales forwarded',
    120_000,
  );
  await c.run(['systemctl', 'stop', 'klubkort.service']);
  const after = await Journal.open(dataDir, 'kasse-1');
  const outbox = new Set((await after.sales.outbox()).map((e) => e.txId));
  await after.close();
  for (const tx of queued) t.true(outbox.has(tx), `sale ${tx} still queued`);
  stamp('done');
});
