// A card as a sale decides on it: its record, the money of its sales the record does not show yet,
// and the offline exposure (the card's and the terminal's), read in one statement. Each statement
// is a round trip to node-sqlite3's thread pool; three of them before and two after the one fsync
// made an offline approval wait six times the fsync itself.
import type { Db } from './db.ts';
import type { CardRecord } from '../../contract/index.ts';
import { toRecord, type CardRow } from './card-cache.ts';
import { EXPOSURE_SQL, UNBOOKED_SQL } from './sales-book.ts';

export interface CardMoney {
  record: CardRecord;
  /** Spending not in the record yet (see availableMoney). */
  unbooked: number;
  /** Offline-approved, unanswered totals: this card's and the whole terminal's. */
  exposure: { card: number; terminal: number };
}

type Row = CardRow & { unbooked: number; exp_card: number; exp_terminal: number };

export async function readCardMoney(db: Db, uid: string): Promise<CardMoney | null> {
  const r = await db.read((q) => q.get<Row>(
    `SELECT c.*, ${UNBOOKED_SQL('e.card', 'c.uid', 'c.version')} AS unbooked, e.card AS exp_card, e.terminal AS exp_terminal
       FROM cards c, (SELECT ${EXPOSURE_SQL('?')}) e WHERE c.uid = ?`, [uid, uid]));
  if (!r) return null;
  return { record: toRecord(r), unbooked: r.unbooked, exposure: { card: r.exp_card, terminal: r.exp_terminal } };
}
