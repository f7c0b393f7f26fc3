// Builds a release bundle, klubkort-<version>-linux-<arch>.tar.gz: the built dist/, production
// node_modules (no dev dependencies, no tsx or esbuild: the release runs dist/) with the native
// addons compiled for <arch>, the units and files install.sh lays out, and manifest.json (SHA-256
// of every file) signed in manifest.sig. Used by scripts/release.ts and the tests.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  cpSync,
  existsSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { cpus } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { gzipSync } from 'node:zlib';
import { JOURNAL_READABLE_BY, JOURNAL_SCHEMA } from '../firmware/journal/migrations.ts';
import {
  manifestBytes,
  MANIFEST_NAME,
  SIGNATURE_NAME,
  type Arch,
  type Manifest,
  type ManifestFile,
} from '../firmware/release/manifest.ts';
import { signManifest } from '../firmware/release/signing.ts';
import { tarPieces, type TarFile } from '../firmware/release/tar.ts';
import { buildDist } from './build.ts';
import { must } from '../lib/must.ts';

export const PROJECT = new URL('..', import.meta.url).pathname.replace(/\/$/, '');

/** What of the checkout goes into a release besides dist/ (built anew), node_modules and package.json. */
const APP_ITEMS = ['bin/klubkort.js', 'systemd', 'docs', 'README.md', 'PRIVACY.md'];
/** Dependencies that only build or run the sources: a release runs dist/. */
const BUILD_ONLY = ['tsx', 'esbuild'];
/** Debian suite whose arm64 packages give the cross link its libpcsclite and the check its Node. */
const SYSROOT_SUITE = 'trixie';

const ELF_MACHINE: Record<Arch, number> = { x64: 0x3e, arm64: 0xb7 };
const CROSS: Partial<Record<Arch, { triplet: string; qemu: string }>> = {
  arm64: { triplet: 'aarch64-linux-gnu', qemu: 'qemu-aarch64-static' },
};

export interface BuildOptions {
  arch: Arch;
  /** The release signing key (PEM, private). */
  keyPem: string;
  outDir: string;
  /** Instead of package.json's (tests: a second release). */
  version?: string;
  /** Compile every addon even for this machine's architecture (else ones built by npm install are reused). */
  fromSource?: boolean;
  /** Scratch space (staging, the arm64 sysroot); default outDir/.work. */
  workDir?: string;
  log?: (line: string) => void;
}

export interface BuildResult {
  file: string;
  version: string;
  files: number;
  bytes: number;
  addons: string[];
  checked: string;
  seconds: Record<string, number>;
}

const run = (cmd: string, args: string[], o: { cwd?: string; env?: NodeJS.ProcessEnv; log?: string } = {}) => {
  const r = spawnSync(cmd, args, {
    cwd: o.cwd,
    env: o.env ?? process.env,
    encoding: 'utf8',
    maxBuffer: 256 * 1024 * 1024,
  });
  if (o.log) writeFileSync(o.log, `$ ${cmd} ${args.join(' ')}\n${r.stdout ?? ''}${r.stderr ?? ''}`, { flag: 'a' });
  if (r.error) throw new Error(`${cmd}: ${r.error.message}`);
  if (r.status !== 0)
    throw new Error(
      `${cmd} ${args.join(' ')} failed (${r.status})${o.log ? `; see ${o.log}` : ''}:\n${(r.stderr ?? '').slice(-3000)}`,
    );
  return r.stdout;
};

const has = (cmd: string): boolean => spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;

/** Regular files below `dir` (relative paths, sorted); `.bin` link farms are left out, any other link is an error. */
function walk(dir: string, base = dir): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) {
      if (e.name !== '.bin') out.push(...walk(p, base));
      continue;
    }
    if (!e.isFile()) throw new Error(`${relative(base, p)} is not a regular file: a bundle holds regular files only`);
    out.push(relative(base, p));
  }
  return out.sort();
}

/** The package directories below node_modules that hold a native addon (a binding.gyp). */
function addonPackages(nodeModules: string): string[] {
  return walk(nodeModules)
    .filter((p) => p.endsWith('/binding.gyp') && !p.includes('/test/'))
    .map((p) => dirname(p))
    .filter((d) => existsSync(join(nodeModules, d, 'package.json')));
}

/** The ELF machine of a compiled addon (e_machine, offset 18). */
const elfMachine = (file: string): number => readFileSync(file).readUInt16LE(18);

/** The package.json a release carries: no scripts, no dev or build-only dependencies, and its version. */
function releasePackageJson(version: string | undefined): Record<string, unknown> {
  const p = JSON.parse(readFileSync(join(PROJECT, 'package.json'), 'utf8')) as Record<string, unknown>;
  const deps = { ...(p.dependencies as Record<string, string>) };
  for (const d of BUILD_ONLY) delete deps[d];
  const { name, version: v, description, type, private: priv, license, bin, engines, optionalDependencies } = p;
  return {
    name,
    version: version ?? v,
    description,
    type,
    private: priv,
    license,
    bin,
    engines,
    dependencies: deps,
    optionalDependencies,
  };
}

