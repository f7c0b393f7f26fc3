// The reference ledger's own SQLite: cards, photos, catalogs, terminal configs, every answered txId
// and every movement of money. Functions take a Queryable so a caller can group them in one transaction.
import { Db, type Queryable } from '../../firmware/journal/db.ts';
import type { CardRecord, Catalog, ResultMsg, TerminalConfigMsg } from '../../firmware/ledger/schemas.ts';
import type { SaleState, TxIdState } from './rules.ts';
import type { LedgerEntry } from './types.ts';

const SCHEMA = `
  CREATE TABLE IF NOT EXISTS clubs (club_id TEXT PRIMARY KEY);
  CREATE TABLE IF NOT EXISTS cards (
    club_id TEXT NOT NULL, uid TEXT NOT NULL, holder_id TEXT NOT NULL, name TEXT NOT NULL, photo TEXT,
    status TEXT NOT NULL CHECK (status IN ('active','blocked')), balance INTEGER NOT NULL,
    version INTEGER NOT NULL, updated_at TEXT NOT NULL,
    PRIMARY KEY (club_id, uid)
  );
  -- Last version of a closed card: a seed does not bring it back, and a card re-added later
  -- continues above it so no terminal mistakes the new record for an old one.
  CREATE TABLE IF NOT EXISTS closed_cards (club_id TEXT NOT NULL, uid TEXT NOT NULL, version INTEGER NOT NULL, PRIMARY KEY (club_id, uid));
  CREATE TABLE IF NOT EXISTS photos (club_id TEXT NOT NULL, sha TEXT NOT NULL, bytes BLOB NOT NULL, PRIMARY KEY (club_id, sha));
  CREATE TABLE IF NOT EXISTS catalogs (club_id TEXT PRIMARY KEY, json TEXT NOT NULL);
  CREATE TABLE IF NOT EXISTS terminal_configs (terminal_id TEXT PRIMARY KEY, json TEXT NOT NULL);
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
    offline INTEGER NOT NULL, terminal_id TEXT NOT NULL
  );
  CREATE TABLE IF NOT EXISTS topups (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, at TEXT NOT NULL, club_id TEXT NOT NULL, card_uid TEXT NOT NULL, amount INTEGER NOT NULL
  );
`;

export async function openStore(path: string): Promise<Db> {
  const db = await Db.open(path);
  // FULL: a COMMIT returns only once the WAL is on disk, so an answer is never sent for a lost booking.
  await db.exec('PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; PRAGMA busy_timeout = 5000;');
  await db.exec(SCHEMA);
  return db;
}

// --- clubs, cards, photos ---

interface CardRow { uid: string; holder_id: string; name: string; photo: string | null; status: 'active' | 'blocked'; balance: number; version: number; updated_at: string }

const toCard = (r: CardRow): CardRecord => ({
  cardUid: r.uid, holderId: r.holder_id, name: r.name, photo: r.photo, status: r.status,
  balance: r.balance, version: r.version, updatedAt: r.updated_at,
});

export async function addClub(q: Queryable, clubId: string): Promise<void> {
  await q.run('INSERT OR IGNORE INTO clubs (club_id) VALUES (?)', [clubId]);
}

export async function clubExists(q: Queryable, clubId: string): Promise<boolean> {
  return (await q.get('SELECT 1 FROM clubs WHERE club_id = ?', [clubId])) !== undefined;
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
    `INSERT INTO cards (club_id, uid, holder_id, name, photo, status, balance, version, updated_at) VALUES (?,?,?,?,?,?,?,?,?)
     ON CONFLICT (club_id, uid) DO UPDATE SET holder_id = excluded.holder_id, name = excluded.name, photo = excluded.photo,
       status = excluded.status, balance = excluded.balance, version = excluded.version, updated_at = excluded.updated_at`,
    [clubId, c.cardUid, c.holderId, c.name, c.photo, c.status, c.balance, c.version, c.updatedAt],
  );
}

/** Version a closed card with this UID reached, or null if none was closed. */
export async function closedVersion(q: Queryable, clubId: string, uid: string): Promise<number | null> {
  const r = await q.get<{ version: number }>('SELECT version FROM closed_cards WHERE club_id = ? AND uid = ?', [clubId, uid]);
  return r ? r.version : null;
}

