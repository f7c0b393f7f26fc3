// `npm run image [-- --out DIR] [--key FILE] [--no-xz]`: klubkort-<version>-rpi-arm64.img.xz with
// its .bmap and .sha256, a card for a Raspberry Pi 3, 4, 400 or CM4 (docs/deploy.md, "Flashing a
// terminal"). As root (mmdebstrap, chroot, mount), with qemu-user-static for the arm64 root.
// Stages, each timed: the Debian root (cached), the signed arm64 release (cached), the terminal's
// layout in an overlay over the cached root, the partitions' file systems without loop devices
// (mkfs.vfat + mcopy, mkfs.ext4 -d), the disk (sfdisk on a file), bmap, xz and SHA-256.
import { execFileSync } from 'node:child_process';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { imageBundle } from './image/bundle.ts';
import { customise, writeCmdline } from './image/customise.ts';
import {
  APP_LABEL,
  APP_MIB,
  BOOT_LABEL,
  BOOT_MIB,
  DATA_LABEL,
  DATA_MIB,
  layout,
  MiB,
  ROOT_LABEL,
  sfdiskScript,
} from './image/layout.ts';
import { CACHE, imageRoot } from './image/root.ts';
import { layOut } from './lay-out.ts';
import { PROJECT } from './release-build.ts';
import { releaseKeyFile } from './release-key.ts';

const { values } = parseArgs({
  options: {
    out: { type: 'string', default: join(PROJECT, '.tmp/image') },
    key: { type: 'string' },
    'no-xz': { type: 'boolean', default: false },
  },
});
const out = values.out;
const say = (line: string) => process.stderr.write(`image: ${line}\n`);
const run = (cmd: string, ...args: string[]) =>
  execFileSync(cmd, args, { encoding: 'utf8', maxBuffer: 256 << 20, stdio: ['ignore', 'pipe', 'pipe'] });
const mib = (bytes: number) => `${(bytes / MiB).toFixed(0)} MiB`;

const started = performance.now();
let lapStart = started;
const laps: [string, number][] = [];
const lap = (what: string, note = '') => {
  const s = (performance.now() - lapStart) / 1000;
  laps.push([what, s]);
  say(`${what}: ${s.toFixed(1)} s${note ? ` (${note})` : ''}`);
  lapStart = performance.now();
};

function preflight(): void {
  if (process.getuid?.() !== 0) throw new Error('run as root: mmdebstrap, chroot and mount need it');
  const missing = [
    'mmdebstrap',
    'mkfs.vfat',
    'mcopy',
    'sfdisk',
    'mkfs.ext4',
    'bmaptool',
    'xz',
    'aarch64-linux-gnu-g++',
    'qemu-aarch64-static',
  ].filter((c) => {
    try {
      run('sh', '-c', `command -v ${c}`);
      return false;
    } catch {
      return true;
    }
  });
  if (missing.length)
    throw new Error(
      `missing ${missing.join(', ')}: apt-get install mmdebstrap dosfstools mtools fdisk e2fsprogs bmap-tools xz-utils crossbuild-essential-arm64 qemu-user-static binfmt-support`,
    );
  // arm64 programs in the root run through binfmt_misc (a fresh CI machine may not have it mounted).
  if (!existsSync('/proc/sys/fs/binfmt_misc/register'))
    run('mount', '-t', 'binfmt_misc', 'binfmt_misc', '/proc/sys/fs/binfmt_misc');
  if (!existsSync('/proc/sys/fs/binfmt_misc/qemu-aarch64')) run('update-binfmts', '--enable', 'qemu-aarch64');
}

const version = (JSON.parse(readFileSync(join(PROJECT, 'package.json'), 'utf8')) as { version: string }).version;
const name = `klubkort-${version}-rpi-arm64`;
const work = join(CACHE, `work-${process.pid}`);
const merged = join(work, 'root');
let mounted = false;