/**
 * A Debian arm64 file tree (packages extracted, no scripts run: seconds, not a chroot) holding
 * libpcsclite for the cross link and Debian's own Node to load the addons under qemu.
 */
function sysroot(work: string, arch: Arch, log: string): string {
  const dir = join(work, `sysroot-${arch}-${SYSROOT_SUITE}`);
  if (existsSync(join(dir, 'usr/bin/node'))) return dir;
  if (!has('mmdebstrap'))
    throw new Error('building for another architecture needs mmdebstrap (apt-get install mmdebstrap)');
  rmSync(dir, { recursive: true, force: true });
  run(
    'mmdebstrap',
    ['--variant=extract', `--architectures=${arch}`, '--include=nodejs,libpcsclite-dev', SYSROOT_SUITE, dir],
    { log },
  );
  // The extract variant sets up no merged /usr: the dynamic loader is looked for under /lib.
  for (const d of ['lib', 'bin', 'sbin']) if (!existsSync(join(dir, d))) symlinkSync(`usr/${d}`, join(dir, d));
  return dir;
}

/** Compiles the addons of `names` in the staging tree for `arch` (a cross compiler for another one). */
function compileAddons(stage: string, names: string[], arch: Arch, work: string, log: string): void {
  const env: NodeJS.ProcessEnv = { ...process.env, npm_config_build_from_source: 'true', JOBS: String(cpus().length) };
  const cross = arch === process.arch ? undefined : CROSS[arch];
  if (arch !== process.arch) {
    if (!cross) throw new Error(`no cross compiler known for ${arch}`);
    if (!has(`${cross.triplet}-g++`))
      throw new Error(`building for ${arch} needs ${cross.triplet}-g++ (apt-get install crossbuild-essential-${arch})`);
    // Only libpcsclite from the sysroot: its libc and libstdc++ are newer than the cross compiler's.
    const libs = join(work, `libs-${arch}`);
    rmSync(libs, { recursive: true, force: true });
    mkdirSync(libs, { recursive: true });
    symlinkSync(
      join(sysroot(work, arch, log), 'usr/lib', cross.triplet, 'libpcsclite.so.1'),
      join(libs, 'libpcsclite.so'),
    );
    Object.assign(env, {
      npm_config_arch: arch,
      npm_config_target_arch: arch,
      CC: `${cross.triplet}-gcc`,
      CXX: `${cross.triplet}-g++`,
      LINK: `${cross.triplet}-g++`,
      AR: `${cross.triplet}-ar`,
      LDFLAGS: `-L${libs}`,
    });
  }
  run('npm', ['rebuild', ...names, '--foreground-scripts', '--no-audit', '--no-fund'], { cwd: stage, env, log });
}

/** Loads every addon in the Node that will run it: this machine's, or Debian's arm64 Node under qemu. */
function loadAddons(stage: string, addons: string[], arch: Arch, work: string, log: string): string {
  const script = `for (const f of ${JSON.stringify(addons.map((a) => join(stage, 'node_modules', a)))}) require(f);`;
  if (arch === process.arch) {
    run(process.execPath, ['-e', script], { log });
    return `loaded by Node ${process.versions.node} (${process.arch})`;
  }
  const cross = must(CROSS[arch], `a cross toolchain for ${arch}`);
  if (!has(cross.qemu)) return `ELF checked; not loaded (no ${cross.qemu}: apt-get install qemu-user-static)`;
  const root = sysroot(work, arch, log);
  const version = run(
    cross.qemu,
    ['-L', root, join(root, 'usr/bin/node'), '-e', `${script} process.stdout.write(process.version)`],
    { log },
  );
  return `loaded by Debian ${SYSROOT_SUITE}'s Node ${version} (${arch}) under ${cross.qemu}`;
}

