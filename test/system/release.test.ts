// Release bundles for real (issue 27, items 1 and 2): a bundle of this checkout built for this
// machine (npm run release's builder), installed by `klubkort update --bundle --root` into a temp
// root; every bad bundle refused before anything is unpacked (the root's tree unchanged to the
// byte); the installed release running without the sources, tsx or esbuild; the Node guard.
import test, { type ExecutionContext } from 'ava';
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Journal } from '../../firmware/journal/journal.ts';
import { JOURNAL_SCHEMA, JournalTooNewError, READABLE_BY_KEY } from '../../firmware/journal/migrations.ts';
import { Db } from '../../firmware/journal/db.ts';
import { Manifest } from '../../firmware/release/manifest.ts';
import { rollBack, layoutOf, linkedVersion } from '../../firmware/release/releases.ts';
import type { TarFile } from '../../firmware/release/tar.ts';
import {
  buildTestBundle,
  readBundle,
  remake,
  terminalRoot,
  testKey,
  tree,
  writeBundle,
  type TestKey,
} from '../helpers/release-bundle.ts';

const BIN = join(process.cwd(), 'bin/klubkort.js');
const base = mkdtempSync(join(tmpdir(), 'klubkort-release-test-'));
/** A terminal with the good release installed, which every refusal below must leave as it is. */
let installed: string;
let key: TestKey;
let stranger: TestKey;
let good: string;
let entries: TarFile[];
const VERSION = '0.1.0-test.1';

test.before(async () => {
  key = testKey(join(base, 'key'));
  stranger = testKey(join(base, 'stranger'));
  good = (await buildTestBundle(join(base, 'out'), key, VERSION)).file;
  entries = await readBundle(good);
  installed = terminalRoot(base, key);
  const r = update(installed, good);
  if (r.status !== 0) throw new Error(r.stderr);
});

test.after.always(() => rmSync(base, { recursive: true, force: true }));

function update(root: string, bundle: string, bin = BIN) {
  return spawnSync(process.execPath, [bin, 'update', '--bundle', bundle, '--root', root], { encoding: 'utf8' });
}

let n = 0;
const bad = (make: () => TarFile[]): string => writeBundle(join(base, `bad-${++n}.tar.gz`), make());

test.serial(
  'the bundle holds dist/, the units and production node_modules with the addons, and no sources, tsx or esbuild',
  (t) => {
    const manifest = Manifest.parse(JSON.parse(entries[0]!.data.toString()));
    const paths = new Set(manifest.files.map((f) => f.path));
    t.is(entries[0]!.path, 'manifest.json');
    t.is(entries[1]!.path, 'manifest.sig');
    t.deepEqual(
      entries.slice(2).map((e) => e.path),
      manifest.files.map((f) => f.path),
      "the tar holds exactly the manifest's files, in its order",
    );
    for (const p of [
      'dist/main.js',
      'dist/pcsc-child.js',
      'bin/klubkort.js',
      'package.json',
      'systemd/klubkort.service',
      'systemd/install.sh',
      'node_modules/sqlite3/build/Release/node_sqlite3.node',
      'node_modules/@pokusew/pcsclite/build/Release/pcsclite.node',
      'node_modules/epoll/build/Release/epoll.node',
    ]) {
      t.true(paths.has(p), p);
    }
    t.false(
      [...paths].some(
        (p) =>
          /^(contract|firmware|hal|sim)\//.test(p) ||
          p.startsWith('node_modules/tsx/') ||
          p.startsWith('node_modules/esbuild/') ||
          p.startsWith('node_modules/typescript/') ||
          p.startsWith('node_modules/ava/') ||
          p.includes('/obj.target/'),
      ),
    );
    t.is(manifest.arch as string, process.arch as string);
    t.is(manifest.version, VERSION);
    t.is(
      JSON.parse(entries.find((e) => e.path === 'package.json')!.data.toString()).version,
      VERSION,
      'the release reports its own version',
    );
    t.is(manifest.node, JSON.parse(readFileSync('package.json', 'utf8')).engines.node);
    t.deepEqual(manifest.journal, { writes: JOURNAL_SCHEMA, readsFrom: 0, readableBy: 6 });
    t.is(entries.find((e) => e.path === 'bin/klubkort.js')!.mode, 0o755);
  },
);

