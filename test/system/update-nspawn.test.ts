// An update and its rollback under a real systemd (issue 27, item 2): a Debian 13 container
// (helpers/terminal-container.ts) with release A installed by `install.sh --bundle`; A proves
// itself (READY) and is committed. Then `klubkort update --bundle` to a release B that fails:
//   - B crashes at start: its first failure runs OnFailure=, klubkort rollback, which restarts the unit;
//   - B hangs at start and never says READY: the watchdog or the start timeout fails it, the same.
// After each the till runs A again (current → A, the unit active, A's daemon READY), B is
// remembered as rolled back from, and the sales queued before the update are still in the journal
// and forwarded by A afterwards (seen on the broker by a subscriber in the container).
// Then up and back down across a journal migration (item 2's "a rollback never loses a sale"): C is
// built from a copy of this checkout with one more, additive, migration (JOURNAL_READABLE_BY as
// it is); A → C with sales queued before, C migrates the journal and forwards them; sales queued
// while C is installed; C → A (the technician's way back, `klubkort update` with A's bundle): A opens
// the journal C migrated, keeps C's table, and forwards every sale of both sides.
// The B bundles are A's files with dist/main.js changed and the manifest re-signed by the test's
// release key (a test-only fault: the release code itself has no fault switch).
// Costs: two release bundles built (~1 min each under load), then ~3 min in the container.
import test from 'ava';
import { execFileSync } from 'node:child_process';
import {
  copyFileSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  realpathSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { Db } from '../../firmware/journal/db.ts';
import { Journal } from '../../firmware/journal/journal.ts';
import { JOURNAL_READABLE_BY, JOURNAL_SCHEMA } from '../../firmware/journal/migrations.ts';
import type { Manifest } from '../../firmware/release/manifest.ts';
import { Arch } from '../../firmware/release/manifest.ts';
import {
  asRelease,
  buildTestBundle,
  CRASH_AT_START,
  readBundle,
  testKey,
  writeBundle,
} from '../helpers/release-bundle.ts';
import {
  configure,
  dropIn,
  layOut,
  queueOfflineSales,
  terminalRoot,
  unitView,
  watchTopics,
} from '../helpers/terminal-container.ts';
import { until } from '../helpers/until.ts';

const A = '0.1.0-upd.a';
const FAULTS = {
  crash: CRASH_AT_START,
  hang: `if (process.argv[2] === 'run') await new Promise(() => setInterval(() => undefined, 1 << 30));\n`,
};

/** A copy of this checkout with one more migration, additive: a table of its own. */
function checkoutWithMigration(dir: string): string {
  execFileSync('sh', ['-c', `git ls-files -z | xargs -0 cp --parents -t ${dir}`]);
  symlinkSync(realpathSync('node_modules'), join(dir, 'node_modules'));
  const file = join(dir, 'firmware/journal/migrations.ts');
  const text = readFileSync(file, 'utf8');
  const end = '];\n\n/** The schema this release';
  if (!text.includes(end)) throw new Error(`${file}: the end of the migrations list moved`);
  writeFileSync(
    file,
    text.replace(
      end,
      `  // test release C: an additive migration\n  \`CREATE TABLE test_release_c (id INTEGER PRIMARY KEY, note TEXT NOT NULL);\`,\n${end}`,
    ),
  );
  return dir;
}

test('an update to a release that crashes at start, then to one that hangs: each rolled back under systemd, the till runs A again; then up to C (a journal migration) and back down; no queued sale lost', async (t) => {
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
    return writeBundle(
      join(out, `klubkort-${version}.tar.gz`),
      asRelease(entries, { key, version, mainPrefix: FAULTS[fault] }),
    );
  };
  const C = '0.2.0-upd.c';
  const copy = checkoutWithMigration(mkdtempSync('/var/tmp/klubkort-release-c-'));
  t.teardown(() => rmSync(copy, { recursive: true, force: true }));
  const { buildRelease } = (await import(
    join(copy, 'scripts/release-build.ts')
  )) as typeof import('../../scripts/release-build.ts');
  const cBundle = (
    await buildRelease({
      arch: Arch.parse(process.arch),
      keyPem: key.privatePem,
      outDir: out,
      version: C,
      workDir: join(out, '.work-c'),
    })
  ).file;
  const cManifest = JSON.parse((await readBundle(cBundle))[0]!.data.toString()) as Manifest;
  t.deepEqual(
    cManifest.journal,
    { writes: JOURNAL_SCHEMA + 1, readsFrom: 0, readableBy: JOURNAL_READABLE_BY },
    'C migrates one further, additively',
  );
  stamp('bundles built');

  const r = await terminalRoot(t, stamp);
  mkdirSync(join(r.root, 'etc/klubkort/release-keys'), { recursive: true });
  copyFileSync(join(key.pubDir, `${key.keyId}.pub`), join(r.root, 'etc/klubkort/release-keys', `${key.keyId}.pub`));
  layOut(r.root, ['--bundle', a], (l) => t.log(l));
  configure(r.root, dropIn(4, 'TimeoutStartSec=10\n'));
  const c = await r.boot();
  const { show, journal, cursor } = unitView(c);
  const link = async (name: string) =>
    (await c.run(['readlink', `/opt/klubkort/${name}`]).catch(() => ({ stdout: '' }))).stdout.trim();
  const running = async () => (await show('ActiveState', 'SubState')).SubState === 'running';
  await until(running, 'release A running (READY=1)', 120_000);
  await until(async () => (await link('committed')) === `releases/${A}`, 'A committed after READY', 30_000);

  // A subscriber in the container: every sale the terminal forwards, by txId.
  const mqtt = `/opt/klubkort/releases/${A}/node_modules/mqtt`;
  const seenFile = '/root/forwarded.txt';
  await watchTopics(c, { unit: 'test-subscriber', mqtt, files: { 'klubkort/v1/terminals/kasse-1/tx': seenFile } });
  /** The terminal's retained status, as the broker keeps it. */
  const status = async () =>
    JSON.parse(
      (
        await c.run([
          'node',
          '-e',
          `const m = require(${JSON.stringify(mqtt)});
    const c = m.connect('mqtt://127.0.0.1:1883', { clientId: 'test-status' });
    c.on('connect', () => c.subscribe('klubkort/v1/terminals/kasse-1/status'));
    c.on('message', (_t, p) => { process.stdout.write(p.toString()); process.exit(0); });`,
        ])
      ).stdout,
    ) as Record<string, unknown>;
  const forwarded = async () =>
    new Set((await c.sh(`cat ${seenFile} 2>/dev/null || true`)).split('\n').filter(Boolean));

  const queued: string[] = [];
  const dataDir = join(r.root, 'var/lib/klubkort');
  /** Two sales the ledger never answered, queued in the journal (the daemon stopped to write them here). */
  const queueSales = async () => {
    queued.push(...(await queueOfflineSales(c, r.root, 2)));
  };
  /** Every queued sale forwarded since the last start, and still queued in the journal (no ledger answered). */
  const noSaleLost = async (who: string) => {
    await until(
      async () => {
        const f = await forwarded();
        return queued.every((tx) => f.has(tx));
      },
      `the queued sales forwarded by ${who}`,
      60_000,
    );
    await c.run(['systemctl', 'stop', 'klubkort.service']);
    const after = await Journal.open(dataDir, 'kasse-1');
    const outbox = new Set((await after.sales.outbox()).map((e) => e.txId));
    await after.close();
    await c.run(['chown', '-R', 'klubkort:klubkort', '/var/lib/klubkort']);
    for (const tx of queued) t.true(outbox.has(tx), `sale ${tx} still queued (no ledger answered it)`);
    await c.run(['systemctl', 'start', 'klubkort.service']).catch(async (e: Error) => {
      throw new Error(
        `${e.message}\n${(await c.run(['journalctl', '--no-pager', '-n', '80', '-o', 'short-monotonic'])).stdout}`,
      );
    });
  };
  const update = async (bundle: string) => {
    copyFileSync(bundle, join(r.root, 'root/bundle.tar.gz'));
    return (await c.run(['/usr/local/bin/klubkort', 'update', '--bundle', '/root/bundle.tar.gz'])).stdout;
  };
  const restarted = async () => {
    const from = await cursor();
    await c.sh(`: > ${seenFile}`);
    await c.run(['systemctl', 'start', '--no-block', 'klubkort.service']);
    return from;
  };
  const startedVersions = async (from: string) =>
    [
      ...(await journal(`--after-cursor=${from}`, '--identifier=klubkort', '-o', 'cat')).matchAll(
        /"version":"([^"]+)".*"msg":"terminal started"/g,
      ),
    ].map((m) => m[1]);
  for (const fault of ['crash', 'hang'] as const) {
    const b = faulty(fault);
    const bVersion = `0.1.0-upd.${fault}`;
    await queueSales();
    t.regex(
      await update(b),
      new RegExp(`current → ${bVersion.replace(/\./g, '\\.')}, previous → ${A.replace(/\./g, '\\.')}`),
    );
    const from = await restarted();
    stamp(`B (${fault}) started`);

    await until(
      async () => (await link('current')) === `releases/${A}` && (await running()),
      `A running again after B (${fault})`,
      300_000,
    ).catch(async (e: Error) => {
      throw new Error(
        `${e.message}:\n${(await c.run(['journalctl', '--no-pager', `--after-cursor=${from}`, '-o', 'short-monotonic'])).stdout.slice(-6000)}`,
      );
    });
    stamp(`rolled back from B (${fault})`);
    const log = (await c.run(['journalctl', '--no-pager', `--after-cursor=${from}`, '-o', 'cat'])).stdout;
    t.regex(
      log,
      fault === 'crash'
        ? /klubkort\.service: Main process exited, code=exited, status=70/
        : /klubkort\.service: (Watchdog timeout|start operation timed out)/,
    );
    t.regex(log, /klubkort\.service: Triggering OnFailure= dependencies/);
    t.log(
      `B (${fault}): ${log
        .split('\n')
        .filter((l) =>
          /klubkort\.service: (Main process exited|Watchdog timeout|start operation timed out|Failed with result)/.test(
            l,
          ),
        )
        .join('; ')}`,
    );
    t.regex(
      log,
      new RegExp(
        `release ${bVersion.replace(/\./g, '\\.')} failed before it proved itself: rolled back to ${A.replace(/\./g, '\\.')}`,
      ),
    );
    t.is(await link('previous'), `releases/${bVersion}`);
    t.is(await link('committed'), `releases/${A}`, 'B never proved itself');
    t.true(readFileSync(join(r.root, 'opt/klubkort/rolled-back'), 'utf8').split('\n').includes(bVersion));
    // The fleet sees it: A's retained status names the version it rolled back from.
    await until(
      async () => (await status()).update !== undefined && JSON.stringify((await status()).update).includes(bVersion),
      'the status naming the rollback',
      60_000,
    );
    t.like((await status()).update, { version: bVersion, state: 'rolled_back' });
    // A's daemon, READY: its own start line names its version.
    await until(
      async () =>
        /"msg":"health gate passed: READY"/.test(
          await journal(`--after-cursor=${from}`, '--identifier=klubkort', '-o', 'cat'),
        ),
      "A's READY",
      60_000,
    );
    const starts = await startedVersions(from);
    t.is(starts.at(-1), A, `the till runs A (terminal started lines: ${starts.join(', ')})`);
    // Every sale queued before the update: still in the journal, and forwarded by A.
    await noSaleLost('A');
  }

  // Up to C, which migrates the journal (additively), with sales queued before.
  await queueSales();
  t.regex(await update(cBundle), /current → 0\.2\.0-upd\.c, previous → 0\.1\.0-upd\.a/);
  let from = await restarted();
  await until(async () => (await link('committed')) === `releases/${C}`, 'C READY and committed', 120_000);
  t.deepEqual(await startedVersions(from), [C]);
  await noSaleLost('C');
  const schema = async () => {
    const db = await Db.open(join(dataDir, 'journal.db'));
    try {
      return {
        version: (await db.get<{ user_version: number }>('PRAGMA user_version'))!.user_version,
        tables: (await db.all<{ name: string }>("SELECT name FROM sqlite_master WHERE name = 'test_release_c'")).length,
      };
    } finally {
      await db.close();
    }
  };
  await c.run(['systemctl', 'stop', 'klubkort.service']);
  t.deepEqual(await schema(), { version: JOURNAL_SCHEMA + 1, tables: 1 }, 'C migrated the journal');
  // Sales queued on C's side, then back down to A (its bundle again: installed, only switched to).
  await queueSales();
  t.regex(await update(a), /current → 0\.1\.0-upd\.a, previous → 0\.2\.0-upd\.c/);
  from = await restarted();
  await until(
    async () => (await link('current')) === `releases/${A}` && (await running()),
    'A running on the journal C migrated',
    120_000,
  );
  await noSaleLost("A on C's journal");
  t.is((await startedVersions(from)).at(-1), A);
  await c.run(['systemctl', 'stop', 'klubkort.service']);
  t.deepEqual(await schema(), { version: JOURNAL_SCHEMA + 1, tables: 1 }, 'A left the journal as C made it');
  stamp('done');
});
