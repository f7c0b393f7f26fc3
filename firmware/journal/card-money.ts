// A card as a sale decides on it: its record, the money of its sales the record does not show yet,
// and the offline exposure (the card's and the terminal's), read in one statement. Each statement
// is a round trip to node-sqlite3's thread pool; three of them before and two after the one fsync
// made an offline approval wait six times the fsync itself.
import type { Db } from './db.ts';
import type { CardRecord } from '../../contract/index.ts';
import { LEFT_OFF, toRecord, type CardRow } from './card-cache.ts';
import { EXPOSURE_SQL, UNBOOKED_SQL } from './sales-book.ts';

export interface CardMoney {
  record: CardRecord;
  /** Spending not in the record yet (see availableMoney). */
  unbooked: number;
  /** Offline-approved, unanswered totals: this card's and the whole terminal's. */
  exposure: { card: number; terminal: number };
  /** Of `unbooked`, the sales of this business day (0 when not asked for, or the card has no daily limit). */
  unbookedToday: number;
}

type Row = CardRow & { unbooked: number; exp_card: number; exp_terminal: number; unbooked_today: number };

/**
 * `dayMark`: the business day's first sale row (business-day.ts); given, the day's part of the
 * unbooked money is read in the same statement, but only for a card with a daily limit (CASE skips
 * the subqueries; each goes by the card's index, not through the day's rows). The day's sales are the rows after the mark, never the rows' wall-clock stamps: a
 * clock stepped forward a day must not reset what the child spent today.
 */
export async function readCardMoney(db: Db, uid: string, dayMark: number | null = null): Promise<CardMoney | null> {
  const r = await db.read((q) =>
    q.get<Row>(
      `SELECT c.*, ${UNBOOKED_SQL('e.card', 'c.uid', 'c.version')} AS unbooked, e.card AS exp_card, e.terminal AS exp_terminal,
       CASE WHEN ?1 IS NULL OR c.rules IS NULL OR json_extract(c.rules, '$.dailyLimit') IS NULL THEN 0 ELSE
         ${UNBOOKED_SQL(
           `(SELECT coalesce(sum(o.total), 0) FROM outbox o WHERE o.type = 'sale' AND o.offline = 1 AND o.card_uid = c.uid
            AND (SELECT s.rowid FROM sales s WHERE s.tx_id = o.tx_id) > ?1)`,
           'c.uid',
           'c.version',
           '?1',
         )} END AS unbooked_today
       FROM cards c, (SELECT ${EXPOSURE_SQL('?2')}) e WHERE c.uid = ?2 AND NOT ${LEFT_OFF('c')}`,
      [dayMark, uid],
    ),
  );
  if (!r) return null;
  return {
    record: toRecord(r),
    unbooked: r.unbooked,
    exposure: { card: r.exp_card, terminal: r.exp_terminal },
    unbookedToday: r.unbooked_today,
  };
}
