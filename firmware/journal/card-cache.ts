// Cached card records, photos, catalog and the ledger's per-terminal config.
import type { Db, Param, Queryable } from './db.ts';
import type { CardRecord, CardRules, Catalog, Roster, StaffRecord, TerminalConfigMsg } from '../../contract/index.ts';
import { MAX_PHOTO_BYTES, sha256Hex } from '../../contract/index.ts';
import { must } from '../../lib/must.ts';
import { restAfter } from './pace.ts';

export interface CardRow {
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

/**
 * Photos per multi-row statement: a few sizes only, so a few statement texts stay prepared. Their
 * bytes are copied on the main thread when bound: 64 took the loop ~5 ms in a sync; 16 are at most
 * 4 MB (the contract's largest photos), about a millisecond.
 */
const CHUNK_SIZES = [16, 4, 1];
function* chunks<T>(items: readonly T[]): Generator<readonly T[]> {
  for (let i = 0; i < items.length; ) {
    const n = must(
      CHUNK_SIZES.find((size) => size <= items.length - i),
      'a chunk size (1 fits any rest)',
    );
    yield items.slice(i, i + n);
    i += n;
  }
}

/** The cards table's columns, and a record's values for them in that order. */
const CARD_COLUMNS = [
  'uid',
  'holder_id',
  'name',
  'photo',
  'status',
  'balance',
  'version',
  'updated_at',
  'rules',
  'spent_day',
  'spent_total',
  'auth',
  'sun_counter',
] as const;
const cardValues = (c: CardRecord): Param[] => [
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
];
/**
 * The records as the rows of a SELECT, from one JSON parameter: SQLite parses it on the thread
 * pool. Bound as ~900 parameters a chunk, node-sqlite3 converted each on the main thread (0.7 ms a
 * chunk of 64 here, a third of a first sync's longest turns). JSON keeps integers integers, strings
 * text and null NULL, as the parameters did.
 */
const CARD_ROWS = `SELECT ${CARD_COLUMNS.map((c, i) => `json_extract(value, '$[${i}]') AS ${c}`).join(', ')}
  FROM json_each(?) ORDER BY key`;

/** 1.1 fields the record did not have stay absent (absent: no rule). */
export const toRecord = (r: CardRow): CardRecord => ({
  cardUid: r.uid,
  holderId: r.holder_id,
  name: r.name,
  photo: r.photo,
  status: r.status,
  balance: r.balance,
  version: r.version,
  updatedAt: r.updated_at,
  ...(r.rules !== null ? { rules: JSON.parse(r.rules) as CardRules } : {}),
  ...(r.spent_day !== null && r.spent_total !== null ? { spent: { day: r.spent_day, total: r.spent_total } } : {}),
  ...(r.auth !== null ? { auth: r.auth } : {}),
  ...(r.sun_counter !== null ? { sunCounter: r.sun_counter } : {}),
});

interface StaffRow {
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

export type PhotoCheck = 'ok' | 'too_large' | 'hash_mismatch' | 'not_an_image';

/** JPEG or PNG by magic bytes, within the contract's size, matching its SHA-256 name. */
export function checkPhoto(sha: string, bytes: Buffer): PhotoCheck {
  if (bytes.length > MAX_PHOTO_BYTES) return 'too_large';
  const png =
    bytes.length > 8 && bytes.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
  const jpeg = bytes.length > 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff;
  if (!png && !jpeg) return 'not_an_image';
  return sha256Hex(bytes) === sha ? 'ok' : 'hash_mismatch';
}

/**
 * SQL: the card row `c` is one the stored roster leaves out (its record older than the roster, its
 * UID not on it). Such a card is closed: erased a chunk at a time (applyRoster), and meanwhile no
 * read for a sale sees it.
 */
export const LEFT_OFF = (c: string): string =>
  `EXISTS (SELECT 1 FROM roster r WHERE ${c}.updated_at < r.updated_at
     AND NOT EXISTS (SELECT 1 FROM roster_members m WHERE m.list = 'cards' AND m.uid = ${c}.uid))`;

/** Cards erased per transaction when a roster leaves many out (a scan of the sales each, a few ms). */
export const ERASE_CHUNK = 100;

export class CardCache {
  constructor(
    private readonly db: Db,
    /** Photos were stored (after the commit): the display prepares them for the screen. */
    private readonly photosStored: () => void = () => undefined,
  ) {}

  async get(uid: string): Promise<CardRecord | null> {
    const r = await this.db.read((q) =>
      q.get<CardRow>(`SELECT * FROM cards c WHERE c.uid = ? AND NOT ${LEFT_OFF('c')}`, [uid]),
    );
    return r ? toRecord(r) : null;
  }

