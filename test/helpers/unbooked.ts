// Money of `uid`'s sales that the ledger's record at `recordVersion` does not show yet: approved and
// unanswered, or answered with a card version above it. The journal's own reads (card-money.ts) take
// this figure with the card in one statement; the tests ask for it alone, at any version.
import type { Journal } from '../../firmware/journal/journal.ts';
import { EXPOSURE_SQL, UNBOOKED_SQL } from '../../firmware/journal/sales-book.ts';

export async function unbooked(j: Journal, uid: string, recordVersion: number): Promise<number> {
  const r = await j.db.read((q) =>
    q.get<{ s: number }>(`SELECT ${UNBOOKED_SQL('e.card', '?', '?')} AS s FROM (SELECT ${EXPOSURE_SQL('?')}) e`, [
      uid,
      recordVersion,
      uid,
    ]),
  );
  return r?.s ?? 0;
}
