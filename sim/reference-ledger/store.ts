// The reference ledger's own SQLite: cards, photos, catalogs, terminal configs, every answered txId
// and every movement of money. Functions take a Queryable so a caller can group them in one transaction;
// a booking is written by a single statement (putBooking), which is a transaction of its own.
import { Db, type Queryable } from '../../firmware/journal/db.ts';
import type {
  CardRecord,
  CardRules,
  Catalog,
  ResultMsg,
  Roster,
  StaffRecord,
  TerminalConfigMsg,
} from '../../contract/index.ts';
import type { SaleState, TxIdState } from './rules.ts';
import type { LedgerEntry } from './types.ts';
import { must } from '../../lib/must.ts';

const SCHEMA = `
  CREATE TABLE IF NOT EXISTS clubs (club_id TEXT PRIMARY KEY);
  CREATE TABLE IF NOT EXISTS cards (
    club_id TEXT NOT NULL, uid TEXT NOT NULL, holder_id TEXT NOT NULL, name TEXT NOT NULL, photo TEXT,
    status TEXT NOT NULL CHECK (status IN ('active','blocked')), balance INTEGER NOT NULL,
    version INTEGER NOT NULL, updated_at TEXT NOT NULL,
    rules TEXT, spent_day TEXT, spent_total INTEGER, auth TEXT, sun_counter INTEGER,
    PRIMARY KEY (club_id, uid)
  );
  -- Staff cards (never pay) and the roster's version per club.
  CREATE TABLE IF NOT EXISTS staff (
    club_id TEXT NOT NULL, uid TEXT NOT NULL, staff_id TEXT NOT NULL, name TEXT NOT NULL,
    role TEXT NOT NULL CHECK (role IN ('cashier','lead')), version INTEGER NOT NULL, updated_at TEXT NOT NULL,
    PRIMARY KEY (club_id, uid)
  );
  CREATE TABLE IF NOT EXISTS rosters (club_id TEXT PRIMARY KEY, version INTEGER NOT NULL, updated_at TEXT NOT NULL);
  -- Last version of a closed card (or removed staff card): a seed does not bring it back, and a card re-added later
  -- continues above it so no terminal mistakes the new record for an old one.
  CREATE TABLE IF NOT EXISTS closed_cards (club_id TEXT NOT NULL, uid TEXT NOT NULL, version INTEGER NOT NULL, PRIMARY KEY (club_id, uid));
  CREATE TABLE IF NOT EXISTS photos (club_id TEXT NOT NULL, sha TEXT NOT NULL, bytes BLOB NOT NULL, PRIMARY KEY (club_id, sha));
  CREATE TABLE IF NOT EXISTS catalogs (club_id TEXT PRIMARY KEY, json TEXT NOT NULL);
  CREATE TABLE IF NOT EXISTS terminal_configs (terminal_id TEXT PRIMARY KEY, json TEXT NOT NULL);
  -- Contract § Access: the club each terminal belongs to. A terminal acts only for its club; one
  -- not in this table for none. A registration is never moved to another club (a terminal given
  -- to another club gets a new terminalId), so what a terminal stored always stays its club's.
  CREATE TABLE IF NOT EXISTS terminals (terminal_id TEXT PRIMARY KEY, club_id TEXT NOT NULL);
  -- One row per sale txId with the answer it stands on; booked is how money moved (null: it did not).
  CREATE TABLE IF NOT EXISTS sales (
    tx_id TEXT PRIMARY KEY, terminal_id TEXT NOT NULL, club_id TEXT NOT NULL, card_uid TEXT NOT NULL,
    total INTEGER NOT NULL, items TEXT NOT NULL, created_at TEXT NOT NULL,
    booked TEXT CHECK (booked IN ('online','offline')), answer TEXT NOT NULL, voided_by TEXT
  );
  CREATE TABLE IF NOT EXISTS reversals (tx_id TEXT PRIMARY KEY, terminal_id TEXT NOT NULL, answer TEXT NOT NULL);
  CREATE TABLE IF NOT EXISTS voids (tx_id TEXT PRIMARY KEY, voids TEXT NOT NULL, terminal_id TEXT NOT NULL, answer TEXT NOT NULL);
  CREATE TABLE IF NOT EXISTS entries (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, at TEXT NOT NULL, type TEXT NOT NULL CHECK (type IN ('sale','reversal','void')),
    tx_id TEXT NOT NULL, ref TEXT, club_id TEXT NOT NULL, card_uid TEXT NOT NULL, amount INTEGER NOT NULL,
    offline INTEGER NOT NULL, terminal_id TEXT NOT NULL, cashier_id TEXT
  );
  CREATE TABLE IF NOT EXISTS topups (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, at TEXT NOT NULL, club_id TEXT NOT NULL, card_uid TEXT NOT NULL, amount INTEGER NOT NULL
  );
  -- Inserting a row here books one tx message: the trigger writes all it changed, so a booking is one
  -- statement, atomic and (in autocommit) durable when it returns, instead of BEGIN, up to four
  -- writes and COMMIT, each a round trip through the thread pool. A group of null columns writes nothing.
  -- A view holds no data: it and its trigger are made anew at each open, so they always match this code.
  DROP VIEW IF EXISTS bookings;
  CREATE VIEW bookings AS SELECT
    NULL AS stored_in, NULL AS tx_id, NULL AS terminal_id, NULL AS answer, -- the row stored under tx_id
    NULL AS club_id, NULL AS card_uid, NULL AS total, NULL AS items, NULL AS created_at, NULL AS booked, -- a sale's
    NULL AS voids, -- a void's target
    NULL AS e_seq, NULL AS e_at, NULL AS e_type, NULL AS e_tx_id, NULL AS e_ref, NULL AS e_club_id, NULL AS e_card_uid,
    NULL AS e_amount, NULL AS e_offline, NULL AS e_terminal_id, NULL AS e_cashier_id, -- the money moved
    NULL AS c_uid, NULL AS c_balance, NULL AS c_version, NULL AS c_updated_at, NULL AS c_prev_version, -- its card after the move
    NULL AS c_spent_day, NULL AS c_spent_total, NULL AS c_status, NULL AS c_sun_counter
  WHERE 0;
  CREATE TRIGGER book INSTEAD OF INSERT ON bookings BEGIN
    INSERT INTO entries (seq, at, type, tx_id, ref, club_id, card_uid, amount, offline, terminal_id, cashier_id)
      SELECT NEW.e_seq, NEW.e_at, NEW.e_type, NEW.e_tx_id, NEW.e_ref, NEW.e_club_id, NEW.e_card_uid, NEW.e_amount, NEW.e_offline, NEW.e_terminal_id, NEW.e_cashier_id
      WHERE NEW.e_seq IS NOT NULL;
    -- Only from the version the booking was decided on: it read the ledger's mirror, which must equal this table.
    UPDATE cards SET balance = NEW.c_balance, version = NEW.c_version, updated_at = NEW.c_updated_at,
        spent_day = NEW.c_spent_day, spent_total = NEW.c_spent_total,
        status = COALESCE(NEW.c_status, status), sun_counter = NEW.c_sun_counter
      WHERE NEW.c_uid IS NOT NULL AND club_id = NEW.e_club_id AND uid = NEW.c_uid AND version = NEW.c_prev_version;
    SELECT RAISE(ABORT, 'card changed under a booking') WHERE NEW.c_uid IS NOT NULL AND changes() = 0;
    UPDATE sales SET voided_by = NEW.e_tx_id WHERE NEW.e_type = 'void' AND tx_id = NEW.e_ref;
    -- OR REPLACE: an offline report replaces the stored decline of its online attempt.
    INSERT OR REPLACE INTO sales (tx_id, terminal_id, club_id, card_uid, total, items, created_at, booked, answer, voided_by)
      SELECT NEW.tx_id, NEW.terminal_id, NEW.club_id, NEW.card_uid, NEW.total, NEW.items, NEW.created_at, NEW.booked, NEW.answer, NULL
      WHERE NEW.stored_in = 'sales';
    INSERT INTO reversals (tx_id, terminal_id, answer) SELECT NEW.tx_id, NEW.terminal_id, NEW.answer WHERE NEW.stored_in = 'reversals';
    INSERT INTO voids (tx_id, voids, terminal_id, answer) SELECT NEW.tx_id, NEW.voids, NEW.terminal_id, NEW.answer WHERE NEW.stored_in = 'voids';
  END;
`;

