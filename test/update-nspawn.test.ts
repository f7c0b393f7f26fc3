// An update and its rollback under a real systemd (issue 27, item 2): a Debian 13 container
// (helpers/terminal-container.ts) with release A installed by `install.sh --bundle`; A proves
// itself (READY) and is committed. Then `klubkort update --bundle` to a release B that fails:
//   - B crashes at start: its first failure runs OnFailure=, klubkort rollback, which restarts the unit;
//   - B hangs at start and never says READY: the watchdog or the start timeout fails it, the same.
// After each the till runs A again (current → A, the unit active, A's daemon READY), B is
// remembered as rolled back from, and the sales queued before the update are still in the journal
// and forwarded by A afterwards (seen on the broker by a subscriber in the container).
// The B bundles are A's files with dist/main.js changed and the manifest re-signed by the test's
// release key (a test-only fault: the release code itself has no fault switch).
// Costs: a release bundle built (~1 min), then ~4 min in the container.
import test from 'ava';
import { randomUUID } from 'node:crypto';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { SaleMsg } from '../contract/index.ts';
import { Journal } from '../firmware/journal/journal.ts';
import { Manifest } from '../firmware/release/manifest.ts';
import { buildTestBundle, readBundle, remake, testKey, writeBundle } from './helpers/release-bundle.ts';
import { configure, dropIn, layOut, terminalRoot, unitView } from './helpers/terminal-container.ts';
import { until } from './helpers/until.ts';

const A = '0.1.0-upd.a';
const FAULTS = {
  crash: `if (process.argv[2] === 'run') { process.stderr.write('test fault: crash at start\\n'); process.exit(70); }\n`,
  hang: `if (process.argv[2] === 'run') await new Promise(() => setInterval(() => undefined, 1 << 30));\n`,
};

const sale = (): SaleMsg => ({
  type: 'sale', txId: randomUUID(), terminalId: 'kasse-1', clubId: 'demo-klub', cardUid: '04A1B2C3',
  items: [{ sku: 'j', name: 'Juice', unitPrice: 800, qty: 1 }], total: 800, createdAt: new Date().toISOString(), offline: true,
});

