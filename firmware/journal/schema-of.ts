// A journal's schema as the release installer needs it, read without changing the file (and
// without creating one where there is none).
import { existsSync } from 'node:fs';
import { Db } from './db.ts';
import { READABLE_BY_KEY } from './migrations.ts';

/** The journal's schema (PRAGMA user_version) and the `readableBy` its last migration left; null: no journal. */
export async function journalSchemaOf(file: string): Promise<{ version: number; readableBy: number | null } | null> {
  if (!existsSync(file)) return null;
  const db = await Db.open(file);
  try {
    const version = (await db.get<{ user_version: number }>('PRAGMA user_version'))?.user_version ?? 0;
    // No meta table before the first migration, no mark before this release's migrate().
    const mark =
      version > 0
        ? await db
            .get<{ value: string }>('SELECT value FROM meta WHERE key = ?', [READABLE_BY_KEY])
            .catch(() => undefined)
        : undefined;
    return { version, readableBy: mark ? Number(mark.value) : null };
  } finally {
    await db.close();
  }
}
