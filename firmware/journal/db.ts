// Promise wrapper over one sqlite3 connection. Transactions are queued so that statements of two
// async flows never interleave inside one BEGIN…COMMIT.
import sqlite3 from 'sqlite3';
import { systemTimers, type Timers } from '../../lib/timers.ts';

export type Row = Record<string, unknown>;
export type Param = string | number | bigint | Buffer | null;

export interface Queryable {
  run(sql: string, params?: Param[]): Promise<{ changes: number; lastID: number }>;
  get<T = Row>(sql: string, params?: Param[]): Promise<T | undefined>;
  all<T = Row>(sql: string, params?: Param[]): Promise<T[]>;
  exec(sql: string): Promise<void>;
  /**
   * The write under way erased personal data (a closed card, a replaced photo, the UID in an
   * answered outbox entry of a closed card…): once it is committed, a WAL checkpoint (TRUNCATE)
   * follows before the write's promise resolves, once for the whole write (a batch of many).
   */
  erased(): void;
}

interface Prepared {
  ready: Map<string, sqlite3.Statement>;
  pending: Map<string, Promise<sqlite3.Statement>>;
}
/** Counts the writes asked of the connection (shared with the batch views): see `generation`. */
interface Writes {
  n: number;
}
/** Whether the write running erased personal data (shared with the batch views): see `erased`. */
interface Erasure {
  pending: boolean;
}

/** Distinct SQL texts kept prepared; the code has a few dozen, so this only bounds a mistake (past it, statements are prepared per call and finalized by the GC). */
const MAX_PREPARED = 256;

export class Db implements Queryable {
  #db: sqlite3.Database;
  #queue: Promise<unknown> = Promise.resolve();
  /**
   * Prepared statements by SQL text: preparing and finalizing cost more than running a small
   * statement (≈ 100 µs → 35 µs for a lookup by key), and a sale runs a dozen of them.
   */
  #prepared: Prepared;
  #writes: Writes;
  #erasure: Erasure;
  /** True on the view `batch` hands out: its tx() and read() run inside the batch's transaction. */
  #joined: boolean;
  #closed = false;

  private constructor(
    db: sqlite3.Database,
    /** The waits between tries (a checkpoint's, a refused write's). */
    readonly timers: Timers,
    prepared: Prepared = { ready: new Map(), pending: new Map() },
    joined = false,
    writes: Writes = { n: 0 },
    erasure: Erasure = { pending: false },
  ) {
    this.#db = db;
    this.#prepared = prepared;
    this.#writes = writes;
    this.#erasure = erasure;
    this.#joined = joined;
  }

  static open(path: string, timers: Timers = systemTimers): Promise<Db> {
    return new Promise((resolve, reject) => {
      const db = new sqlite3.Database(path, (err) => (err ? reject(err) : resolve(new Db(db, timers))));
    });
  }

  /**
   * Goes up before every write is queued or run (tx, writeOne, writeRows, batch, checkpoint, and
   * any run or exec, which may write): a read asked for while it had a value saw every change made
   * until it changes again, so a caller may keep that read's answer while the generation stands.
   */
  get generation(): number {
    return this.#writes.n;
  }

