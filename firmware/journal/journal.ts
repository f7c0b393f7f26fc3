// Opens the terminal's SQLite journal with the durability settings the money rules need.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { Db } from './db.ts';
import { migrate, JournalTooNewError } from './migrations.ts';
import { CardCache } from './card-cache.ts';
import { SalesBook } from './sales-book.ts';
import { PreparedPhotos } from './prepared-photos.ts';
import { ErasureRetry, isDiskFull } from './erasure-retry.ts';
import { readCardMoney, type CardMoney } from './card-money.ts';
import { systemTimers, type Timers } from '../../lib/timers.ts';

const TERMINAL_ID = 'terminal_id';

/**
 * The journal was made for another terminal (an SD card image cloned for a second till): its
 * sales are that terminal's, which the ledger refuses from this one, so it is left as it is.
 */
export class JournalOwnerError extends Error {
  override name = 'JournalOwnerError';
}

/** The last card money read, while no write since could have changed it (Db.generation). */
interface MoneyRead {
  uid: string;
  dayMark: number | null;
  generation: number;
  value: CardMoney | null;
}

export class Journal {
  #lastMoney: MoneyRead | null = null;

  private constructor(
    readonly db: Db,
    readonly cards: CardCache,
    readonly sales: SalesBook,
    /** Photos prepared ahead for the screen (the display fills and reads them). */
    readonly prepared: PreparedPhotos,
    erasure: ErasureRetry | null = null,
  ) {
    this.#erasure = erasure;
  }

  readonly #erasure: ErasureRetry | null;

  /** `terminalId`: the terminal opening it; a journal records the one it was made for and opens for no other. */
  /** `timers`: the waits between tries of a checkpoint or a refused write (the daemon's clock's). */
  static async open(dataDir: string, terminalId?: string, timers: Timers = systemTimers): Promise<Journal> {
    mkdirSync(dataDir, { recursive: true, mode: 0o700 });
    const file = join(dataDir, 'journal.db');
    const db = await Db.open(file, timers);
    // WAL + FULL: a COMMIT is on disk (fsync'd) before it returns. secure_delete: erased
    // personal data is overwritten, not just unlinked from the b-tree. A page cache of 512 KiB, not
    // SQLite's 2 MiB: a sale reads a few pages by key, and a synced club filled all 2 MiB (issue 28:
    // the daemon's memory with 10,000 cards cached).
    await db.exec(
      'PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; PRAGMA secure_delete = ON; PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 5000; PRAGMA cache_size = -512;',
    );
    // Before any migration: a journal of another terminal is not changed at all.
    const owner = terminalId === undefined ? null : await journalOwner(db);
    if (owner !== null && owner !== terminalId) {
      await db.close();
      throw new JournalOwnerError(
        `the journal ${file} belongs to terminal ${owner}, not ${terminalId}: it was copied from another terminal; ` +
          'it is left unchanged (move it away to start this terminal with an empty journal)',
      );
    }
    try {
      await migrate(db);
    } catch (e) {
      await db.close();
      if (e instanceof JournalTooNewError) throw new JournalTooNewError(`${file}: ${e.message}`);
      throw e;
    }
    if (terminalId !== undefined && owner === null)
      await db.run('INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)', [TERMINAL_ID, terminalId]);
    // A roster's chunked erasure cut by a crash: the cards it left out go before anything reads
    // them. On a full disk they stay closed to every sale, and the erasure waits for room.
    const prepared = new PreparedPhotos(db);
    const cards = new CardCache(db, () => prepared.stored());
    let retry: ErasureRetry | null = null;
    try {
      await cards.eraseLeftOff();
    } catch (e) {
      if (!isDiskFull(e)) {
        await db.close();
        throw e;
      }
      retry = new ErasureRetry(() => cards.eraseLeftOff(), db.timers);
    }
    // An erasure committed just before a power cut may still have the erased bytes in the WAL's
    // older frames: move everything into the database file and empty the WAL now. On a full disk
    // (the WAL holding pages past the file's end) it goes on in the background, once a second:
    // waiting for it here kept the terminal from starting at all.
    if (!(await db.checkpointOnce())) void db.checkpoint();
    return new Journal(db, cards, new SalesBook(db), prepared, retry);
  }

  /** A roster's erasure that the full disk cut short at the open is still waiting for room. */
  get erasureWaiting(): boolean {
    return this.#erasure?.pending ?? false;
  }

  /**
   * A card's record with its unbooked money and the offline exposure, in one read; `dayMark`:
   * also the business day's part of the unbooked money, for a card with a daily limit. The answer
   * is frozen and kept: asked again before any write (the approval right after the tap's read), it
   * is the same, and a read after an idle moment cost a third of the approval's wait.
   */
  async cardMoney(uid: string, dayMark: number | null = null): Promise<CardMoney | null> {
    const generation = this.db.generation;
    const last = this.#lastMoney;
    if (last && last.uid === uid && last.dayMark === dayMark && last.generation === generation) return last.value;
    const value = deepFreeze(await readCardMoney(this.db, uid, dayMark));
    this.#lastMoney = { uid, dayMark, generation, value };
    return value;
  }

  async meta(key: string): Promise<string | null> {
    const r = await this.db.read((q) => q.get<{ value: string }>('SELECT value FROM meta WHERE key = ?', [key]));
    return r?.value ?? null;
  }

  async setMeta(key: string, value: string): Promise<void> {
    await this.db.tx((q) => q.run('INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)', [key, value]));
  }

  close(): Promise<void> {
    this.sales.stop();
    this.#erasure?.stop();
    return this.db.close();
  }
}

/** Frozen all through: an answer handed to two callers must not be changed by one of them. */
function deepFreeze<T>(v: T): T {
  if (v !== null && typeof v === 'object' && !Object.isFrozen(v)) {
    for (const x of Object.values(v)) deepFreeze(x);
    Object.freeze(v);
  }
  return v;
}

/** The terminal a journal was made for; null for a new journal (or one from before this was kept). */
async function journalOwner(db: Db): Promise<string | null> {
  const v = await db.get<{ user_version: number }>('PRAGMA user_version');
  if (!v?.user_version) return null;
  return (await db.get<{ value: string }>('SELECT value FROM meta WHERE key = ?', [TERMINAL_ID]))?.value ?? null;
}