/** Columns 1.1 added to tables a 1.0 simulator's ledger.db already has (CREATE IF NOT EXISTS keeps the old ones). */
const ADDED_COLUMNS: [table: string, column: string, type: string][] = [
  ['cards', 'rules', 'TEXT'],
  ['cards', 'spent_day', 'TEXT'],
  ['cards', 'spent_total', 'INTEGER'],
  ['entries', 'cashier_id', 'TEXT'],
  ['cards', 'auth', 'TEXT'],
  ['cards', 'sun_counter', 'INTEGER'],
];

export async function openStore(path: string): Promise<Db> {
  const db = await Db.open(path);
  // FULL: a COMMIT returns only once the WAL is on disk, so an answer is never sent for a lost booking.
  await db.exec('PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; PRAGMA busy_timeout = 5000;');
  const tables = SCHEMA.slice(0, SCHEMA.indexOf('DROP VIEW'));
  await db.exec(tables);
  for (const [table, column, type] of ADDED_COLUMNS) {
    const cols = await db.all<{ name: string }>(`PRAGMA table_info(${table})`);
    if (!cols.some((c) => c.name === column)) await db.exec(`ALTER TABLE ${table} ADD COLUMN ${column} ${type}`);
  }
  await db.exec(SCHEMA.slice(SCHEMA.indexOf('DROP VIEW')));
  return db;
}