export async function buildRelease(o: BuildOptions): Promise<BuildResult> {
  const say = o.log ?? (() => undefined);
  const seconds: Record<string, number> = {};
  let t = Date.now();
  const lap = (what: string) => {
    seconds[what] = (Date.now() - t) / 1000;
    t = Date.now();
  };
  const work = o.workDir ?? join(o.outDir, '.work');
  mkdirSync(work, { recursive: true });
  const log = join(work, `build-${o.arch}.log`);
  rmSync(log, { force: true });

  const pkg = releasePackageJson(o.version);
  const version = pkg.version as string;
  const stage = join(work, `stage-${o.arch}`);
  rmSync(stage, { recursive: true, force: true });
  mkdirSync(stage, { recursive: true });
  // Its own dist/: the checkout's may be in use (a daemon, a test running from it).
  say('building dist/');
  await buildDist(join(stage, 'dist'));
  lap('dist');
  writeFileSync(join(stage, 'package.json'), JSON.stringify(pkg, null, 2) + '\n');
  cpSync(join(PROJECT, 'package-lock.json'), join(stage, 'package-lock.json'));
  say('production node_modules (npm install --omit=dev)');
  run('npm', ['install', '--omit=dev', '--ignore-scripts', '--prefer-offline', '--no-audit', '--no-fund'], {
    cwd: stage,
    log,
  });
  lap('npm install');

  const nm = join(stage, 'node_modules');
  const packages = addonPackages(nm);
  const reused: string[] = [];
  const compile: string[] = [];
  for (const p of packages) {
    // For this machine's architecture, an addon npm install already built for the same version is reused.
    const built = join(PROJECT, 'node_modules', p, 'build/Release');
    const same =
      existsSync(join(PROJECT, 'node_modules', p, 'package.json')) &&
      readFileSync(join(PROJECT, 'node_modules', p, 'package.json'), 'utf8') ===
        readFileSync(join(nm, p, 'package.json'), 'utf8');
    const nodes = existsSync(built) ? readdirSync(built).filter((f) => f.endsWith('.node')) : [];
    if (o.arch === process.arch && !o.fromSource && same && nodes.length > 0) {
      mkdirSync(join(nm, p, 'build/Release'), { recursive: true });
      for (const f of nodes) cpSync(join(built, f), join(nm, p, 'build/Release', f));
      reused.push(p);
    } else {
      compile.push(p);
    }
  }
  const names = [
    ...new Set(compile.map((p) => JSON.parse(readFileSync(join(nm, p, 'package.json'), 'utf8')).name as string)),
  ];
  if (names.length) {
    say(`compiling ${names.join(', ')} for ${o.arch}`);
    compileAddons(stage, names, o.arch, work, log);
  }
  lap('addons');

  // Only the compiled addons of a build/ stay: object files, makefiles and copies are build litter.
  const addons: string[] = [];
  for (const p of packages) {
    const release = join(nm, p, 'build/Release');
    const nodes = existsSync(release) ? readdirSync(release).filter((f) => f.endsWith('.node')) : [];
    if (nodes.length === 0) throw new Error(`${p} has no compiled addon (see ${log})`);
    const keep = nodes.map((f) => [f, readFileSync(join(release, f))] as const);
    rmSync(join(nm, p, 'build'), { recursive: true, force: true });
    mkdirSync(release, { recursive: true });
    for (const [f, bytes] of keep) {
      writeFileSync(join(release, f), bytes, { mode: 0o755 });
      if (elfMachine(join(release, f)) !== ELF_MACHINE[o.arch])
        throw new Error(`${p}/build/Release/${f} is not an ${o.arch} ELF object`);
      addons.push(join(p, 'build/Release', f));
    }
  }
  const checked = loadAddons(stage, addons, o.arch, work, log);
  lap('check');

  // The files: the app from the checkout, package.json, the lock file and node_modules from the stage.
  const entries: { path: string; from: string }[] = [];
  for (const item of APP_ITEMS) {
    const src = join(PROJECT, item);
    if (!existsSync(src)) throw new Error(`${item} is missing from the checkout`);
    if (lstatSync(src).isDirectory())
      for (const f of walk(src)) entries.push({ path: join(item, f), from: join(src, f) });
    else entries.push({ path: item, from: src });
  }
  for (const f of ['package.json', 'package-lock.json']) entries.push({ path: f, from: join(stage, f) });
  for (const f of walk(join(stage, 'dist'))) entries.push({ path: join('dist', f), from: join(stage, 'dist', f) });
  for (const f of walk(nm)) entries.push({ path: join('node_modules', f), from: join(nm, f) });
  entries.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));

  const builtAt = new Date();
  const mtime = Math.floor(builtAt.getTime() / 1000);
  const tarFiles: TarFile[] = [];
  const files: ManifestFile[] = [];
  for (const e of entries) {
    const data = readFileSync(e.from);
    const mode = lstatSync(e.from).mode & 0o111 ? 0o755 : 0o644;
    files.push({ path: e.path, size: data.length, mode, sha256: createHash('sha256').update(data).digest('hex') });
    tarFiles.push({ path: e.path, mode, mtime, data });
  }
  const engines = pkg.engines as { node: string };
  const manifest: Manifest = {
    format: 1,
    name: 'klubkort',
    version,
    platform: 'linux',
    arch: o.arch,
    node: engines.node,
    journal: { writes: JOURNAL_SCHEMA, readsFrom: 0, readableBy: JOURNAL_READABLE_BY },
    builtAt: builtAt.toISOString(),
    files,
  };
  const mBytes = manifestBytes(manifest);
  const head: TarFile[] = [
    { path: MANIFEST_NAME, mode: 0o644, mtime, data: mBytes },
    { path: SIGNATURE_NAME, mode: 0o644, mtime, data: signManifest(mBytes, o.keyPem) },
  ];
  const gz = gzipSync(Buffer.concat(tarPieces([...head, ...tarFiles])), { level: 9 });
  mkdirSync(o.outDir, { recursive: true });
  const file = join(o.outDir, `klubkort-${version}-linux-${o.arch}.tar.gz`);
  writeFileSync(`${file}.part`, gz);
  renameSync(`${file}.part`, file);
  lap('pack');
  say(
    `${file}: ${files.length} files, ${(gz.length / 1e6).toFixed(1)} MB; addons ${addons.length} (${reused.length ? `reused: ${reused.join(', ')}; ` : ''}${checked})`,
  );
  return { file, version, files: files.length, bytes: gz.length, addons, checked, seconds };
}
