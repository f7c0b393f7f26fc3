// What makes the Debian root a flashable terminal, on top of what install.sh lays out: the card's
// file systems (fstab), a read-only root with /var in RAM (systemd.volatile=state), the releases and
// the journal of sales each on a partition of its own, the first-boot and grow units, the network, ssh keys only, no
// password login, no host keys baked in (every terminal makes its own), and the boot files' cmdline.
import { execFileSync } from 'node:child_process';
import {
  chmodSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join } from 'node:path';
import { APP_LABEL, BOOT_LABEL, DATA_LABEL, ROOT_LABEL } from './layout.ts';

const FILES = new URL('files/', import.meta.url).pathname;

/** The kernel command line of the image (cmdline.txt): the serial console and tty1, the root read-only. */
export const CMDLINE = `console=serial0,115200 console=tty1 root=LABEL=${ROOT_LABEL} rootfstype=ext4 ro rootwait fsck.repair=yes systemd.volatile=state quiet`;

const put = (root: string, path: string, text: string, mode = 0o644) => {
  mkdirSync(dirname(join(root, path)), { recursive: true });
  writeFileSync(join(root, path), text, { mode });
  chmodSync(join(root, path), mode);
};
const copy = (root: string, file: string, path: string, mode = 0o644) => {
  mkdirSync(dirname(join(root, path)), { recursive: true });
  copyFileSync(join(FILES, file), join(root, path));
  chmodSync(join(root, path), mode);
};
const systemctl = (root: string, ...args: string[]) =>
  execFileSync('systemctl', [`--root=${root}`, ...args], { stdio: 'ignore' });

export function customise(root: string): void {
  // fstab: / read-only and the boot partition, before the data partition's line that install.sh
  // wrote (--data-label), which stays.
  const fstab = join(root, 'etc/fstab');
  const kept = (existsSync(fstab) ? readFileSync(fstab, 'utf8') : '')
    .split('\n')
    .filter((l) => l.trim() && !l.startsWith('#') && !/^\S+\s+(\/|\/boot\/firmware|\/opt\/klubkort)\s/.test(l));
  if (!kept.some((l) => l.includes(`LABEL=${DATA_LABEL} /var/lib/klubkort `)))
    throw new Error('install.sh --data-label wrote no fstab line for the data partition');
  put(
    root,
    'etc/fstab',
    [
      `LABEL=${ROOT_LABEL} / ext4 ro,noatime 0 1`,
      // umask 0077: the first-boot files (a private key until taken in) are root's alone.
      `LABEL=${BOOT_LABEL} /boot/firmware vfat rw,noatime,umask=0077,flush 0 2`,
      // The releases: writable, so that an update (root's klubkort-update.service) and a rollback can
      // switch them; the daemon's unit sees /opt read-only (ProtectSystem=strict) all the same. Not
      // noexec: the releases' native addons are mapped executable.
      `LABEL=${APP_LABEL} /opt/klubkort ext4 rw,noatime,nodev,nosuid 0 2`,
      ...kept,
      '',
    ].join('\n'),
  );
  put(root, 'etc/hostname', 'klubkort\n');
  put(root, 'etc/hosts', '127.0.0.1 localhost\n127.0.1.1 klubkort\n::1 localhost ip6-localhost ip6-loopback\n');
  // Every terminal its own machine id: empty, systemd makes a transient one at boot, which the first
  // boot commits (klubkort-firstboot.service). Not "uninitialized": that would run systemd's
  // first-boot presets against a read-only root.
  put(root, 'etc/machine-id', '');
  rmSync(join(root, 'var/lib/dbus/machine-id'), { force: true });

  copy(root, 'klubkort-firstboot.service', 'etc/systemd/system/klubkort-firstboot.service');
  copy(root, 'klubkort-grow-data.service', 'etc/systemd/system/klubkort-grow-data.service');
  copy(root, 'klubkort-grow-data', 'usr/local/sbin/klubkort-grow-data', 0o755);
  copy(root, '20-wired.network', 'etc/systemd/network/20-wired.network');
  copy(root, '25-wireless.network', 'etc/systemd/network/25-wireless.network');
  copy(root, 'sshd-klubkort.conf', 'etc/ssh/sshd_config.d/klubkort.conf');
  systemctl(
    root,
    'enable',
    'klubkort-firstboot.service',
    'klubkort-grow-data.service',
    'systemd-networkd.service',
    'systemd-resolved.service',
    'systemd-timesyncd.service',
  );
  // ssh only when the first-boot files bring a key (klubkort firstboot enables it).
  systemctl(root, 'disable', 'ssh.service');
  if (
    existsSync(join(root, 'lib/systemd/system/ssh.socket')) ||
    existsSync(join(root, 'usr/lib/systemd/system/ssh.socket'))
  )
    systemctl(root, 'disable', 'ssh.socket');
  // Timers that write to a read-only root or reach for the archive are of no use on a till.
  for (const t of [
    'apt-daily.timer',
    'apt-daily-upgrade.timer',
    'e2scrub_all.timer',
    'fstrim.timer',
    'dpkg-db-backup.timer',
  ]) {
    try {
      systemctl(root, 'disable', t);
    } catch {
      /* not installed */
    }
  }
  for (const f of readdirSync(join(root, 'etc/ssh')).filter((n) => n.startsWith('ssh_host_')))
    rmSync(join(root, 'etc/ssh', f));
  // No password login for anybody: root's is locked (ssh takes keys only).
  execFileSync('chroot', [root, 'usermod', '--lock', 'root']);
  rmSync(join(root, 'etc/resolv.conf'), { force: true });
  execFileSync('ln', ['-s', '../run/systemd/resolve/stub-resolv.conf', join(root, 'etc/resolv.conf')]);
  // The image's release counts as proved (the image is booted in the tests before it ships): the
  // till's commit at start then writes nothing to the read-only root.
  const app = join(root, 'opt/klubkort');
  if (!existsSync(join(app, 'committed'))) symlinkSync(readlinkSync(join(app, 'current')), join(app, 'committed'));
  // The data partition is mounted over /var/lib/klubkort; its own root directory carries owner and mode.
  mkdirSync(join(root, 'var/lib/klubkort'), { recursive: true });
}

/** The kernel command line the boot partition hands the kernel. */
export function writeCmdline(bootDir: string): void {
  writeFileSync(join(bootDir, 'cmdline.txt'), `${CMDLINE}\n`);
}