// --- clubs, cards, photos ---

interface CardRow {
  uid: string;
  holder_id: string;
  name: string;
  photo: string | null;
  status: 'active' | 'blocked';
  balance: number;
  version: number;
  updated_at: string;
  rules: string | null;
  spent_day: string | null;
  spent_total: number | null;
  auth: 'uid' | 'sun' | null;
  sun_counter: number | null;
}

/** A 1.1 field the card does not have is left out of the record (absent: no rule). */
const toCard = (r: CardRow): CardRecord => ({
  cardUid: r.uid,
  holderId: r.holder_id,
  name: r.name,
  photo: r.photo,
  status: r.status,
  balance: r.balance,
  version: r.version,
  updatedAt: r.updated_at,
  ...(r.rules ? { rules: JSON.parse(r.rules) as CardRules } : {}),
  ...(r.spent_day !== null && r.spent_total !== null ? { spent: { day: r.spent_day, total: r.spent_total } } : {}),
  ...(r.auth ? { auth: r.auth } : {}),
  ...(r.auth === 'sun' ? { sunCounter: r.sun_counter ?? 0 } : {}),
});

export async function addClub(q: Queryable, clubId: string): Promise<void> {
  await q.run('INSERT OR IGNORE INTO clubs (club_id) VALUES (?)', [clubId]);
}

export async function listClubs(q: Queryable): Promise<string[]> {
  return (await q.all<{ club_id: string }>('SELECT club_id FROM clubs')).map((r) => r.club_id);
}

export async function getCard(q: Queryable, clubId: string, uid: string): Promise<CardRecord | null> {
  const r = await q.get<CardRow>('SELECT * FROM cards WHERE club_id = ? AND uid = ?', [clubId, uid]);
  return r ? toCard(r) : null;
}