try {
  preflight();
  mkdirSync(out, { recursive: true });
  const base = await imageRoot(say);
  lap(base.built ? 'Debian 13 arm64 root (mmdebstrap)' : 'Debian 13 arm64 root (cache)', base.dir);
  const keyPem = readFileSync(releaseKeyFile(values.key, join(PROJECT, 'release'), say), 'utf8');
  const bundle = await imageBundle(keyPem, say);
  lap(bundle.built ? 'arm64 release bundle (built)' : 'arm64 release bundle (cache)', bundle.file);

  // The cached root stays as it is: the terminal is laid out in an overlay over it.
  rmSync(work, { recursive: true, force: true });
  for (const d of ['upper', 'work', 'root', 'data']) mkdirSync(join(work, d), { recursive: true });
  run(
    'mount',
    '-t',
    'overlay',
    'overlay',
    '-o',
    `lowerdir=${base.dir},upperdir=${join(work, 'upper')},workdir=${join(work, 'work')}`,
    merged,
  );
  mounted = true;
  // The bundle is checked against the release key the image trusts (its own signer's).
  mkdirSync(join(merged, 'etc/klubkort/release-keys'), { recursive: true });
  writeFileSync(join(merged, 'etc/klubkort/release-keys', `klubkort-release-${bundle.keyId}.pub`), bundle.publicKeyPem);
  // In the arm64 root with its own Node: `klubkort update` loads the bundle's arm64 addons.
  const inside = '/tmp/klubkort-release.tar.gz';
  copyFileSync(bundle.file, join(merged, inside));
  try {
    layOut(merged, ['--bundle', inside, '--data-label', DATA_LABEL], say, { inRoot: true });
  } finally {
    rmSync(join(merged, inside), { force: true });
  }
  customise(merged);
  const forbidden = ['usr/bin/gcc', 'usr/bin/cc', 'usr/bin/npm', 'usr/bin/make'].filter((f) =>
    existsSync(join(merged, f)),
  );
  if (forbidden.length) throw new Error(`the image must hold no compiler and no npm: ${forbidden.join(', ')}`);
  lap('terminal laid out (install.sh --root --bundle, image units)');

  // The boot partition: what raspi-firmware put in /boot/firmware (firmware, kernel, initrd, device trees).
  const fw = join(merged, 'boot/firmware');
  writeCmdline(fw);
  const bootImg = join(work, 'boot.vfat');
  run('mkfs.vfat', '-F', '32', '-n', BOOT_LABEL, '-C', bootImg, String(BOOT_MIB * 1024));
  run('mcopy', '-s', '-i', bootImg, ...readdirSync(fw).map((f) => join(fw, f)), '::/');
  for (const f of readdirSync(fw)) rmSync(join(fw, f), { recursive: true, force: true });
  // The data partition: the journal's directory as install.sh makes it, owned by the daemon's user.
  const ids =
    run('chroot', merged, 'id', '-u', 'klubkort').trim() + ':' + run('chroot', merged, 'id', '-g', 'klubkort').trim();
  const dataImg = join(work, 'data.ext4');
  run('mkfs.ext4', '-q', '-F', '-L', DATA_LABEL, '-E', `root_owner=${ids}`, dataImg, `${DATA_MIB}M`);
  // The releases (/opt/klubkort as install.sh laid it out, root's): a partition of their own, written
  // by an update while the root stays read-only; the root keeps an empty directory to mount it on.
  const app = join(merged, 'opt/klubkort');
  const appImg = join(work, 'app.ext4');
  run('mkfs.ext4', '-q', '-F', '-L', APP_LABEL, '-E', 'root_owner=0:0', '-d', app, appImg, `${APP_MIB}M`);
  rmSync(app, { recursive: true, force: true });
  mkdirSync(app, { mode: 0o755 });
  // The root: its files plus room for logs; ext4 made from the directory, no loop device.
  const usedKiB = Number(run('du', '-sk', '--exclude=./proc', '--exclude=./sys', merged).split('\t')[0]);
  const rootMiB = Math.ceil(((usedKiB / 1024) * 1.25) / 64) * 64 + 128;
  const rootImg = join(work, 'root.ext4');
  run('mkfs.ext4', '-q', '-F', '-L', ROOT_LABEL, '-d', merged, rootImg, `${rootMiB}M`);
  lap('file systems (mkfs.vfat + mcopy, mkfs.ext4 -d)', `root ${rootMiB} MiB, ${(usedKiB / 1024).toFixed(0)} MiB used`);

  const l = layout(rootMiB);
  const img = join(out, `${name}.img`);
  rmSync(img, { force: true });
  run('truncate', '-s', `${l.totalMiB}M`, img);
  execFileSync('sfdisk', ['--quiet', img], { input: sfdiskScript(l) });
  for (const [file, start] of [
    [bootImg, l.bootStart],
    [rootImg, l.rootStart],
    [appImg, l.appStart],
    [dataImg, l.dataStart],
  ] as const) {
    run('dd', `if=${file}`, `of=${img}`, 'bs=1M', `seek=${start}`, 'conv=notrunc,sparse', 'status=none');
  }
  lap('disk image (sfdisk, dd)', `${mib(statSync(img).size)}`);

  run('bmaptool', 'create', '-o', `${img.replace(/\.img$/, '.img.bmap')}`, img);
  // The release in the image, beside it: what `klubkort fleet update` announces to tills flashed
  // with an older image (and what the boot test makes its updates from).
  const release = `klubkort-${version}-linux-arm64.tar.gz`;
  copyFileSync(bundle.file, join(out, release));
  const artefacts = [`${name}.img.bmap`, release];
  if (!values['no-xz']) {
    run('xz', '-T0', '-6', '-k', '-f', img);
    artefacts.unshift(`${name}.img.xz`);
  }
  writeFileSync(
    join(out, `${name}.sha256`),
    run('sha256sum', ...artefacts.map((a) => join(out, a))).replaceAll(`${out}/`, ''),
  );
  lap('bmap, xz, SHA-256');
  const total = (performance.now() - started) / 1000;
  for (const a of [`${name}.img`, ...artefacts, `${name}.sha256`])
    say(`${join(out, a)}: ${mib(statSync(join(out, a)).size)}`);
  say(`done in ${total.toFixed(0)} s (${laps.map(([w, s]) => `${w.split(' (')[0]} ${s.toFixed(0)} s`).join(', ')})`);
  process.stdout.write(`${join(out, values['no-xz'] ? `${name}.img` : `${name}.img.xz`)}\n`);
} catch (e) {
  say(`failed: ${(e as Error & { stderr?: string }).stderr?.toString().slice(-3000) || (e as Error).message}`);
  process.exitCode = 1;
} finally {
  if (mounted) run('umount', merged);
  rmSync(work, { recursive: true, force: true });
}
