// A real full disk for a test: a small tmpfs (we are root, as CI is) mounted on a directory, and
// a file that takes every free byte of it until freed again. The kernel says ENOSPC, SQLite
// SQLITE_FULL, as on a terminal whose SD card filled up.
import { execFileSync } from 'node:child_process';
import { closeSync, mkdirSync, openSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import type { ExecutionContext } from 'ava';

export interface SmallDisk {
  dir: string;
  /** Writes a file until the disk is full. */
  fill(): void;
  /** Deletes that file again. */
  free(): void;
}

/** Mounts a tmpfs of `size` (mount's syntax, e.g. '4m') on `dir`; unmounted (lazily) at the end of the test. */
export function smallDisk(t: ExecutionContext, dir: string, size = '4m'): SmallDisk {
  mkdirSync(dir, { recursive: true });
  execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', dir]);
  // Lazily: whatever still has a file open there (a terminal being stopped) keeps it until it closes.
  t.teardown(() => { execFileSync('umount', ['-l', dir]); });
  const filler = join(dir, 'filler');
  return {
    dir,
    fill() {
      const fd = openSync(filler, 'a');
      const chunk = Buffer.alloc(4096);
      try {
        for (;;) writeSync(fd, chunk);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOSPC') throw err;
      } finally {
        closeSync(fd);
      }
    },
    free() { rmSync(filler, { force: true }); },
  };
}