export async function listCards(q: Queryable): Promise<{ clubId: string; card: CardRecord }[]> {
  const rows = await q.all<CardRow & { club_id: string }>('SELECT * FROM cards ORDER BY club_id, rowid');
  return rows.map((r) => ({ clubId: r.club_id, card: toCard(r) }));
}

/** Inserts or updates the whole record (an update keeps the row, so listings keep the seed's order). */
export async function putCard(q: Queryable, clubId: string, c: CardRecord): Promise<void> {
  await q.run(
    `INSERT INTO cards (club_id, uid, holder_id, name, photo, status, balance, version, updated_at, rules, spent_day, spent_total, auth, sun_counter)
     VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)
     ON CONFLICT (club_id, uid) DO UPDATE SET holder_id = excluded.holder_id, name = excluded.name, photo = excluded.photo,
       status = excluded.status, balance = excluded.balance, version = excluded.version, updated_at = excluded.updated_at,
       rules = excluded.rules, spent_day = excluded.spent_day, spent_total = excluded.spent_total,
       auth = excluded.auth, sun_counter = excluded.sun_counter`,
    [
      clubId,
      c.cardUid,
      c.holderId,
      c.name,
      c.photo,
      c.status,
      c.balance,
      c.version,
      c.updatedAt,
      c.rules ? JSON.stringify(c.rules) : null,
      c.spent?.day ?? null,
      c.spent?.total ?? null,
      c.auth ?? null,
      c.sunCounter ?? null,
    ],
  );
}

/** Version a closed card with this UID reached, or null if none was closed. */
export async function closedVersion(q: Queryable, clubId: string, uid: string): Promise<number | null> {
  const r = await q.get<{ version: number }>('SELECT version FROM closed_cards WHERE club_id = ? AND uid = ?', [
    clubId,
    uid,
  ]);
  return r ? r.version : null;
}

export async function deleteCard(q: Queryable, clubId: string, c: CardRecord): Promise<void> {
  await q.run('DELETE FROM cards WHERE club_id = ? AND uid = ?', [clubId, c.cardUid]);
  await q.run('INSERT OR REPLACE INTO closed_cards (club_id, uid, version) VALUES (?,?,?)', [
    clubId,
    c.cardUid,
    c.version,
  ]);
}

// --- staff cards and rosters ---

interface StaffRow {
  club_id: string;
  uid: string;
  staff_id: string;
  name: string;
  role: 'cashier' | 'lead';
  version: number;
  updated_at: string;
}
const toStaff = (r: StaffRow): StaffRecord => ({
  cardUid: r.uid,
  staffId: r.staff_id,
  name: r.name,
  role: r.role,
  version: r.version,
  updatedAt: r.updated_at,
});

export async function getStaff(q: Queryable, clubId: string, uid: string): Promise<StaffRecord | null> {
  const r = await q.get<StaffRow>('SELECT * FROM staff WHERE club_id = ? AND uid = ?', [clubId, uid]);
  return r ? toStaff(r) : null;
}

export async function listStaff(q: Queryable): Promise<{ clubId: string; staff: StaffRecord }[]> {
  const rows = await q.all<StaffRow>('SELECT * FROM staff ORDER BY club_id, rowid');
  return rows.map((r) => ({ clubId: r.club_id, staff: toStaff(r) }));
}

export async function putStaff(q: Queryable, clubId: string, s: StaffRecord): Promise<void> {
  await q.run(
    `INSERT OR REPLACE INTO staff (club_id, uid, staff_id, name, role, version, updated_at) VALUES (?,?,?,?,?,?,?)`,
    [clubId, s.cardUid, s.staffId, s.name, s.role, s.version, s.updatedAt],
  );
}

