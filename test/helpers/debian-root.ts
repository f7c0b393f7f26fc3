// A Debian root to boot klubkort.service in under a real systemd (test/system/unit-nspawn.test.ts): made by
// mmdebstrap from Debian's archive with the packages install.sh puts on a terminal, and kept in
// /var/cache/klubkort-test, one per suite and package list. The first run builds it (40–120 s,
// about 610 MB, most of it the download); later runs reuse it under an overlay, unchanged.
// Debian 13 as on the terminal: its nodejs is 20 (Debian 12's 18 cannot run the daemon), its
// systemd 257 boots in systemd-nspawn here with a unified cgroup hierarchy of its own.
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';

export const SUITE = 'trixie';
const CACHE = '/var/cache/klubkort-test';
const COMPLETE = '.klubkort-root-complete';
// install.sh's list holds what `npm ci` needs to compile (the test brings node_modules instead).
const BUILD_ONLY = new Set(['build-essential', 'libpcsclite-dev']);
// What install.sh finds on Raspberry Pi OS, or installs itself (nodejs), and what the test uses
// (procps: pgrep; mosquitto: the club's broker, on the container's own loopback).
const BASE = ['systemd', 'systemd-sysv', 'dbus', 'passwd', 'nodejs', 'procps', 'mosquitto'];

/** The packages of `packages=(…)` in install.sh that a terminal runs with. */
export function installShPackages(installSh: string): string[] {
  const list = /^packages=\(([^)]*)\)/m.exec(readFileSync(installSh, 'utf8'))?.[1];
  if (!list) throw new Error(`${installSh}: no packages=(…) line`);
  return list.split(/\s+/).filter((p) => p && !BUILD_ONLY.has(p));
}

export interface DebianRoot {
  dir: string;
  built: boolean;
  packages: string[];
}

/** The cached root for these packages, built first if missing. */
export async function debianRoot(installSh: string, log: (line: string) => void): Promise<DebianRoot> {
  const packages = [...new Set([...BASE, ...installShPackages(installSh)])].sort();
  const key = createHash('sha256')
    .update(`${SUITE} apt ${packages.join(',')}`)
    .digest('hex')
    .slice(0, 16);
  const dir = join(CACHE, `debian-${SUITE}-${key}`);
  if (existsSync(join(dir, COMPLETE))) return { dir, built: false, packages };
  mkdirSync(CACHE, { recursive: true });
  rmSync(dir, { recursive: true, force: true });
  const tmp = `${dir}.tmp-${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  log(`building ${dir} with mmdebstrap (${packages.join(' ')})`);
  try {
    await promisify(execFile)('mmdebstrap', ['--variant=apt', `--include=${packages.join(',')}`, SUITE, tmp], {
      maxBuffer: 64 << 20,
    });
  } catch (e) {
    rmSync(tmp, { recursive: true, force: true });
    const err = e as Error & { stderr?: string };
    throw new Error(
      `mmdebstrap ${SUITE} failed (Debian packages mmdebstrap, systemd-container): ${err.stderr?.slice(-3000) ?? err.message}`,
    );
  }
  writeFileSync(join(tmp, COMPLETE), `${packages.join('\n')}\n`);
  renameSync(tmp, dir);
  // Roots for lists of packages no longer asked for only take room.
  for (const old of readdirSync(CACHE))
    if (old.startsWith('debian-') && join(CACHE, old) !== dir)
      rmSync(join(CACHE, old), { recursive: true, force: true });
  return { dir, built: true, packages };
}