  /** Stores a record only if its version is higher than the cached one; says whether it did. */
  async put(c: CardRecord): Promise<boolean> {
    return (await this.putMany([c]))[0];
  }

  /**
   * Stores each record that is newer than the cached one, all in ONE statement (a fresh terminal
   * syncs 10,000: a thread-pool round trip per record was most of the sync's time); says for each,
   * in order, whether it was stored. Migration 4's trigger drops a photo a card no longer uses: a
   * replaced photo is erased (Queryable.erased) with the write that replaced it.
   */
  putMany(records: readonly CardRecord[]): Promise<boolean[]> {
    return this.db.tx(async (q) => {
      const photos = new Map(
        (
          await q.all<{ uid: string; photo: string }>(
            'SELECT uid, photo FROM cards WHERE photo IS NOT NULL AND uid IN (SELECT value FROM json_each(?))',
            [JSON.stringify(records.map((c) => c.cardUid))],
          )
        ).map((r) => [r.uid, r.photo]),
      );
      const out = records.length > 0 ? await this.#putRows(q, records) : [];
      if (records.some((c, i) => out[i] && photos.has(c.cardUid) && photos.get(c.cardUid) !== c.photo)) q.erased();
      return out;
    });
  }

  async #putRows(q: Queryable, records: readonly CardRecord[]): Promise<boolean[]> {
    const stored = await q.all<{ uid: string; version: number }>(
      // A record the newest roster already left out (older than it, not on it) is a closed card's: not kept.
      `INSERT INTO cards (${CARD_COLUMNS.join(', ')}) SELECT * FROM (${CARD_ROWS}) v
       WHERE NOT EXISTS (SELECT 1 FROM roster r WHERE v.updated_at < r.updated_at
         AND NOT EXISTS (SELECT 1 FROM roster_members m WHERE m.list = 'cards' AND m.uid = v.uid))
       ON CONFLICT(uid) DO UPDATE SET ${CARD_COLUMNS.filter((c) => c !== 'uid')
         .map((c) => `${c}=excluded.${c}`)
         .join(', ')}
       WHERE excluded.version > cards.version RETURNING uid, version`,
      [JSON.stringify(records.map(cardValues))],
    );
    // A stored row has its record's version, and a UID's stored versions only grow: the pair
    // names the record (a UID twice in `records` with the same version is stored once, the first).
    const key = (uid: string, version: number) => `${uid} ${version}`;
    const left = new Set(stored.map((r) => key(r.uid, r.version)));
    return records.map((c) => left.delete(key(c.cardUid, c.version)));
  }

  /**
   * A closed card: erase its record, its photo (unless another card uses it) and the UID from
   * its sales. Outbox entries keep the UID: they are money the ledger must still book.
   */
  close(uid: string): Promise<boolean> {
    return this.db.tx(async (q) => (await eraseCards(q, [uid])).length > 0);
  }

  // --- Staff cards and the roster ---

  async staff(uid: string): Promise<StaffRecord | null> {
    const r = await this.db.read((q) => q.get<StaffRow>('SELECT * FROM staff WHERE uid = ?', [uid]));
    return r ? toStaff(r) : null;
  }

  /** Stores a staff record only if its version is higher than the cached one; says whether it did. */
  putStaff(s: StaffRecord): Promise<boolean> {
    return this.db.tx(async (q) => {
      if (await leftOffRoster(q, s.cardUid, s.updatedAt, 'staff')) return false;
      const r = await q.run(
        `INSERT INTO staff (uid, staff_id, name, role, version, updated_at) VALUES (?,?,?,?,?,?)
         ON CONFLICT(uid) DO UPDATE SET staff_id=excluded.staff_id, name=excluded.name, role=excluded.role,
           version=excluded.version, updated_at=excluded.updated_at
         WHERE excluded.version > staff.version`,
        [s.cardUid, s.staffId, s.name, s.role, s.version, s.updatedAt],
      );
      return r.changes > 0;
    });
  }

  /** A removed staff card: erased like a closed card. */
  removeStaff(uid: string): Promise<boolean> {
    return this.db.tx(async (q) => {
      q.erased();
      await q.run('DELETE FROM roster_members WHERE uid = ?', [uid]);
      return (await q.run('DELETE FROM staff WHERE uid = ?', [uid])).changes > 0;
    });
  }

  async roster(): Promise<Roster | null> {
    return this.db.read(async (q) => {
      const r = await q.get<{ version: number; updated_at: string }>(
        'SELECT version, updated_at FROM roster WHERE id = 1',
      );
      if (!r) return null;
      const members = await q.all<{ list: 'cards' | 'staff'; uid: string }>('SELECT list, uid FROM roster_members');
      const of = (list: string) => members.filter((m) => m.list === list).map((m) => m.uid);
      return { version: r.version, updatedAt: r.updated_at, cards: of('cards'), staff: of('staff') };
    });
  }