/** Removes a staff card; its version is kept like a closed card's, so a UID given out again continues above it. */
export async function deleteStaff(q: Queryable, clubId: string, s: StaffRecord): Promise<void> {
  await q.run('DELETE FROM staff WHERE club_id = ? AND uid = ?', [clubId, s.cardUid]);
  await q.run('INSERT OR REPLACE INTO closed_cards (club_id, uid, version) VALUES (?,?,?)', [
    clubId,
    s.cardUid,
    s.version,
  ]);
}

/** Raises the club's roster version and gives the roster as it is now (cards and staff in the tables). */
export async function bumpRoster(q: Queryable, clubId: string, now: string): Promise<Roster> {
  await q.run(
    `INSERT INTO rosters (club_id, version, updated_at) VALUES (?, 1, ?)
     ON CONFLICT (club_id) DO UPDATE SET version = rosters.version + 1, updated_at = excluded.updated_at`,
    [clubId, now],
  );
  return must(await getRoster(q, clubId), 'the roster just upserted');
}

export async function getRoster(q: Queryable, clubId: string): Promise<Roster | null> {
  const r = await q.get<{ version: number; updated_at: string }>(
    'SELECT version, updated_at FROM rosters WHERE club_id = ?',
    [clubId],
  );
  if (!r) return null;
  const cards = (await q.all<{ uid: string }>('SELECT uid FROM cards WHERE club_id = ? ORDER BY uid', [clubId])).map(
    (x) => x.uid,
  );
  const staff = (await q.all<{ uid: string }>('SELECT uid FROM staff WHERE club_id = ? ORDER BY uid', [clubId])).map(
    (x) => x.uid,
  );
  return { version: r.version, updatedAt: r.updated_at, cards, staff };
}

export async function putPhoto(q: Queryable, clubId: string, sha: string, bytes: Buffer): Promise<void> {
  await q.run('INSERT OR IGNORE INTO photos (club_id, sha, bytes) VALUES (?,?,?)', [clubId, sha, bytes]);
}

export async function hasPhoto(q: Queryable, clubId: string, sha: string): Promise<boolean> {
  return (await q.get('SELECT 1 FROM photos WHERE club_id = ? AND sha = ?', [clubId, sha])) !== undefined;
}

/** Deletes a photo no card of the club shows any more; says whether it did. */
export async function dropPhotoIfUnused(q: Queryable, clubId: string, sha: string): Promise<boolean> {
  const r = await q.run(
    'DELETE FROM photos WHERE club_id = ? AND sha = ? AND NOT EXISTS (SELECT 1 FROM cards WHERE club_id = ? AND photo = ?)',
    [clubId, sha, clubId, sha],
  );
  return r.changes > 0;
}

export function listPhotos(q: Queryable): Promise<{ club_id: string; sha: string; bytes: Buffer }[]> {
  return q.all('SELECT club_id, sha, bytes FROM photos ORDER BY club_id, sha');
}

/** Every UID closed (or removed as a staff card) in a club: its debts are still the club's. */
export function listClosed(q: Queryable): Promise<{ club_id: string; uid: string }[]> {
  return q.all('SELECT club_id, uid FROM closed_cards');
}

// --- terminals (contract § Access) ---

/** Registers a terminal with its club; again with the same club changes nothing, with another throws. */
export async function registerTerminal(q: Queryable, terminalId: string, clubId: string): Promise<void> {
  const r = await q.get<{ club_id: string }>('SELECT club_id FROM terminals WHERE terminal_id = ?', [terminalId]);
  if (r && r.club_id !== clubId) throw new Error(`terminal ${terminalId} is registered with club ${r.club_id}`);
  if (!r) await q.run('INSERT INTO terminals (terminal_id, club_id) VALUES (?,?)', [terminalId, clubId]);
}

export async function listTerminals(q: Queryable): Promise<{ terminalId: string; clubId: string }[]> {
  const rows = await q.all<{ terminal_id: string; club_id: string }>(
    'SELECT terminal_id, club_id FROM terminals ORDER BY terminal_id',
  );
  return rows.map((r) => ({ terminalId: r.terminal_id, clubId: r.club_id }));
}

