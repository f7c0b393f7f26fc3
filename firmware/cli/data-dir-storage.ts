// Where the journal of sales lives must survive a power cut. raspi-config's overlay file system
// (and any tmpfs) keeps writes in RAM: every sale since boot would vanish at the next reboot,
// fsync or not. The daemon refuses such a data directory at start (docs/deploy.md, "Read-only root").
import { readFileSync, realpathSync } from 'node:fs';
import { dirname } from 'node:path';

export interface Mount {
  mountPoint: string;
  fsType: string;
  superOptions: string;
}

const VOLATILE = new Set(['tmpfs', 'ramfs']);

/** /proc/self/mountinfo, one mount a line: "id parent maj:min root mountpoint opts [tags] - fstype source superopts". */
export function parseMountinfo(text: string): Mount[] {
  const unescapeOctal = (s: string) => s.replace(/\\(\d{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));
  return text
    .split('\n')
    .filter(Boolean)
    .flatMap((line) => {
      const [pre, post] = line.split(' - ');
      const f = pre?.split(' ');
      const g = post?.split(' ');
      if (!f || f.length < 5 || !g || g.length < 3) return [];
      return [{ mountPoint: unescapeOctal(f[4]), fsType: g[0], superOptions: g[2] }];
    });
}

/** The mount holding `path` (the last one mounted over it wins). */
export function mountOf(path: string, mounts: Mount[]): Mount | undefined {
  const inside = (m: Mount) => m.mountPoint === '/' || path === m.mountPoint || path.startsWith(`${m.mountPoint}/`);
  return mounts.reduce<Mount | undefined>(
    (best, m) => (inside(m) && (!best || m.mountPoint.length >= best.mountPoint.length) ? m : best),
    undefined,
  );
}

/** Why `dir` would lose its contents at power-off, or null. `dir` is a real (resolved) path. */
export function volatileStorage(dir: string, mounts: Mount[]): string | null {
  const m = mountOf(dir, mounts);
  if (!m) return null;
  if (VOLATILE.has(m.fsType)) return `${dir} is on a ${m.fsType} (mounted at ${m.mountPoint}), which lives in RAM`;
  if (m.fsType !== 'overlay') return null;
  const upper = /(?:^|,)upperdir=([^,]+)/.exec(m.superOptions)?.[1];
  const under = upper ? mountOf(upper, mounts) : undefined;
  // An upper dir not visible here (a container's, on the host's disk) is not judged.
  if (!upper || !under || !VOLATILE.has(under.fsType)) return null;
  return `${dir} is on an overlay file system (mounted at ${m.mountPoint}) whose changes go to ${upper} on a ${under.fsType}, which lives in RAM (raspi-config's overlay file system?)`;
}

export const VOLATILE_FIX =
  'put the data directory on a writable partition that the overlay does not cover (docs/deploy.md, "Read-only root")';

/** The check for a real directory on this machine. */
export function checkDataDirStorage(dir: string, mountinfo = '/proc/self/mountinfo'): string | null {
  let text: string;
  try {
    text = readFileSync(mountinfo, 'utf8');
  } catch {
    return null; // not Linux: nothing to judge by
  }
  return volatileStorage(existingRealPath(dir), parseMountinfo(text));
}

/**
 * The resolved path of `dir`, or of its nearest existing parent when it is not made yet (the
 * selftest runs before the daemon ever created it): the new directory lands on that mount.
 */
export function existingRealPath(dir: string): string {
  for (let p = dir; ; p = dirname(p)) {
    try {
      return realpathSync(p);
    } catch (e) {
      if (dirname(p) === p || (e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    }
  }
}