  run(sql: string, params: Param[] = []): Promise<{ changes: number; lastID: number }> {
    this.#writes.n++;
    return this.#with(
      sql,
      (st) =>
        new Promise((resolve, reject) => {
          st.run(params, function (err) {
            if (err) reject(err);
            else resolve({ changes: this.changes, lastID: this.lastID });
          });
        }),
    );
  }
  /** Runs as `all`: stepping to the end resets the statement, so no read stays open between calls. */
  async get<T = Row>(sql: string, params: Param[] = []): Promise<T | undefined> {
    return (await this.all<T>(sql, params))[0];
  }
  all<T = Row>(sql: string, params: Param[] = []): Promise<T[]> {
    return this.#with(
      sql,
      (st) =>
        new Promise((resolve, reject) => st.all(params, (err, rows) => (err ? reject(err) : resolve(rows as T[])))),
    );
  }
  exec(sql: string): Promise<void> {
    this.#writes.n++;
    return new Promise((resolve, reject) => this.#db.exec(sql, (err) => (err ? reject(err) : resolve())));
  }

  /**
   * Runs `fn` in one IMMEDIATE transaction, queued behind any other. With WAL and synchronous=FULL
   * the COMMIT returns only after the WAL is fsync'd: when this resolves, the change is durable.
   */
  tx<T>(fn: (q: Queryable) => Promise<T>): Promise<T> {
    if (this.#joined) return fn(this);
    return this.#write(async () => {
      await this.run('BEGIN IMMEDIATE');
      try {
        const out = await fn(this);
        await this.run('COMMIT');
        return out;
      } catch (e) {
        await this.exec('ROLLBACK').catch(() => undefined);
        throw e;
      }
    });
  }

  /**
   * One statement as its own transaction (SQLite's autocommit: all of it or nothing, and with WAL
   * + FULL on disk when it returns), queued like tx(). A thread-pool round trip costs about as much
   * as a small statement, so a write that fits one statement saves the two of BEGIN and COMMIT.
   */
  writeOne(sql: string, params: Param[] = []): Promise<{ changes: number; lastID: number }> {
    if (this.#joined) return this.run(sql, params);
    return this.#write(() => this.run(sql, params));
  }

  /** Like writeOne, for a statement with RETURNING: the rows it returned. */
  writeRows<T = Row>(sql: string, params: Param[] = []): Promise<T[]> {
    if (this.#joined) {
      this.#writes.n++;
      return this.all<T>(sql, params);
    }
    return this.#write(() => this.all<T>(sql, params));
  }

  erased(): void {
    this.#erasure.pending = true;
  }

  /**
   * Moves everything into the database file and empties the WAL (`PRAGMA wal_checkpoint(TRUNCATE)`):
   * with secure_delete, erased bytes then exist nowhere. It runs in the write queue, so no
   * transaction of this connection is open meanwhile, and is retried until done: a statement still
   * stepping (SQLITE_LOCKED) or a reader (busy) only delays it. Between tries the queue moves on.
   */
  checkpoint(): Promise<void> {
    return new Promise((resolve) => {
      let tries = 0;
      const attempt = (): void => {
        void this.checkpointOnce().then((done) => {
          if (done) return resolve();
          // Fast at first (a statement finishing), then at most once a second until done.
          this.timers.setTimeout(attempt, Math.min(1000, 2 ** Math.min(tries++, 10)));
        });
      };
      attempt();
    });
  }

  /**
   * One try of `checkpoint`: true when done. False while a statement or reader is in the way, or
   * when the disk is full and the WAL holds pages past the database file's end.
   */
  checkpointOnce(): Promise<boolean> {
    if (this.#joined) throw new Error('checkpoint() inside a transaction');
    return this.#enqueue(async () => {
      // Closed (the daemon stopping): the next open checkpoints first thing.
      if (this.#closed) return true;
      const r = await this.all<{ busy: number }>('PRAGMA wal_checkpoint(TRUNCATE)').catch(() => [{ busy: 1 }]);
      return r[0]?.busy === 0;
    });
  }

  /**
   * Runs the write `job` in the queue; if it erased personal data, checkpoints once it has ended
   * (committed: a write that failed was rolled back and erased nothing).
   */
  async #write<T>(job: () => Promise<T>): Promise<T> {
    let erased = false;
    const out = await this.#enqueue(async () => {
      this.#erasure.pending = false;
      try {
        return await job();
      } finally {
        erased = this.#erasure.pending;
        this.#erasure.pending = false;
      }
    });
    if (erased) await this.checkpoint();
    return out;
  }

  /** Runs `job` after every write queued before it. */
  #enqueue<T>(job: () => Promise<T>): Promise<T> {
    this.#writes.n++;
    const next = this.#queue.then(job);
    this.#queue = next.catch(() => undefined);
    return next;
  }

  /** Waits for queued transactions, so a read sees everything committed before it was asked. */
  async read<T>(fn: (q: Queryable) => Promise<T>): Promise<T> {
    if (this.#joined) return fn(this);
    await this.#queue;
    return fn(this);
  }

  /**
   * Runs `fn` in one transaction (one fsync instead of one per change), handing it a view of this
   * Db whose tx() and read() join that transaction, so code written against a Db (a CardCache, a
   * SalesBook) can be batched unchanged. All of it commits, or none. The view must not run a WAL
   * checkpoint (it cannot inside a transaction; erased() asks for one after the commit), nor outlive `fn`.
   */
  batch<T>(fn: (joined: Db) => Promise<T>): Promise<T> {
    if (this.#joined) return fn(this);
    return this.tx(() => fn(new Db(this.#db, this.timers, this.#prepared, true, this.#writes, this.#erasure)));
  }

  close(): Promise<void> {
    if (this.#joined) throw new Error('close() on a batch view');
    return this.#queue.then(async () => {
      this.#closed = true;
      await Promise.allSettled(this.#prepared.pending.values());
      const stmts = [...this.#prepared.ready.values()];
      this.#prepared.ready.clear();
      await Promise.all(stmts.map((st) => new Promise<void>((resolve) => st.finalize(() => resolve()))));
      await new Promise<void>((resolve, reject) => this.#db.close((err) => (err ? reject(err) : resolve())));
    });
  }

  /** Runs `use` with the prepared statement for `sql` (at once when it is ready: no extra promise hop). */
  #with<T>(sql: string, use: (st: sqlite3.Statement) => Promise<T>): Promise<T> {
    const ready = this.#prepared.ready.get(sql);
    return ready ? use(ready) : this.#prepare(sql).then(use);
  }

  /** Prepares `sql` once; a statement that fails to prepare is not kept (its callers get the error). */
  #prepare(sql: string): Promise<sqlite3.Statement> {
    const { ready, pending } = this.#prepared;
    let p = pending.get(sql);
    if (!p) {
      p = new Promise((resolve, reject) => {
        const st = this.#db.prepare(sql, (err) => (err ? reject(err) : resolve(st)));
      });
      if (ready.size + pending.size < MAX_PREPARED) {
        pending.set(sql, p);
        p.then(
          (st) => {
            ready.set(sql, st);
            pending.delete(sql);
          },
          () => pending.delete(sql),
        );
      }
    }
    return p;
  }
}