// --- catalogs, terminal configs ---

export async function putCatalog(q: Queryable, clubId: string, c: Catalog, onlyIfMissing = false): Promise<void> {
  await q.run(`INSERT OR ${onlyIfMissing ? 'IGNORE' : 'REPLACE'} INTO catalogs (club_id, json) VALUES (?,?)`, [
    clubId,
    JSON.stringify(c),
  ]);
}

export async function listCatalogs(q: Queryable): Promise<{ clubId: string; catalog: Catalog }[]> {
  const rows = await q.all<{ club_id: string; json: string }>('SELECT club_id, json FROM catalogs ORDER BY club_id');
  return rows.map((r) => ({ clubId: r.club_id, catalog: JSON.parse(r.json) as Catalog }));
}

export async function putTerminalConfig(
  q: Queryable,
  terminalId: string,
  cfg: TerminalConfigMsg,
  onlyIfMissing = false,
): Promise<void> {
  await q.run(
    `INSERT OR ${onlyIfMissing ? 'IGNORE' : 'REPLACE'} INTO terminal_configs (terminal_id, json) VALUES (?,?)`,
    [terminalId, JSON.stringify(cfg)],
  );
}

export async function listTerminalConfigs(q: Queryable): Promise<{ terminalId: string; config: TerminalConfigMsg }[]> {
  const rows = await q.all<{ terminal_id: string; json: string }>(
    'SELECT terminal_id, json FROM terminal_configs ORDER BY terminal_id',
  );
  return rows.map((r) => ({ terminalId: r.terminal_id, config: JSON.parse(r.json) as TerminalConfigMsg }));
}

// --- answered txIds ---

interface TxIdRow {
  terminal_id: string | null;
  club_id: string;
  card_uid: string;
  total: number;
  booked: 'online' | 'offline' | null;
  sale_answer: string;
  voided_by: string | null;
  reversal_answer: string | null;
  void_answer: string | null;
  reversal_terminal: string | null;
  void_terminal: string | null;
}

/** Everything the ledger holds under one txId, in one statement (each is a thread-pool round trip). */
export async function getTxIdState(q: Queryable, txId: string): Promise<TxIdState> {
  // One row always: the txId itself, with what each table holds under it (nulls where nothing).
  const r = must(
    await q.get<TxIdRow>(
      `SELECT s.terminal_id, s.club_id, s.card_uid, s.total, s.booked, s.answer AS sale_answer, s.voided_by,
       r.answer AS reversal_answer, v.answer AS void_answer, r.terminal_id AS reversal_terminal, v.terminal_id AS void_terminal
     FROM (SELECT ? AS tx_id) k LEFT JOIN sales s USING (tx_id) LEFT JOIN reversals r USING (tx_id) LEFT JOIN voids v USING (tx_id)`,
      [txId],
    ),
    'the txId row',
  );
  const answer = (json: string | null) => (json === null ? null : (JSON.parse(json) as ResultMsg));
  // terminal_id is NOT NULL in sales: null here means no sale row joined.
  const sale: SaleState | null =
    r.terminal_id === null
      ? null
      : {
          terminalId: r.terminal_id,
          clubId: r.club_id,
          cardUid: r.card_uid,
          total: r.total,
          booked: r.booked,
          answer: must(answer(r.sale_answer), 'the answer of a sale row'),
          voidedBy: r.voided_by,
        };
  const sentBy = [r.reversal_terminal, r.void_terminal].filter((t): t is string => t !== null);
  return { sale, reversal: answer(r.reversal_answer), void: answer(r.void_answer), sentBy };
}