test.serial(
  'a good bundle is installed into releases/<version> and current switched to it; the installed release runs and installs the next one',
  async (t) => {
    const root = terminalRoot(base, key);
    const r = update(root, good);
    t.is(r.status, 0, r.stderr);
    const v = VERSION.replace(/\./g, '\\.');
    t.regex(r.stdout, new RegExp(`release ${v} installed .*current → ${v}, previous → none`));
    const l = layoutOf(root);
    t.is(readlinkSync(l.current), `releases/${VERSION}`);
    t.false(existsSync(l.previous));
    // The unit's paths (/opt/klubkort/bin/klubkort.js, …/systemd/foot.ini) lead into current.
    for (const name of ['bin', 'systemd', 'docs']) t.is(readlinkSync(join(l.app, name)), `current/${name}`);
    t.true(existsSync(join(l.app, 'systemd/foot.ini')));
    const rel = join(l.releases, VERSION);
    t.is(statSync(join(rel, 'bin/klubkort.js')).mode & 0o777, 0o755);
    t.deepEqual(readFileSync(join(rel, 'manifest.json')), entries[0]!.data);
    t.deepEqual(readFileSync(join(rel, 'dist/main.js')), entries.find((e) => e.path === 'dist/main.js')!.data);

    // The installed release, without sources, tsx or esbuild, runs the CLI and itself reads a journal
    // (with its own compiled sqlite3) to install the next release: a signed build of a new version.
    const dataDir = join(root, 'var/lib/klubkort');
    await (await Journal.open(dataDir, 'kasse-1')).close();
    const current = join(l.app, 'bin/klubkort.js');
    const help = spawnSync(process.execPath, [current, '--help'], { encoding: 'utf8' });
    t.is(help.status, 0, help.stderr);
    const next = '0.1.1-test.2';
    const second = bad(() =>
      remake(entries, {
        key,
        manifest: (m) => ({ ...m, version: next }),
        files: (fs) =>
          fs.map((f) =>
            f.path === 'package.json'
              ? { ...f, data: Buffer.from(JSON.stringify({ ...JSON.parse(f.data.toString()), version: next })) }
              : f,
          ),
      }),
    );
    const r2 = update(root, second, current);
    t.is(r2.status, 0, r2.stderr);
    t.is(readlinkSync(l.current), `releases/${next}`);
    t.is(readlinkSync(l.previous), `releases/${VERSION}`);
    t.is(spawnSync(process.execPath, [current, '--help']).status, 0);

    // A rollback is the same switch the other way; installing what is current again changes nothing.
    t.deepEqual(await rollBack(l), { current: VERSION, previous: next });
    t.is(readlinkSync(l.current), `releases/${VERSION}`);
    t.is(readlinkSync(l.previous), `releases/${next}`);
    const before = tree(root);
    const again = update(root, good);
    t.is(again.status, 0);
    t.regex(again.stdout, /already the current one; nothing changed/);
    t.deepEqual(tree(root), before);
  },
);

interface RefusalCase {
  /** Sets a terminal up first (a journal): then on a root of its own, with the good release installed if `installed`. */
  prepare?: (root: string) => Promise<void>;
  installed?: boolean;
}

/**
 * Shows `make`'s bundle refused with `reason` on the terminal with the good release installed and
 * on a fresh one, each tree unchanged to the byte (a fresh one gets not even /opt/klubkort).
 */
function refusedBeforeUnpacking(reason: string, make: () => TarFile[] | string, c: RefusalCase = {}) {
  return async (t: ExecutionContext): Promise<void> => {
    const made = make();
    const file = typeof made === 'string' ? made : bad(() => made);
    const roots = [installed, terminalRoot(base, key)];
    if (c.prepare) {
      const root = terminalRoot(base, key);
      if (c.installed) t.is(update(root, good).status, 0);
      await c.prepare(root);
      roots.splice(0, 2, root);
    }
    for (const root of roots) {
      const before = tree(root);
      const r = update(root, file);
      t.is(r.status, 65, r.stderr);
      t.regex(r.stderr, new RegExp(`refused \\(${reason}\\): .*; nothing was unpacked`));
      t.deepEqual(tree(root), before, 'nothing under the root changed');
      if (!existsSync(join(root, 'opt/klubkort/current'))) t.false(existsSync(join(root, 'opt')));
      lastRefusal = r.stderr;
    }
    rmSync(file);
  };
}
let lastRefusal = '';