  /**
   * Keeps a newer roster and erases, as if closed, every cached card and staff card not on it whose
   * record is older than it. Returns the erased UIDs, or null when the roster was not newer and
   * nothing the stored one left out was still there.
   *
   * The roster, its members and the staff erasure commit first; from then on the cards it leaves
   * out are invisible to a sale (get, readCardMoney: LEFT_OFF) and are erased ERASE_CHUNK per
   * transaction, so a sale's write waits behind one chunk, not a thousand erasures. The stored
   * roster is the record of what is pending: a crash mid-way is finished by eraseLeftOff at the
   * next Journal.open. `erasing` hears each chunk's UIDs once committed.
   */
  async applyRoster(
    roster: Roster,
    erasing: (uids: string[]) => void = () => undefined,
  ): Promise<{ cards: string[]; staff: string[] } | null> {
    const stored = await this.db.tx(async (q) => {
      const r = await q.run(
        `INSERT INTO roster (id, version, updated_at) VALUES (1, ?, ?)
         ON CONFLICT(id) DO UPDATE SET version=excluded.version, updated_at=excluded.updated_at
         WHERE excluded.version > roster.version`,
        [roster.version, roster.updatedAt],
      );
      if (r.changes === 0) return null;
      // The old roster's UIDs (closed cards among them) leave the files too.
      q.erased();
      await q.run('DELETE FROM roster_members');
      // One statement per list: a club's roster is thousands of UIDs (a round trip each took ~0.3 s).
      for (const list of ['cards', 'staff'] as const)
        await q.run('INSERT OR IGNORE INTO roster_members (list, uid) SELECT ?, value FROM json_each(?)', [
          list,
          JSON.stringify(roster[list]),
        ]);
      // ISO 8601 UTC with milliseconds: string order is time order.
      const staff = (
        await q.all<{ uid: string }>(
          "SELECT uid FROM staff WHERE updated_at < ? AND uid NOT IN (SELECT uid FROM roster_members WHERE list = 'staff')",
          [roster.updatedAt],
        )
      ).map((x) => x.uid);
      for (const uid of staff) await q.run('DELETE FROM staff WHERE uid = ?', [uid]);
      return { staff, cards: await leftOffCards(q) };
    });
    if (!stored) {
      // Not newer, but the stored one's erasure may have been cut short (the disk full in a chunk):
      // the catch-up's refetch brings this same roster, and it finishes the erasure.
      const cards = await this.eraseLeftOff(erasing);
      return cards.length ? { cards, staff: [] } : null;
    }
    return { cards: await this.#erase(stored.cards, erasing), staff: stored.staff };
  }

  /**
   * Erases the cached cards the stored roster leaves out (a roster's erasure cut by a crash or a
   * power cut): Journal.open runs it before anything reads the journal. Returns their UIDs.
   */
  async eraseLeftOff(erasing: (uids: string[]) => void = () => undefined): Promise<string[]> {
    return this.#erase(await this.db.read(leftOffCards), erasing);
  }

  /** Erases those of `uids` still left off, ERASE_CHUNK per transaction; returns the ones erased. */
  async #erase(uids: readonly string[], erasing: (uids: string[]) => void): Promise<string[]> {
    const erased: string[] = [];
    let since = 0;
    for (let i = 0; i < uids.length; i += ERASE_CHUNK) {
      if (i > 0) await restAfter(since, this.db.timers);
      since = performance.now();
      const chunk = await this.db.tx(async (q) => {
        // A record newer than the roster may have come meanwhile (the card given out again): kept.
        const still = await q.all<{ uid: string }>(
          `SELECT uid FROM cards c WHERE uid IN (SELECT value FROM json_each(?)) AND ${LEFT_OFF('c')}`,
          [JSON.stringify(uids.slice(i, i + ERASE_CHUNK))],
        );
        return still.length
          ? eraseCards(
              q,
              still.map((x) => x.uid),
            )
          : [];
      });
      erased.push(...chunk);
      if (chunk.length) erasing(chunk);
    }
    return erased;
  }

  async count(): Promise<number> {
    return must(await this.db.read((q) => q.get<{ n: number }>('SELECT count(*) AS n FROM cards')), 'count(*) row').n;
  }

  /**
   * Stores a checked photo. Named by its SHA-256, a stored photo is already these bytes: every
   * reconnect delivers all retained photos again, and rewriting them cost megabytes of WAL each time.
   */
  async putPhoto(sha: string, bytes: Buffer): Promise<void> {
    await this.putPhotos([[sha, bytes]]);
  }

