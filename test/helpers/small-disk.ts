// A real full disk: a small tmpfs of its own (we are root, CI runs as root), filled by a file until
// the kernel says ENOSPC (SQLite: SQLITE_FULL, as on a terminal whose SD card filled up), and given
// room again by deleting that file. Unmounted when the test ends.
import { execFileSync } from 'node:child_process';
import { closeSync, mkdirSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ExecutionContext } from 'ava';

export interface SmallDisk {
  /** The mount point. */
  dir: string;
  /** Fills the disk to the last byte; returns how many bytes the filler took. */
  fill(): number;
  /** Deletes the filler: the disk has room again. */
  free(): void;
}

const CHUNK = Buffer.alloc(64 * 1024, 0x55);

/**
 * Mounts a `sizeMb` tmpfs for this test, on `at` (made if missing) or a fresh temporary directory.
 * Register it before anything that opens files in it: ava runs teardowns last-registered first,
 * so whatever was opened there is closed before the unmount.
 */
export function smallDisk(t: Pick<ExecutionContext, 'teardown'>, at?: string, sizeMb = 4): SmallDisk {
  const dir = at ?? mkdtempSync(join(tmpdir(), 'klubkort-full-'));
  mkdirSync(dir, { recursive: true });
  execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${sizeMb}m,mode=0700`, 'tmpfs', dir]);
  const filler = join(dir, 'filler');
  t.teardown(() => {
    try {
      execFileSync('umount', [dir]);
    } catch {
      // Something still holds a file there (a terminal being stopped, a test that failed half-way): detach it anyway.
      execFileSync('umount', ['-l', dir]);
    } finally {
      if (!at) rmSync(dir, { recursive: true, force: true });
    }
  });
  return {
    dir,
    fill() {
      const fd = openSync(filler, 'a');
      let n = 0;
      // Whole chunks, then what is left byte by byte, until not one more fits.
      const write = (size: number): boolean => {
        try {
          n += writeSync(fd, CHUNK, 0, size);
          return true;
        } catch (e) {
          if ((e as NodeJS.ErrnoException).code === 'ENOSPC') return false;
          throw e;
        }
      };
      try {
        while (write(CHUNK.length));
        while (write(1));
      } finally {
        closeSync(fd);
      }
      return n;
    },
    free() {
      rmSync(filler, { force: true });
    },
  };
}
