// The image's Debian 13 arm64 root: made by mmdebstrap from Debian's archive alone (qemu-user-static
// runs the arm64 maintainer scripts) and cached in /var/cache/klubkort-image, one per package list:
// the slow part of a build (minutes, most of it emulated dpkg), rebuilt only when the list changes.
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';

export const SUITE = 'trixie';
export const CACHE = process.env.KLUBKORT_IMAGE_CACHE ?? '/var/cache/klubkort-image';
const COMPLETE = '.klubkort-root-complete';
// raspi-firmware (the Pi's boot firmware) and the Pi's Wi-Fi firmware live in non-free-firmware.
const COMPONENTS = 'main,non-free-firmware';

/**
 * What a terminal runs with: Debian's kernel and the Pi's firmware, systemd (networkd, resolved,
 * timesyncd), the kiosk (cage, foot, seatd, a font), the card reader (pcscd, libccid), gpiod,
 * Debian's Node 20, python3 (the sd_notify helper), Wi-Fi, ssh (off unless a key is given), and
 * sfdisk/e2fsprogs to grow the data partition. No compiler, no npm: the bundle brings its addons built.
 */
export const PACKAGES = [
  'linux-image-arm64',
  'raspi-firmware',
  'firmware-brcm80211',
  'initramfs-tools',
  'systemd',
  'systemd-sysv',
  'systemd-resolved',
  'systemd-timesyncd',
  'udev',
  'dbus',
  'passwd',
  'procps',
  'iproute2',
  'kmod',
  'nodejs',
  'python3',
  'ca-certificates',
  'pcscd',
  'libccid',
  'libpcsclite1',
  'pcsc-tools',
  'polkitd',
  'cage',
  'foot',
  'xwayland',
  'seatd',
  'fonts-dejavu-core',
  'kbd',
  'gpiod',
  'wpasupplicant',
  'openssh-server',
  'fdisk',
  'e2fsprogs',
  'dosfstools',
].sort();

export interface ImageRoot {
  dir: string;
  built: boolean;
  key: string;
}

export const rootKey = (): string =>
  createHash('sha256')
    .update(JSON.stringify({ SUITE, COMPONENTS, variant: 'apt', arch: 'arm64', PACKAGES }))
    .digest('hex')
    .slice(0, 16);

/** The cached root for PACKAGES, built first if missing (mmdebstrap with binfmt qemu-aarch64). */
export async function imageRoot(log: (line: string) => void): Promise<ImageRoot> {
  const key = rootKey();
  const dir = join(CACHE, `root-${SUITE}-arm64-${key}`);
  if (existsSync(join(dir, COMPLETE))) return { dir, built: false, key };
  mkdirSync(CACHE, { recursive: true });
  const tmp = `${dir}.tmp-${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  log(`building the arm64 root with mmdebstrap (${PACKAGES.length} packages); minutes under emulation`);
  try {
    await promisify(execFile)(
      'mmdebstrap',
      [
        '--variant=apt',
        '--architectures=arm64',
        `--components=${COMPONENTS}`,
        `--include=${PACKAGES.join(',')}`,
        // raspi-firmware's kernel hook copies the kernel, initrd and device trees into /boot/firmware (the FAT partition's files).
        '--setup-hook=mkdir -p "$1/boot/firmware"',
        SUITE,
        tmp,
      ],
      { maxBuffer: 256 << 20 },
    );
  } catch (e) {
    rmSync(tmp, { recursive: true, force: true });
    const err = e as Error & { stderr?: string };
    throw new Error(
      `mmdebstrap ${SUITE} arm64 failed (Debian packages mmdebstrap, qemu-user-static, binfmt-support): ${err.stderr?.slice(-4000) ?? err.message}`,
    );
  }
  writeFileSync(join(tmp, COMPLETE), `${PACKAGES.join('\n')}\n`);
  rmSync(dir, { recursive: true, force: true });
  renameSync(tmp, dir);
  // Roots of package lists no longer asked for only take room.
  for (const old of readdirSync(CACHE))
    if (old.startsWith('root-') && join(CACHE, old) !== dir && !old.includes('.tmp-'))
      rmSync(join(CACHE, old), { recursive: true, force: true });
  return { dir, built: true, key };
}