export async function deleteCard(q: Queryable, clubId: string, c: CardRecord): Promise<void> {
  await q.run('DELETE FROM cards WHERE club_id = ? AND uid = ?', [clubId, c.cardUid]);
  await q.run('INSERT OR REPLACE INTO closed_cards (club_id, uid, version) VALUES (?,?,?)', [clubId, c.cardUid, c.version]);
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

// --- catalogs, terminal configs ---

export async function putCatalog(q: Queryable, clubId: string, c: Catalog, onlyIfMissing = false): Promise<void> {
  await q.run(`INSERT OR ${onlyIfMissing ? 'IGNORE' : 'REPLACE'} INTO catalogs (club_id, json) VALUES (?,?)`, [clubId, JSON.stringify(c)]);
}

export async function listCatalogs(q: Queryable): Promise<{ clubId: string; catalog: Catalog }[]> {
  const rows = await q.all<{ club_id: string; json: string }>('SELECT club_id, json FROM catalogs ORDER BY club_id');
  return rows.map((r) => ({ clubId: r.club_id, catalog: JSON.parse(r.json) as Catalog }));
}

export async function getTerminalConfig(q: Queryable, terminalId: string): Promise<TerminalConfigMsg | null> {
  const r = await q.get<{ json: string }>('SELECT json FROM terminal_configs WHERE terminal_id = ?', [terminalId]);
  return r ? (JSON.parse(r.json) as TerminalConfigMsg) : null;
}

export async function putTerminalConfig(q: Queryable, terminalId: string, cfg: TerminalConfigMsg, onlyIfMissing = false): Promise<void> {
  await q.run(`INSERT OR ${onlyIfMissing ? 'IGNORE' : 'REPLACE'} INTO terminal_configs (terminal_id, json) VALUES (?,?)`, [terminalId, JSON.stringify(cfg)]);
}

export async function listTerminalConfigs(q: Queryable): Promise<{ terminalId: string; config: TerminalConfigMsg }[]> {
  const rows = await q.all<{ terminal_id: string; json: string }>('SELECT terminal_id, json FROM terminal_configs ORDER BY terminal_id');
  return rows.map((r) => ({ terminalId: r.terminal_id, config: JSON.parse(r.json) as TerminalConfigMsg }));
}

// --- answered txIds ---

interface SaleRow { terminal_id: string; club_id: string; card_uid: string; total: number; booked: 'online' | 'offline' | null; answer: string; voided_by: string | null }

export async function getSale(q: Queryable, txId: string): Promise<SaleState | null> {
  const r = await q.get<SaleRow>('SELECT * FROM sales WHERE tx_id = ?', [txId]);
  return r ? {
    terminalId: r.terminal_id, clubId: r.club_id, cardUid: r.card_uid, total: r.total,
    booked: r.booked, answer: JSON.parse(r.answer) as ResultMsg, voidedBy: r.voided_by,
  } : null;
}

/** Everything the ledger holds under one txId. */
export async function getTxIdState(q: Queryable, txId: string): Promise<TxIdState> {
  const answerOf = async (table: 'reversals' | 'voids') => {
    const r = await q.get<{ answer: string }>(`SELECT answer FROM ${table} WHERE tx_id = ?`, [txId]);
    return r ? (JSON.parse(r.answer) as ResultMsg) : null;
  };
  return { sale: await getSale(q, txId), reversal: await answerOf('reversals'), void: await answerOf('voids') };
}

export async function putSale(q: Queryable, s: {
  txId: string; terminalId: string; clubId: string; cardUid: string; total: number; items: unknown; createdAt: string;
  booked: 'online' | 'offline' | null; answer: ResultMsg;
}): Promise<void> {
  await q.run(
    `INSERT OR REPLACE INTO sales (tx_id, terminal_id, club_id, card_uid, total, items, created_at, booked, answer, voided_by)
     VALUES (?,?,?,?,?,?,?,?,?,NULL)`,
    [s.txId, s.terminalId, s.clubId, s.cardUid, s.total, JSON.stringify(s.items), s.createdAt, s.booked, JSON.stringify(s.answer)],
  );
}

export async function markVoided(q: Queryable, saleTxId: string, voidTxId: string): Promise<void> {
  await q.run('UPDATE sales SET voided_by = ? WHERE tx_id = ?', [voidTxId, saleTxId]);
}

export async function putReversal(q: Queryable, txId: string, terminalId: string, answer: ResultMsg): Promise<void> {
  await q.run('INSERT INTO reversals (tx_id, terminal_id, answer) VALUES (?,?,?)', [txId, terminalId, JSON.stringify(answer)]);
}

export async function putVoid(q: Queryable, txId: string, voids: string, terminalId: string, answer: ResultMsg): Promise<void> {
  await q.run('INSERT INTO voids (tx_id, voids, terminal_id, answer) VALUES (?,?,?,?)', [txId, voids, terminalId, JSON.stringify(answer)]);
}

// --- money movements ---

export async function addEntry(q: Queryable, e: Omit<LedgerEntry, 'seq'>): Promise<LedgerEntry> {
  const r = await q.run(
    'INSERT INTO entries (at, type, tx_id, ref, club_id, card_uid, amount, offline, terminal_id) VALUES (?,?,?,?,?,?,?,?,?)',
    [e.at, e.type, e.txId, e.ref, e.clubId, e.cardUid, e.amount, e.offline ? 1 : 0, e.terminalId],
  );
  return { seq: r.lastID, ...e };
}

export async function addTopUp(q: Queryable, clubId: string, uid: string, amount: number, at: string): Promise<void> {
  await q.run('INSERT INTO topups (at, club_id, card_uid, amount) VALUES (?,?,?,?)', [at, clubId, uid, amount]);
}

interface EntryRow { seq: number; at: string; type: LedgerEntry['type']; tx_id: string; ref: string | null; club_id: string; card_uid: string; amount: number; offline: number; terminal_id: string }

export async function listEntries(q: Queryable): Promise<LedgerEntry[]> {
  const rows = await q.all<EntryRow>('SELECT * FROM entries ORDER BY seq');
  return rows.map((r) => ({
    seq: r.seq, at: r.at, type: r.type, txId: r.tx_id, ref: r.ref, clubId: r.club_id, cardUid: r.card_uid,
    amount: r.amount, offline: r.offline === 1, terminalId: r.terminal_id,
  }));
}
