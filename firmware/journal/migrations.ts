// Numbered migrations, applied in order at start; `user_version` records the last one applied.
// Never edit a released migration: add the next number.
import type { Db } from './db.ts';

export const migrations: string[] = [
  // 1: card cache, photos, catalog, ledger config, sales, outbox, meta
  `
  CREATE TABLE cards (
    uid TEXT PRIMARY KEY,
    holder_id TEXT NOT NULL,
    name TEXT NOT NULL,
    photo TEXT,
    status TEXT NOT NULL CHECK (status IN ('active','blocked')),
    balance INTEGER NOT NULL,
    version INTEGER NOT NULL,
    updated_at TEXT NOT NULL
  );
  CREATE TABLE photos (sha TEXT PRIMARY KEY, bytes BLOB NOT NULL);
  CREATE TABLE catalog (id INTEGER PRIMARY KEY CHECK (id = 1), version INTEGER NOT NULL, items TEXT NOT NULL);
  CREATE TABLE ledger_config (id INTEGER PRIMARY KEY CHECK (id = 1), json TEXT NOT NULL);
  -- Every sale this terminal made. card_uid is nulled when the card is closed; the row then only
  -- feeds the day's report.
  CREATE TABLE sales (
    tx_id TEXT PRIMARY KEY,
    card_uid TEXT,
    items TEXT NOT NULL,
    total INTEGER NOT NULL,
    created_at TEXT NOT NULL,
    offline INTEGER NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('pending','approved','declined')),
    reason TEXT,
    answered INTEGER NOT NULL DEFAULT 0,
    result_version INTEGER,
    voided_by TEXT
  );
  CREATE INDEX sales_card ON sales (card_uid, status, answered);
  CREATE INDEX sales_created ON sales (created_at);
  -- Every tx message until the ledger's answer to it is stored (the journal, not MQTT.js's
  -- in-memory queue, is the source of truth).
  CREATE TABLE outbox (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    tx_id TEXT NOT NULL UNIQUE,
    type TEXT NOT NULL CHECK (type IN ('sale','void','reversal')),
    offline INTEGER NOT NULL DEFAULT 0,
    card_uid TEXT,
    total INTEGER NOT NULL DEFAULT 0,
    payload TEXT NOT NULL,
    created_at TEXT NOT NULL
  );
  CREATE TABLE voids (
    tx_id TEXT PRIMARY KEY,
    voids TEXT NOT NULL,
    total INTEGER NOT NULL,
    created_at TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('pending','approved','declined')),
    reason TEXT
  );
  CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
  `,
  // 2: whether the cashier has seen a sale's result; one decided but never seen (power cut between
  // commit and screen) is shown again after the restart. Rows from before count as seen.
  `
  ALTER TABLE sales ADD COLUMN shown INTEGER NOT NULL DEFAULT 1;
  `,
  // 3: a cheaper sale write (`npm run bench`, journal rate: 0.74× → 0.93× of a bare insert) and
  // two scans fewer.
  // - A sale and its outbox entry in ONE statement (Db.writeOne): every statement is a round trip
  //   through node-sqlite3's thread pool, and BEGIN, two inserts and COMMIT were four. Inserting
  //   into the view sale_entry writes the sale (over an existing row only while that is pending,
  //   if only_over_pending) and, if the sale row was written, its outbox entry.
  // - sales_card → sales_card_answered: unanswered sales are found through the small outbox.
  // - sales_created dropped: the day's report and the purge are rare scans; the last voidable sale
  //   is the newest row.
  // - sales_unshown: marking a result seen scanned every sale (2.8 ms at 20k rows).
  // - outbox.seq without AUTOINCREMENT: max(seq)+1 still orders the queue (rows only leave it).
  `
  DROP INDEX sales_card;
  DROP INDEX sales_created;
  CREATE INDEX sales_card_answered ON sales (card_uid, result_version) WHERE answered = 1;
  CREATE INDEX sales_unshown ON sales (shown) WHERE shown = 0;
  CREATE TABLE outbox_new (
    seq INTEGER PRIMARY KEY,
    tx_id TEXT NOT NULL UNIQUE,
    type TEXT NOT NULL CHECK (type IN ('sale','void','reversal')),
    offline INTEGER NOT NULL DEFAULT 0,
    card_uid TEXT,
    total INTEGER NOT NULL DEFAULT 0,
    payload TEXT NOT NULL,
    created_at TEXT NOT NULL
  );
  INSERT INTO outbox_new SELECT seq, tx_id, type, offline, card_uid, total, payload, created_at FROM outbox;
  DROP TABLE outbox;
  ALTER TABLE outbox_new RENAME TO outbox;
  CREATE VIEW sale_entry AS
    SELECT tx_id, card_uid, items, total, created_at, offline, status, '' AS payload, 0 AS only_over_pending FROM sales WHERE 0;
  CREATE TRIGGER sale_entry_insert INSTEAD OF INSERT ON sale_entry BEGIN
    INSERT INTO sales (tx_id, card_uid, items, total, created_at, offline, status, reason, shown)
      VALUES (NEW.tx_id, NEW.card_uid, NEW.items, NEW.total, NEW.created_at, NEW.offline, NEW.status, NULL, 0)
      ON CONFLICT(tx_id) DO UPDATE SET offline = excluded.offline, status = excluded.status, reason = NULL
      WHERE NOT NEW.only_over_pending OR sales.status = 'pending';
    INSERT INTO outbox (tx_id, type, offline, card_uid, total, payload, created_at)
      SELECT NEW.tx_id, 'sale', NEW.offline, NEW.card_uid, NEW.total, NEW.payload, NEW.created_at WHERE changes() > 0
      ON CONFLICT(tx_id) DO UPDATE SET type = excluded.type, offline = excluded.offline, payload = excluded.payload;
  END;
  `,
  // 4: a card record stored in ONE statement (the sync stores 10,000 at a fresh terminal; reading
  // the old photo first made it two thread-pool round trips each): a photo the card no longer uses
  // goes with the old record by trigger (photos that arrived before their card are kept).
  `
  CREATE TRIGGER cards_photo_unused AFTER UPDATE OF photo ON cards
    WHEN OLD.photo IS NOT NULL AND OLD.photo IS NOT NEW.photo BEGIN
    DELETE FROM photos WHERE sha = OLD.photo AND NOT EXISTS (SELECT 1 FROM cards WHERE photo = OLD.photo);
  END;
  `,
  // 5: contract 1.1, parents' rules and cashiers. The card's rules (with the parent's note: personal
  // data, erased with the row) and the ledger's spending of the day; staff cards (never pay); the
  // newest roster, which erases cached cards and staff cards missing from it; the cashier on each
  // sale and void, for who may void what and the per-cashier report.
  `
  ALTER TABLE cards ADD COLUMN rules TEXT;
  ALTER TABLE cards ADD COLUMN spent_day TEXT;
  ALTER TABLE cards ADD COLUMN spent_total INTEGER;
  CREATE TABLE staff (
    uid TEXT PRIMARY KEY,
    staff_id TEXT NOT NULL,
    name TEXT NOT NULL,
    role TEXT NOT NULL CHECK (role IN ('cashier','lead')),
    version INTEGER NOT NULL,
    updated_at TEXT NOT NULL
  );
  CREATE TABLE roster (id INTEGER PRIMARY KEY CHECK (id = 1), version INTEGER NOT NULL, updated_at TEXT NOT NULL);
  CREATE TABLE roster_members (list TEXT NOT NULL CHECK (list IN ('cards','staff')), uid TEXT NOT NULL, PRIMARY KEY (list, uid)) WITHOUT ROWID;
  ALTER TABLE sales ADD COLUMN cashier_id TEXT;
  ALTER TABLE voids ADD COLUMN cashier_id TEXT;
  DROP TRIGGER sale_entry_insert;
  DROP VIEW sale_entry;
  CREATE VIEW sale_entry AS
    SELECT tx_id, card_uid, items, total, created_at, offline, status, '' AS payload, 0 AS only_over_pending, cashier_id FROM sales WHERE 0;
  CREATE TRIGGER sale_entry_insert INSTEAD OF INSERT ON sale_entry BEGIN
    INSERT INTO sales (tx_id, card_uid, items, total, created_at, offline, status, reason, shown, cashier_id)
      VALUES (NEW.tx_id, NEW.card_uid, NEW.items, NEW.total, NEW.created_at, NEW.offline, NEW.status, NULL, 0, NEW.cashier_id)
      ON CONFLICT(tx_id) DO UPDATE SET offline = excluded.offline, status = excluded.status, reason = NULL
      WHERE NOT NEW.only_over_pending OR sales.status = 'pending';
    INSERT INTO outbox (tx_id, type, offline, card_uid, total, payload, created_at)
      SELECT NEW.tx_id, 'sale', NEW.offline, NEW.card_uid, NEW.total, NEW.payload, NEW.created_at WHERE changes() > 0
      ON CONFLICT(tx_id) DO UPDATE SET type = excluded.type, offline = excluded.offline, payload = excluded.payload;
  END;
  `,
  // 6: contract 1.1, genuine cards. A card's kind and the SUN counter the ledger accepted; every SUN
  // counter this terminal put into a sale of a card (an offline approval needs a counter above all of
  // them: a replayed read is refused), recorded by trigger with the sale's outbox entry (same
  // statement, no extra fsync), pruned below the accepted counter, and erased with the card.
  `
  ALTER TABLE cards ADD COLUMN auth TEXT;
  ALTER TABLE cards ADD COLUMN sun_counter INTEGER;
  CREATE TABLE sun_counters (tx_id TEXT PRIMARY KEY, card_uid TEXT NOT NULL, ctr INTEGER NOT NULL);
  CREATE INDEX sun_counters_card ON sun_counters (card_uid, ctr);
  CREATE TRIGGER outbox_sun_counter AFTER INSERT ON outbox
    WHEN NEW.type = 'sale' AND NEW.card_uid IS NOT NULL AND json_extract(NEW.payload, '$.cardAuth.ctr') IS NOT NULL BEGIN
    INSERT OR IGNORE INTO sun_counters (tx_id, card_uid, ctr) VALUES (NEW.tx_id, NEW.card_uid, json_extract(NEW.payload, '$.cardAuth.ctr'));
  END;
  CREATE TRIGGER cards_sun_counter AFTER UPDATE OF sun_counter ON cards WHEN NEW.sun_counter IS NOT NULL BEGIN
    DELETE FROM sun_counters WHERE card_uid = NEW.uid AND ctr <= NEW.sun_counter;
  END;
  CREATE TRIGGER cards_sun_erased AFTER DELETE ON cards BEGIN
    DELETE FROM sun_counters WHERE card_uid = OLD.uid;
  END;
  `,
  // 7: photos prepared ahead (issue 28): a tap at a quarter of a Pi's core spent ~200 ms decoding
  // and sixel-encoding the photo. The encoded sixel (or scaled framebuffer pixels) per photo, output
  // and size, filled in the background; personal data like the photo, so its rows go with the
  // photo's row by trigger, inside whatever statement erases it (a closed card, a roster, a replaced
  // photo), and secure_delete and the erasure's checkpoint cover them.
  `
  CREATE TABLE photo_prepared (
    sha TEXT NOT NULL,
    output TEXT NOT NULL,
    width INTEGER NOT NULL,
    height INTEGER NOT NULL,
    src_width INTEGER NOT NULL,
    src_height INTEGER NOT NULL,
    bytes BLOB NOT NULL,
    PRIMARY KEY (sha, output, width, height)
  );
  CREATE TRIGGER photos_prepared_erased AFTER DELETE ON photos BEGIN
    DELETE FROM photo_prepared WHERE sha = OLD.sha;
  END;
  `,
];