/** `data` with one byte changed at `at` (from the end when negative). */
const flip = (data: Buffer, at: number): Buffer => {
  const out = Buffer.from(data);
  const i = at < 0 ? out.length + at : at;
  out[i] = out[i]! ^ 0x01;
  return out;
};

test.serial(
  'a file changed after signing is refused',
  refusedBeforeUnpacking('hash', () =>
    remake(entries, {
      key,
      rehash: false,
      sign: false,
      files: (fs) => fs.map((f) => (f.path === 'dist/main.js' ? { ...f, data: flip(f.data, f.data.length >> 1) } : f)),
    }),
  ),
);

test.serial(
  'the last file changed (everything before it already read) is refused',
  refusedBeforeUnpacking('hash', () =>
    remake(entries, {
      key,
      rehash: false,
      sign: false,
      files: (fs) => fs.map((f, i) => (i === fs.length - 1 ? { ...f, data: flip(f.data, -1) } : f)),
    }),
  ),
);

test.serial(
  'a manifest changed after signing is refused',
  refusedBeforeUnpacking('signature', () =>
    remake(entries, {
      key,
      sign: false,
      manifest: (m) => ({
        ...m,
        files: m.files.map((f) => (f.path === 'dist/main.js' ? { ...f, sha256: '0'.repeat(64) } : f)),
      }),
    }),
  ),
);

test.serial(
  'a signature of other bytes by the trusted key is refused',
  refusedBeforeUnpacking('signature', () => {
    const other = remake(entries, { key, manifest: (m) => ({ ...m, builtAt: '2020-01-01T00:00:00.000Z' }) });
    return [entries[0]!, other[1]!, ...entries.slice(2)];
  }),
);

test.serial('a bundle signed by a key the terminal does not trust is refused, naming the key', async (t) => {
  await refusedBeforeUnpacking('unknown_key', () => remake(entries, { key: stranger }))(t);
  t.regex(
    lastRefusal,
    new RegExp(`release key ${stranger.keyId}, which this terminal does not trust \\(1 trusted: ${key.keyId}\\)`),
  );
});

test.serial(
  'a bundle for another architecture, correctly signed, is refused',
  refusedBeforeUnpacking('arch', () =>
    remake(entries, {
      key,
      manifest: (m) => ({ ...m, arch: m.arch === 'arm64' ? 'x64' : 'arm64' }),
    }),
  ),
);

test.serial(
  'a bundle needing a newer Node is refused',
  refusedBeforeUnpacking('node', () => remake(entries, { key, manifest: (m) => ({ ...m, node: '>=99.0.0' }) })),
);

test.serial(
  'a file the manifest does not list is refused',
  refusedBeforeUnpacking('files', () => [
    ...entries,
    { path: 'dist/extra.js', mode: 0o644, mtime: 0, data: Buffer.from('1') },
  ]),
);

test.serial(
  'something that is not a bundle is refused',
  refusedBeforeUnpacking('unreadable', () => {
    const f = join(base, 'not-a-bundle.tar.gz');
    writeFileSync(f, readFileSync(good).subarray(0, 5000));
    return f;
  }),
);

test.serial(
  'a terminal installed from a checkout (real directories where the links go) is refused before anything is unpacked',
  (t) => {
    const root = terminalRoot(base, key);
    mkdirSync(join(root, 'opt/klubkort/bin'), { recursive: true });
    writeFileSync(join(root, 'opt/klubkort/bin/klubkort.js'), '// the checkout\n');
    const before = tree(root);
    const r = update(root, good);
    t.is(r.status, 73);
    t.regex(r.stderr, /opt\/klubkort\/bin is not a link to current\/bin \(installed from a checkout\?\)/);
    t.deepEqual(tree(root), before);
  },
);

