// Whose a sale is, for the void screen (F2): the name of the card's holder and of the cashier who
// made it, from the cached records, read in one statement. Null where the terminal no longer holds
// the record (a closed card, a removed staff card, nobody signed in): nothing is kept of those.
import type { Db } from './db.ts';

export interface SaleNames {
  child: string | null;
  seller: string | null;
}

export async function readSaleNames(
  db: Db,
  sale: { cardUid: string | null; cashierId: string | null },
): Promise<SaleNames> {
  const r = await db.read((q) =>
    q.get<{ child: string | null; seller: string | null }>(
      'SELECT (SELECT name FROM cards WHERE uid = ?) AS child, (SELECT name FROM staff WHERE staff_id = ?) AS seller',
      [sale.cardUid, sale.cashierId],
    ),
  );
  return { child: r?.child ?? null, seller: r?.seller ?? null };
}
