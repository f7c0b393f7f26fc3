// One daemon per data dir: an exclusive lock held for the daemon's life. A second daemon on the
// same dir would take the broker session and the control socket from the first. The lock is
// SQLite's on a file of its own (fcntl, released by the kernel when the process dies, also by
// SIGKILL or a power cut), so a crashed daemon never leaves a stale lock behind.
import { join } from 'node:path';
import sqlite3 from 'sqlite3';

export const LOCK_FILE = 'daemon.lock';

/** Another daemon runs with this data dir: exit 75 (EX_TEMPFAIL) at once, touching nothing. */
export class DataDirLockedError extends Error {
  override name = 'DataDirLockedError';
}

export interface DataDirLock {
  release(): Promise<void>;
}

export async function lockDataDir(dataDir: string): Promise<DataDirLock> {
  const file = join(dataDir, LOCK_FILE);
  const db = await new Promise<sqlite3.Database>((resolve, reject) => {
    const d = new sqlite3.Database(file, (err) => (err ? reject(err) : resolve(d)));
  });
  const exec = (sql: string) =>
    new Promise<void>((resolve, reject) => db.exec(sql, (err) => (err ? reject(err) : resolve())));
  try {
    // busy_timeout 0: a held lock answers SQLITE_BUSY at once instead of waiting for it.
    await exec('PRAGMA busy_timeout = 0; PRAGMA locking_mode = EXCLUSIVE; BEGIN EXCLUSIVE;');
  } catch (e) {
    await new Promise<void>((resolve) => db.close(() => resolve()));
    if ((e as { code?: string }).code === 'SQLITE_BUSY') {
      throw new DataDirLockedError(
        `another klubkort daemon is running with data dir ${dataDir}; this one exits and changes nothing`,
      );
    }
    throw e;
  }
  return { release: () => new Promise<void>((resolve) => db.close(() => resolve())) };
}