test('an update to a release that crashes at start, then to one that hangs: each rolled back under systemd, the till runs A again, no queued sale lost', async (t) => {
  t.timeout(25 * 60_000);
  const started = performance.now();
  const stamp = (what: string) => t.log(`${what}: ${((performance.now() - started) / 1000).toFixed(1)} s`);
  const out = mkdtempSync('/var/tmp/klubkort-update-bundles-');
  t.teardown(() => rmSync(out, { recursive: true, force: true }));
  const key = testKey(join(out, 'key'));
  const a = (await buildTestBundle(out, key, A)).file;
  const entries = await readBundle(a);
  const faulty = (fault: keyof typeof FAULTS) => {
    const version = `0.1.0-upd.${fault}`;
    return writeBundle(join(out, `klubkort-${version}.tar.gz`), remake(entries, {
      key,
      files: (fs) => fs.map((f) => (f.path === 'dist/main.js' ? { ...f, data: Buffer.concat([Buffer.from(FAULTS[fault]), f.data]) }
        : f.path === 'package.json' ? { ...f, data: Buffer.from(JSON.stringify({ ...JSON.parse(f.data.toString()), version })) } : f)),
      manifest: (m: Manifest) => ({ ...m, version }),
    }));
  };
  stamp('bundles built');

  const r = await terminalRoot(t, stamp);
  mkdirSync(join(r.root, 'etc/klubkort/release-keys'), { recursive: true });
  copyFileSync(join(key.pubDir, `${key.keyId}.pub`), join(r.root, 'etc/klubkort/release-keys', `${key.keyId}.pub`));
  layOut(r.root, ['--bundle', a], (l) => t.log(l));
  configure(r.root, dropIn(4, 'TimeoutStartSec=10\n'));
  const c = await r.boot();
  const { show, journal, cursor } = unitView(c);
  const link = async (name: string) => (await c.run(['readlink', `/opt/klubkort/${name}`]).catch(() => ({ stdout: '' }))).stdout.trim();
  const running = async () => (await show('ActiveState', 'SubState')).SubState === 'running';
  await until(running, 'release A running (READY=1)', 120_000);
  await until(async () => (await link('committed')) === `releases/${A}`, 'A committed after READY', 30_000);

  // A subscriber in the container: every sale the terminal forwards, by txId.
  const mqtt = `/opt/klubkort/releases/${A}/node_modules/mqtt`;
  const seenFile = '/root/forwarded.txt';
  // Its own unit: it lives until the container powers off.
  await c.run(['systemd-run', '--unit=test-subscriber', '/usr/bin/node', '-e', `const m = require(${JSON.stringify(mqtt)}); const fs = require('fs');
    const c = m.connect('mqtt://127.0.0.1:1883', { clientId: 'test-sub' });
    c.on('connect', () => c.subscribe('klubkort/v1/terminals/kasse-1/tx', { qos: 1 }));
    c.on('message', (_t, p) => { try { fs.appendFileSync(${JSON.stringify(seenFile)}, JSON.parse(p).txId + '\\n'); } catch {} });`]);
  const forwarded = async () => new Set((await c.sh(`cat ${seenFile} 2>/dev/null || true`)).split('\n').filter(Boolean));

  const queued: string[] = [];
  for (const fault of ['crash', 'hang'] as const) {
    const b = faulty(fault);
    const bVersion = `0.1.0-upd.${fault}`;
    // Sales the ledger never answered, queued while A runs (the daemon stopped to write them here).
    await c.run(['systemctl', 'stop', 'klubkort.service']);
    const j = await Journal.open(join(r.root, 'var/lib/klubkort'), 'kasse-1');
    for (let i = 0; i < 2; i++) {
      const s = sale();
      t.true(await j.sales.approveOffline(s, true));
      queued.push(s.txId);
    }
    await j.close();
    await c.run(['chown', '-R', 'klubkort:klubkort', '/var/lib/klubkort']);

    copyFileSync(b, join(r.root, 'root/b.tar.gz'));
    const upd = await c.run(['/usr/local/bin/klubkort', 'update', '--bundle', '/root/b.tar.gz']);
    t.regex(upd.stdout, new RegExp(`current → ${bVersion.replace(/\./g, '\\.')}, previous → ${A.replace(/\./g, '\\.')}`));
    const from = await cursor();
    await c.sh(`: > ${seenFile}`);
    await c.run(['systemctl', 'start', '--no-block', 'klubkort.service']);
    stamp(`B (${fault}) started`);

    await until(async () => (await link('current')) === `releases/${A}` && await running(), `A running again after B (${fault})`, 300_000)
      .catch(async (e: Error) => { throw new Error(`${e.message}:\n${(await c.run(['journalctl', '--no-pager', `--after-cursor=${from}`, '-o', 'short-monotonic'])).stdout.slice(-6000)}`); });
    stamp(`rolled back from B (${fault})`);
    const log = (await c.run(['journalctl', '--no-pager', `--after-cursor=${from}`, '-o', 'cat'])).stdout;
    t.regex(log, fault === 'crash' ? /klubkort\.service: Main process exited, code=exited, status=70/ : /klubkort\.service: (Watchdog timeout|start operation timed out)/);
    t.regex(log, /klubkort\.service: Triggering OnFailure= dependencies/);
    t.log(`B (${fault}): ${log.split('\n').filter((l) => /klubkort\.service: (Main process exited|Watchdog timeout|start operation timed out|Failed with result)/.test(l)).join('; ')}`);
    t.regex(log, new RegExp(`release ${bVersion.replace(/\./g, '\\.')} failed before it proved itself: rolled back to ${A.replace(/\./g, '\\.')}`));
    t.is(await link('previous'), `releases/${bVersion}`);
    t.is(await link('committed'), `releases/${A}`, 'B never proved itself');
    t.true(readFileSync(join(r.root, 'opt/klubkort/rolled-back'), 'utf8').split('\n').includes(bVersion));
    // A's daemon, READY: its own start line names its version.
    await until(async () => new RegExp(`"msg":"health gate passed: READY"`).test(await journal(`--after-cursor=${from}`, '--identifier=klubkort', '-o', 'cat')), 'A\'s READY', 60_000);
    const starts = [...(await journal(`--after-cursor=${from}`, '--identifier=klubkort', '-o', 'cat')).matchAll(/"version":"([^"]+)".*"msg":"terminal started"/g)].map((m) => m[1]);
    t.is(starts.at(-1), A, `the till runs A (terminal started lines: ${starts.join(', ')})`);
    // Every sale queued before the update: still in the journal, and forwarded by A.
    await until(async () => { const f = await forwarded(); return queued.every((tx) => f.has(tx)); }, 'the queued sales forwarded by A', 60_000);
    await c.run(['systemctl', 'stop', 'klubkort.service']);
    const after = await Journal.open(join(r.root, 'var/lib/klubkort'), 'kasse-1');
    const outbox = new Set((await after.sales.outbox()).map((e) => e.txId));
    await after.close();
    await c.run(['chown', '-R', 'klubkort:klubkort', '/var/lib/klubkort']);
    for (const tx of queued) t.true(outbox.has(tx), `sale ${tx} still queued (no ledger answered it)`);
    await c.run(['systemctl', 'start', 'klubkort.service']);
  }
  stamp('done');
});