/** Every txId something is stored under. */
export async function listTxIds(q: Queryable): Promise<string[]> {
  const rows = await q.all<{ tx_id: string }>(
    'SELECT tx_id FROM sales UNION ALL SELECT tx_id FROM reversals UNION ALL SELECT tx_id FROM voids',
  );
  return rows.map((r) => r.tx_id);
}

/** Everything one tx message changes (booking.ts decides it). */
export interface Booking {
  /** The row stored under the message's txId, as the answer a repeat gets; null: nothing is stored. */
  stored:
    | { in: 'sales'; txId: string; terminalId: string; answer: ResultMsg; sale: StoredSale }
    | { in: 'reversals'; txId: string; terminalId: string; answer: ResultMsg }
    | { in: 'voids'; txId: string; terminalId: string; answer: ResultMsg; voids: string }
    | null;
  /** The money moved (a void's also marks its sale voided), and the card before and after it (null: no record to change). */
  moved: { entry: LedgerEntry; card: { before: CardRecord; after: CardRecord } | null } | null;
}
export interface StoredSale {
  clubId: string;
  cardUid: string;
  total: number;
  items: unknown;
  createdAt: string;
  booked: 'online' | 'offline' | null;
}

/** Writes a booking with one statement: outside a transaction it is its own, durable when this resolves. */
export async function putBooking(q: Queryable, b: Booking): Promise<void> {
  const s = b.stored;
  const sale = s?.in === 'sales' ? s.sale : null;
  const e = b.moved?.entry;
  const c = b.moved?.card;
  await q.run('INSERT INTO bookings VALUES (?,?,?,?, ?,?,?,?,?,?, ?, ?,?,?,?,?,?,?,?,?,?,?, ?,?,?,?,?, ?,?,?,?)', [
    s?.in ?? null,
    s?.txId ?? null,
    s?.terminalId ?? null,
    s ? JSON.stringify(s.answer) : null,
    sale?.clubId ?? null,
    sale?.cardUid ?? null,
    sale?.total ?? null,
    sale ? JSON.stringify(sale.items) : null,
    sale?.createdAt ?? null,
    sale?.booked ?? null,
    s?.in === 'voids' ? s.voids : null,
    e?.seq ?? null,
    e?.at ?? null,
    e?.type ?? null,
    e?.txId ?? null,
    e?.ref ?? null,
    e?.clubId ?? null,
    e?.cardUid ?? null,
    e?.amount ?? null,
    e ? (e.offline ? 1 : 0) : null,
    e?.terminalId ?? null,
    e?.cashierId ?? null,
    c?.after.cardUid ?? null,
    c?.after.balance ?? null,
    c?.after.version ?? null,
    c?.after.updatedAt ?? null,
    c?.before.version ?? null,
    c?.after.spent?.day ?? null,
    c?.after.spent?.total ?? null,
    c?.after.status ?? null,
    c?.after.sunCounter ?? null,
  ]);
}

// --- money movements ---

export async function addTopUp(q: Queryable, clubId: string, uid: string, amount: number, at: string): Promise<void> {
  await q.run('INSERT INTO topups (at, club_id, card_uid, amount) VALUES (?,?,?,?)', [at, clubId, uid, amount]);
}

interface EntryRow {
  seq: number;
  at: string;
  type: LedgerEntry['type'];
  tx_id: string;
  ref: string | null;
  club_id: string;
  card_uid: string;
  amount: number;
  offline: number;
  terminal_id: string;
  cashier_id: string | null;
}

export async function listEntries(q: Queryable): Promise<LedgerEntry[]> {
  const rows = await q.all<EntryRow>('SELECT * FROM entries ORDER BY seq');
  return rows.map((r) => ({
    seq: r.seq,
    at: r.at,
    type: r.type,
    txId: r.tx_id,
    ref: r.ref,
    clubId: r.club_id,
    cardUid: r.card_uid,
    amount: r.amount,
    offline: r.offline === 1,
    terminalId: r.terminal_id,
    cashierId: r.cashier_id,
  }));
}