  /** Checked photos in one statement (see putMany). */
  async putPhotos(photos: readonly (readonly [sha: string, bytes: Buffer])[]): Promise<void> {
    let stored = 0;
    for (const chunk of chunks(photos)) {
      stored += (
        await this.db.writeOne(
          `INSERT OR IGNORE INTO photos (sha, bytes) VALUES ${chunk.map(() => '(?,?)').join(',')}`,
          chunk.flat(),
        )
      ).changes;
    }
    if (stored > 0) this.photosStored();
  }

  async deletePhoto(sha: string): Promise<void> {
    await this.db.tx(async (q) => {
      q.erased();
      await q.run('DELETE FROM photos WHERE sha = ?', [sha]);
    });
  }

  async photo(sha: string): Promise<Buffer | null> {
    const r = await this.db.read((q) => q.get<{ bytes: Buffer }>('SELECT bytes FROM photos WHERE sha = ?', [sha]));
    return r?.bytes ?? null;
  }

  async catalog(): Promise<Catalog | null> {
    const r = await this.db.read((q) =>
      q.get<{ version: number; items: string }>('SELECT version, items FROM catalog WHERE id = 1'),
    );
    return r ? { version: r.version, items: JSON.parse(r.items) } : null;
  }

  /** Keeps the catalog with the highest version. */
  putCatalog(c: Catalog): Promise<boolean> {
    return this.db.tx(
      async (q) =>
        (
          await q.run(
            `INSERT INTO catalog (id, version, items) VALUES (1, ?, ?)
       ON CONFLICT(id) DO UPDATE SET version=excluded.version, items=excluded.items WHERE excluded.version > catalog.version`,
            [c.version, JSON.stringify(c.items)],
          )
        ).changes > 0,
    );
  }

  async ledgerConfig(): Promise<TerminalConfigMsg | null> {
    const r = await this.db.read((q) => q.get<{ json: string }>('SELECT json FROM ledger_config WHERE id = 1'));
    return r ? JSON.parse(r.json) : null;
  }

  async putLedgerConfig(c: TerminalConfigMsg | null): Promise<void> {
    await this.db.tx((q) =>
      c
        ? q.run('INSERT OR REPLACE INTO ledger_config (id, json) VALUES (1, ?)', [JSON.stringify(c)])
        : q.run('DELETE FROM ledger_config'),
    );
  }
}

/**
 * Erases cards' records, their photos (unless another card uses one) and their UIDs from their
 * sales, in a few set-wide statements (a sales scan per statement: UPDATE … WHERE card_uid = ?
 * per card scanned 20,000 sales a card, ten seconds for a roster of 1,000). Returns the UIDs erased.
 * secure_delete zeroes what is deleted; the checkpoint after the commit (erased) moves the zeroed
 * pages into journal.db and empties the WAL, whose older frames still hold the old ones.
 */
async function eraseCards(q: Queryable, uids: readonly string[]): Promise<string[]> {
  q.erased();
  const list = JSON.stringify(uids);
  const gone = await q.all<{ uid: string; photo: string | null }>(
    'DELETE FROM cards WHERE uid IN (SELECT value FROM json_each(?)) RETURNING uid, photo',
    [list],
  );
  await q.run('UPDATE sales SET card_uid = NULL WHERE card_uid IN (SELECT value FROM json_each(?))', [list]);
  // The roster's copy of the UID goes too: a closed card leaves no trace until the next roster.
  await q.run('DELETE FROM roster_members WHERE uid IN (SELECT value FROM json_each(?))', [list]);
  const photos = [...new Set(gone.flatMap((g) => (g.photo ? [g.photo] : [])))];
  if (photos.length)
    await q.run(
      'DELETE FROM photos WHERE sha IN (SELECT value FROM json_each(?)) AND sha NOT IN (SELECT photo FROM cards WHERE photo IS NOT NULL)',
      [JSON.stringify(photos)],
    );
  return gone.map((g) => g.uid);
}

/** The cached cards the stored roster leaves out: older than it and not on it (nothing before a roster). */
async function leftOffCards(q: Queryable): Promise<string[]> {
  return (await q.all<{ uid: string }>(`SELECT uid FROM cards c WHERE ${LEFT_OFF('c')}`)).map((x) => x.uid);
}

/** True when the newest roster is newer than a record of `uid` made at `updatedAt` and does not list it. */
async function leftOffRoster(q: Queryable, uid: string, updatedAt: string, list: 'cards' | 'staff'): Promise<boolean> {
  const r = await q.get<{ updated_at: string }>('SELECT updated_at FROM roster WHERE id = 1');
  if (!r || updatedAt >= r.updated_at) return false;
  return (await q.get('SELECT 1 FROM roster_members WHERE list = ? AND uid = ?', [list, uid])) === undefined;
}