test.serial(
  'install.sh --bundle: the bundle verified and installed by its klubkort update, the units from the release; a bad bundle leaves the root as it was',
  (t) => {
    const root = terminalRoot(base, key);
    const install = (bundle: string) =>
      spawnSync('systemd/install.sh', ['--root', root, '--bundle', bundle], { encoding: 'utf8' });
    const tampered = bad(() =>
      remake(entries, {
        key,
        sign: false,
        files: (fs) => fs.map((f) => (f.path === 'dist/main.js' ? { ...f, data: Buffer.from('// evil') } : f)),
      }),
    );
    const before = tree(root);
    const refused = install(tampered);
    t.not(refused.status, 0);
    t.regex(refused.stderr, /verify-unpacked: refused: the signature does not match the manifest/);
    t.regex(refused.stderr, /was not installed: nothing of it ran/);

    t.deepEqual(
      Object.entries(tree(root)).filter(([p]) => !p.startsWith('opt')),
      Object.entries(before).filter(([p]) => !p.startsWith('opt')),
    );
    t.deepEqual(readdirSync(join(root, 'opt/klubkort/releases')), [], 'nothing unpacked');

    const r = install(good);
    t.is(r.status, 0, r.stderr);
    t.regex(r.stdout, new RegExp(`release ${VERSION.replace(/\./g, '\\.')} installed`));
    t.regex(r.stdout, /skipped \(--root\): systemctl enable klubkort\.service/);
    t.notRegex(r.stdout, /npm ci/, 'a bundle brings its node_modules');
    t.is(readlinkSync(join(root, 'opt/klubkort/current')), `releases/${VERSION}`);
    t.is(readlinkSync(join(root, 'usr/local/bin/klubkort')), '/opt/klubkort/current/bin/klubkort.js');
    t.deepEqual(
      readFileSync(join(root, 'etc/systemd/system/klubkort.service')),
      readFileSync(join(root, 'opt/klubkort/current/systemd/klubkort.service')),
    );
    // Once a release is there, its own klubkort update judges the next bundle.
    const later = install(tampered);
    t.regex(later.stderr, /klubkort update: refused \(signature\).*nothing was unpacked/);
    t.is(readlinkSync(join(root, 'opt/klubkort/current')), `releases/${VERSION}`);
  },
);