/** The schema this release migrates a journal to (PRAGMA user_version). */
export const JOURNAL_SCHEMA = migrations.length;

/**
 * The oldest schema whose releases can still open a journal of JOURNAL_SCHEMA: every migration after
 * it only adds (a table, a column with a default, an index, a trigger of its own), so such a release
 * reads and writes the journal as before, and a rollback to it loses nothing. A migration that
 * changes or removes what an older release uses must raise this to its own number.
 */
export const JOURNAL_READABLE_BY = 6;

/** meta key: JOURNAL_READABLE_BY of the release that migrated the journal last. */
export const READABLE_BY_KEY = 'schema_readable_by';

export class JournalTooNewError extends Error {
  override name = 'JournalTooNewError';
}

/** What a journal of schema `version` needs of a release: the schema it must write at least. */
export const neededSchema = (version: number, readableBy: number | null): number =>
  Math.min(version, readableBy ?? version);

export async function migrate(db: Db): Promise<number> {
  const row = await db.get<{ user_version: number }>('PRAGMA user_version');
  let version = row?.user_version ?? 0;
  if (version > JOURNAL_SCHEMA) {
    // Migrated by a newer release (and this one rolled back to): fine while that release said its
    // migrations only add; anything else is refused before a single write.
    const mark = await db.get<{ value: string }>('SELECT value FROM meta WHERE key = ?', [READABLE_BY_KEY]);
    const needed = neededSchema(version, mark ? Number(mark.value) : null);
    if (needed > JOURNAL_SCHEMA) {
      throw new JournalTooNewError(
        `the journal has schema ${version}, which releases writing schema ${needed} or later can open; this release writes ${JOURNAL_SCHEMA}: it is left unchanged (run a newer release)`,
      );
    }
    return version;
  }
  const from = version;
  for (; version < migrations.length; version++) {
    await db.tx(async (q) => {
      await q.exec(migrations[version]);
      await q.exec(`PRAGMA user_version = ${version + 1}`);
    });
  }
  if (version !== from)
    await db.run('INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)', [
      READABLE_BY_KEY,
      String(JOURNAL_READABLE_BY),
    ]);
  return version;
}
