// SD-card storage for the bench: an LD_PRELOAD shim, compiled at bench time with the machine's cc,
// that makes every fsync and fdatasync cost what an SD card's does (KLUBKORT_FSYNC_DELAY_US, slept
// with nanosleep before the real call) and counts them in a small shared file, those of SQLite's
// write-ahead logs apart: a commit in WAL mode is one sync of the -wal file, so that count is the
// commits. Faithful where it matters here: SQLite (WAL, synchronous=FULL) waits for exactly these
// calls (strace -f -e trace=fsync,fdatasync on a journal's commits and checkpoint shows fsync only:
// one on journal.db-wal per commit, and journal.db's at a checkpoint; fdatasync is shimmed too for
// another build of SQLite). The writes themselves stay as fast as the page cache makes them, as on
// an SD card, whose cost is the flush. (A FUSE passthrough would add a context switch to every
// read and write as well, which an SD card does not have.)
import { execFileSync } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, writeFileSync, fsyncSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { median, msSince, now } from './stats.ts';

const SOURCE = `
#define _GNU_SOURCE
#include <dlfcn.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

static long delay_us = -1;
static uint64_t *counts; /* [0] every sync, [1] syncs of a -wal file */

static void setup(void) {
  if (delay_us >= 0) return;
  const char *d = getenv("KLUBKORT_FSYNC_DELAY_US");
  delay_us = d ? atol(d) : 0;
  const char *f = getenv("KLUBKORT_FSYNC_COUNTS");
  if (f) {
    int fd = open(f, O_RDWR);
    if (fd >= 0) {
      void *m = mmap(NULL, 16, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
      if (m != MAP_FAILED) counts = m;
      close(fd);
    }
  }
}

static void before(int fd) {
  setup();
  if (counts) {
    char link[64], path[4096];
    snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
    ssize_t n = readlink(link, path, sizeof path - 1);
    __atomic_fetch_add(&counts[0], 1, __ATOMIC_RELAXED);
    if (n > 4 && memcmp(path + n - 4, "-wal", 4) == 0) __atomic_fetch_add(&counts[1], 1, __ATOMIC_RELAXED);
  }
  if (delay_us > 0) {
    struct timespec ts = { delay_us / 1000000, (delay_us % 1000000) * 1000 };
    while (nanosleep(&ts, &ts) != 0) {}
  }
}

int fsync(int fd) {
  static int (*real)(int);
  if (!real) real = dlsym(RTLD_NEXT, "fsync");
  before(fd);
  return real(fd);
}

int fdatasync(int fd) {
  static int (*real)(int);
  if (!real) real = dlsym(RTLD_NEXT, "fdatasync");
  before(fd);
  return real(fd);
}
`;

export interface SlowFsync {
  /** The environment that puts a process on it. */
  env: Record<string, string>;
  /** Syncs so far (all of them, and of SQLite's -wal files: the commits). */
  counts(): { all: number; wal: number };
}

/** Builds the shim into `dir` (cc, once) and a counter file; `delayUs` per fsync. */
export function slowFsync(dir: string, delayUs: number): SlowFsync {
  mkdirSync(dir, { recursive: true });
  const so = join(dir, 'slow-fsync.so');
  if (!existsSync(so)) {
    writeFileSync(join(dir, 'slow-fsync.c'), SOURCE);
    execFileSync('cc', ['-O2', '-shared', '-fPIC', '-o', so, join(dir, 'slow-fsync.c'), '-ldl'], { stdio: 'inherit' });
  }
  const countsFile = join(dir, 'fsync-counts');
  writeFileSync(countsFile, Buffer.alloc(16));
  return {
    env: { LD_PRELOAD: so, KLUBKORT_FSYNC_DELAY_US: String(delayUs), KLUBKORT_FSYNC_COUNTS: countsFile },
    counts: () => fsyncCounts(countsFile),
  };
}

/** Reads the counter file a shimmed process updates (from any process). */
export function fsyncCounts(file: string): { all: number; wal: number } {
  const b = readFileSync(file);
  return { all: Number(b.readBigUInt64LE(0)), wal: Number(b.readBigUInt64LE(8)) };
}

/** One fsync of a small write on `dir`'s file system, timed `n` times: the floor of a durable step there; median ms. */
export function oneFsync(dir: string, n = 30): number {
  const fd = openSync(join(dir, 'fsync-probe'), 'w');
  try {
    const ms: number[] = [];
    for (let i = 0; i < n; i++) {
      writeSync(fd, 'x'.repeat(100));
      const t = now();
      fsyncSync(fd);
      ms.push(msSince(t));
    }
    return median(ms);
  } finally {
    closeSync(fd);
  }
}
