// The floors that targets are judged against, measured in the same run as the figure: a bare
// fsync'd insert (the one durable step a sale must wait for) and a bare bulk insert of the rows and
// photos a card sync stores. Straight on sqlite3, with the journal's WAL + synchronous=FULL.
import sqlite3 from 'sqlite3';
import { msSince, now } from './stats.ts';

function open(path: string): Promise<sqlite3.Database> {
  return new Promise((resolve, reject) => {
    const d = new sqlite3.Database(path, (err) => (err ? reject(err) : resolve(d)));
  });
}

const execOn = (db: sqlite3.Database) => (sql: string) =>
  new Promise<void>((resolve, reject) => db.exec(sql, (err) => (err ? reject(err) : resolve())));
const runOn = (st: sqlite3.Statement) => (params: unknown[]) =>
  new Promise<void>((resolve, reject) => st.run(params, (err) => (err ? reject(err) : resolve())));
const finalize = (st: sqlite3.Statement) => new Promise<void>((resolve) => st.finalize(() => resolve()));
const close = (db: sqlite3.Database) => new Promise<void>((resolve) => db.close(() => resolve()));

/** BEGIN; one prepared INSERT of a sale-sized row; COMMIT — timed one at a time. */
export class BareInsert {
  private constructor(
    private readonly db: sqlite3.Database,
    private readonly st: sqlite3.Statement,
  ) {}

  static async open(path: string): Promise<BareInsert> {
    const db = await open(path);
    await execOn(db)(
      'PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; CREATE TABLE t (id INTEGER PRIMARY KEY, payload TEXT NOT NULL)',
    );
    return new BareInsert(db, db.prepare('INSERT INTO t (payload) VALUES (?)'));
  }

  /** One durable insert; its time in ms. */
  async once(payload: string): Promise<number> {
    const exec = execOn(this.db);
    const t = now();
    await exec('BEGIN IMMEDIATE');
    await runOn(this.st)([payload]);
    await exec('COMMIT');
    return msSince(t);
  }

  async close(): Promise<void> {
    await finalize(this.st);
    await close(this.db);
  }
}

/**
 * The same card rows and photos a sync stores, inserted with prepared statements in transactions
 * of `batch` (the sync's own batch size, so both pay the same number of fsyncs); seconds.
 */
export async function bareBulkInsert(
  path: string,
  rows: { cards: unknown[][]; photos: [string, Buffer][] },
  batch: number,
): Promise<number> {
  const db = await open(path);
  const exec = execOn(db);
  await exec(`PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL;
    CREATE TABLE cards (uid TEXT PRIMARY KEY, holder_id TEXT, name TEXT, photo TEXT, status TEXT, balance INTEGER, version INTEGER, updated_at TEXT);
    CREATE TABLE photos (sha TEXT PRIMARY KEY, bytes BLOB NOT NULL)`);
  const card = db.prepare('INSERT INTO cards VALUES (?,?,?,?,?,?,?,?)');
  const photo = db.prepare('INSERT INTO photos VALUES (?,?)');
  const jobs: (() => Promise<void>)[] = [
    ...rows.photos.map(
      ([sha, bytes]) =>
        () =>
          runOn(photo)([sha, bytes]),
    ),
    ...rows.cards.map((r) => () => runOn(card)(r)),
  ];
  const t = now();
  try {
    for (let i = 0; i < jobs.length; i += batch) {
      await exec('BEGIN IMMEDIATE');
      for (const job of jobs.slice(i, i + batch)) await job();
      await exec('COMMIT');
    }
    return msSince(t) / 1000;
  } finally {
    await finalize(card);
    await finalize(photo);
    await close(db);
  }
}