/** Every file of the installed release `version` as its manifest says (the release is complete). */
function completeRelease(root: string, version: string): string | null {
  const dir = join(layoutOf(root).releases, version);
  let m: Manifest;
  try {
    m = Manifest.parse(JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')));
  } catch (e) {
    return `no manifest: ${(e as Error).message}`;
  }
  for (const f of m.files) {
    let data: Buffer;
    try {
      data = readFileSync(join(dir, f.path));
    } catch {
      return `${f.path} missing`;
    }
    if (createHash('sha256').update(data).digest('hex') !== f.sha256) return `${f.path} differs`;
  }
  return null;
}

test.serial(
  'an update killed at any moment leaves current and previous naming complete releases, and completes when run again',
  async (t) => {
    t.timeout(10 * 60_000);
    const root = terminalRoot(base, key);
    t.is(update(root, good).status, 0);
    const l = layoutOf(root);
    const next = '0.1.2-test.kill';
    const second = bad(() => remake(entries, { key, manifest: (m) => ({ ...m, version: next }) }));
    // Killed (SIGKILL) later each time, until an update runs to its end: every step of it is cut once or more.
    const seen: string[] = [];
    for (let delay = 100; ; delay = Math.round(delay * 1.4)) {
      const child = spawn(process.execPath, [BIN, 'update', '--bundle', second, '--root', root], { stdio: 'ignore' });
      const timer = setTimeout(() => child.kill('SIGKILL'), delay);
      const [code, signal] = (await once(child, 'exit')) as [number | null, string | null];
      clearTimeout(timer);
      const current = linkedVersion(l.current);
      const previous = linkedVersion(l.previous);
      seen.push(
        `${delay} ms: ${signal ?? `exit ${code}`}, current ${current}, previous ${previous}, ${readdirSync(l.releases).filter((n) => n.startsWith('.')).length} scratch dirs`,
      );
      t.true(current === VERSION || current === next, `current: ${current}`);
      t.is(completeRelease(root, current!), null, `current (${current}) is complete`);
      if (previous !== null) t.is(completeRelease(root, previous), null, `previous (${previous}) is complete`);
      if (signal === null) {
        t.is(code, 0);
        break;
      }
      if (delay > 120_000) {
        t.fail('the update never finished');
        break;
      }
    }
    t.log(seen.join('\n'));
    t.is(linkedVersion(l.current), next);
    t.is(linkedVersion(l.previous), VERSION);
    // What killed runs left (staging directories) is gone once an update ran to its end.
    t.deepEqual(
      readdirSync(l.releases).filter((n) => n.startsWith('.')),
      [],
    );
  },
);

/** A journal in ROOT/var/lib/klubkort at `version`, its last migration saying `readableBy`. */
async function journalAt(root: string, version: number, readableBy: number): Promise<void> {
  const dir = join(root, 'var/lib/klubkort');
  mkdirSync(dir, { recursive: true });
  await (await Journal.open(dir, 'kasse-1')).close();
  const db = await Db.open(join(dir, 'journal.db'));
  await db.exec(`PRAGMA user_version = ${version}`);
  await db.run('INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)', [READABLE_BY_KEY, String(readableBy)]);
  await db.close();
}

test.serial(
  'a journal that the release cannot open (migrated by a newer release that changed it) is refused',
  refusedBeforeUnpacking('journal', () => remake(entries, { key, manifest: (m) => ({ ...m, version: '0.2.0' }) }), {
    prepare: (root) => journalAt(root, JOURNAL_SCHEMA + 1, JOURNAL_SCHEMA + 1),
  }),
);

test.serial(
  'a journal a newer release migrated additively is read; the release opens it, and refuses one changed beyond it',
  async (t) => {
    const root = terminalRoot(base, key);
    await journalAt(root, JOURNAL_SCHEMA + 1, JOURNAL_SCHEMA);
    const r = update(root, good);
    t.is(r.status, 0, r.stderr);
    const dir = join(root, 'var/lib/klubkort');
    await (await Journal.open(dir, 'kasse-1')).close();
    await journalAt(root, JOURNAL_SCHEMA + 1, JOURNAL_SCHEMA + 1);
    const e = await t.throwsAsync(Journal.open(dir, 'kasse-1'), { instanceOf: JournalTooNewError });
    const [newer, ours] = [JOURNAL_SCHEMA + 1, JOURNAL_SCHEMA];
    t.true(
      e!.message.includes(
        `journal has schema ${newer}, which releases writing schema ${newer} or later can open; this release writes ${ours}`,
      ),
      e!.message,
    );
  },
);

test.serial(
  'a release whose migration the running release could not read back is refused: a rollback would be impossible',
  refusedBeforeUnpacking(
    'journal',
    () =>
      remake(entries, {
        key,
        manifest: (m) => ({
          ...m,
          version: '0.3.0',
          journal: { writes: JOURNAL_SCHEMA + 1, readsFrom: 0, readableBy: JOURNAL_SCHEMA + 1 },
        }),
      }),
    { prepare: (root) => journalAt(root, JOURNAL_SCHEMA, JOURNAL_SCHEMA), installed: true },
  ),
);

test.serial('the Node guard: an older Node gets one clear line and exit 69, before anything is loaded', (t) => {
  const old = 'data:text/javascript,Object.defineProperty(process.versions,"node",{value:"18.20.4"})';
  for (const bin of [BIN, join(base, 'bin-check')]) {
    if (bin !== BIN) {
      // The release's own bin/klubkort.js, with its package.json beside it.
      mkdirSync(join(bin, 'bin'), { recursive: true });
      writeFileSync(join(bin, 'bin/klubkort.js'), entries.find((e) => e.path === 'bin/klubkort.js')!.data);
      writeFileSync(join(bin, 'package.json'), entries.find((e) => e.path === 'package.json')!.data);
    }
    const file = bin === BIN ? BIN : join(bin, 'bin/klubkort.js');
    const r = spawnSync(process.execPath, ['--import', old, file, 'status'], { encoding: 'utf8' });
    t.is(r.status, 69);
    t.is(r.stdout, '');
    t.regex(
      r.stderr,
      /^klubkort: needs Node\.js 20\.17\.0 or later, this is 18\.20\.4 \(.*\); Debian 13 ships Node 20\.19\n$/,
    );
    const ok = spawnSync(process.execPath, ['--import', old.replace('18.20.4', '20.17.0'), file, '--help'], {
      encoding: 'utf8',
    });
    t.not(ok.status, 69, 'the same Node as engines.node passes the guard');
  }
});
