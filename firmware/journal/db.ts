// Promise wrapper over one sqlite3 connection. Transactions are queued so that statements of two
// async flows never interleave inside one BEGIN…COMMIT.
import sqlite3 from 'sqlite3';

export type Row = Record<string, unknown>;
export type Param = string | number | bigint | Buffer | null;

export interface Queryable {
  run(sql: string, params?: Param[]): Promise<{ changes: number; lastID: number }>;
  get<T = Row>(sql: string, params?: Param[]): Promise<T | undefined>;
  all<T = Row>(sql: string, params?: Param[]): Promise<T[]>;
  exec(sql: string): Promise<void>;
}

export class Db implements Queryable {
  #db: sqlite3.Database;
  #queue: Promise<unknown> = Promise.resolve();

  private constructor(db: sqlite3.Database) { this.#db = db; }

  static open(path: string): Promise<Db> {
    return new Promise((resolve, reject) => {
      const db = new sqlite3.Database(path, (err) => (err ? reject(err) : resolve(new Db(db))));
    });
  }

  run(sql: string, params: Param[] = []): Promise<{ changes: number; lastID: number }> {
    return new Promise((resolve, reject) => {
      this.#db.run(sql, params, function (err) {
        if (err) reject(err); else resolve({ changes: this.changes, lastID: this.lastID });
      });
    });
  }
  get<T = Row>(sql: string, params: Param[] = []): Promise<T | undefined> {
    return new Promise((resolve, reject) => this.#db.get(sql, params, (err, row) => (err ? reject(err) : resolve(row as T | undefined))));
  }
  all<T = Row>(sql: string, params: Param[] = []): Promise<T[]> {
    return new Promise((resolve, reject) => this.#db.all(sql, params, (err, rows) => (err ? reject(err) : resolve(rows as T[]))));
  }
  exec(sql: string): Promise<void> {
    return new Promise((resolve, reject) => this.#db.exec(sql, (err) => (err ? reject(err) : resolve())));
  }

  /**
   * Runs `fn` in one IMMEDIATE transaction, queued behind any other. With WAL and synchronous=FULL
   * the COMMIT returns only after the WAL is fsync'd: when this resolves, the change is durable.
   */
  tx<T>(fn: (q: Queryable) => Promise<T>): Promise<T> {
    const next = this.#queue.then(async () => {
      await this.exec('BEGIN IMMEDIATE');
      try {
        const out = await fn(this);
        await this.exec('COMMIT');
        return out;
      } catch (e) {
        await this.exec('ROLLBACK').catch(() => undefined);
        throw e;
      }
    });
    this.#queue = next.catch(() => undefined);
    return next;
  }

  /** Waits for queued transactions, so a read sees everything committed before it was asked. */
  async read<T>(fn: (q: Queryable) => Promise<T>): Promise<T> {
    await this.#queue;
    return fn(this);
  }

  close(): Promise<void> {
    return this.#queue.then(() => new Promise<void>((resolve, reject) => this.#db.close((err) => (err ? reject(err) : resolve()))));
  }
}
