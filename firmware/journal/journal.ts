// Opens the terminal's SQLite journal with the durability settings the money rules need.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { Db } from './db.ts';
import { migrate } from './migrations.ts';
import { CardCache } from './card-cache.ts';
import { SalesBook } from './sales-book.ts';
import { readCardMoney, type CardMoney } from './card-money.ts';

export class Journal {
  private constructor(readonly db: Db, readonly cards: CardCache, readonly sales: SalesBook) {}

  static async open(dataDir: string): Promise<Journal> {
    mkdirSync(dataDir, { recursive: true, mode: 0o700 });
    const db = await Db.open(join(dataDir, 'journal.db'));
    // WAL + FULL: a COMMIT is on disk (fsync'd) before it returns. secure_delete: erased
    // personal data is overwritten, not just unlinked from the b-tree.
    await db.exec('PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; PRAGMA secure_delete = ON; PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 5000;');
    await migrate(db);
    // An erasure committed just before a power cut may still have the erased bytes in the WAL's
    // older frames: move everything into the database file and empty the WAL now.
    await db.exec('PRAGMA wal_checkpoint(TRUNCATE)');
    return new Journal(db, new CardCache(db), new SalesBook(db));
  }

  /** A card's record with its unbooked money and the offline exposure, in one read. */
  /** `todaySince` (1.1): also today's part of the unbooked money, for a card with a daily limit. */
  cardMoney(uid: string, todaySince: string | null = null): Promise<CardMoney | null> { return readCardMoney(this.db, uid, todaySince); }

  async meta(key: string): Promise<string | null> {
    const r = await this.db.read((q) => q.get<{ value: string }>('SELECT value FROM meta WHERE key = ?', [key]));
    return r?.value ?? null;
  }

  async setMeta(key: string, value: string): Promise<void> {
    await this.db.tx((q) => q.run('INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)', [key, value]));
  }

  close(): Promise<void> { return this.db.close(); }
}
