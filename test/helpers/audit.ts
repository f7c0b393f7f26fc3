// The money audit of the fault tests: what the cashier saw on the result screens against what the
// ledger booked, to the øre. Contract: a sale seen approved is booked exactly once; a sale seen
// declined moves no money; a sale never seen approved moves no money in the end (an online sale the
// ledger approved but whose answer the cashier never saw is reversed after a restart).
import type { Queryable } from '../../firmware/journal/db.ts';
import type { Ledger } from '../../sim/reference-ledger/ledger.ts';

/** One result screen as the cashier saw it. */
export interface SeenResult {
  status: 'approved' | 'declined';
  txId: string | null;
}

/** A terminal's own record of one sale (from its journal). */
export interface SaleRecord {
  txId: string;
  cardUid: string | null;
  total: number;
  status: string;
}

export interface Audit {
  /** Distinct txIds the cashier saw approved / declined. */
  approved: number;
  declined: number;
  /** Seen approved, booked exactly once and never reversed. */
  bookedOnce: number;
  /** Seen approved, but the ledger's net booking is not the sale's total. */
  lost: number;
  /** Booked more than once. */
  double: number;
  /** Seen declined, but money moved. */
  declinedBooked: number;
  /** Never seen approved or declined, but money moved. */
  unseenBooked: number;
  /** Booked online, never seen approved, reversed (what the contract allows after a restart). */
  reversed: number;
  /** Screens that contradict each other or the terminal's journal. */
  conflicts: string[];
  /** One line per txId counted in lost, double, declinedBooked or unseenBooked. */
  details: string[];
  /** Cards whose ledger balance is not start + top-ups − the approved totals. */
  balanceErrors: string[];
}

/** Tops a card up at the ledger and adds the amount to `topUps` (the audit's expected balances). */
export async function topUp(
  ledger: Ledger,
  clubId: string,
  topUps: Map<string, number>,
  uid: string,
  amount: number,
): Promise<void> {
  await ledger.topUp(clubId, uid, amount);
  topUps.set(uid, (topUps.get(uid) ?? 0) + amount);
}

export async function journalSales(db: Queryable): Promise<SaleRecord[]> {
  const rows = await db.all<{ tx_id: string; card_uid: string | null; total: number; status: string }>(
    'SELECT tx_id, card_uid, total, status FROM sales',
  );
  return rows.map((r) => ({ txId: r.tx_id, cardUid: r.card_uid, total: r.total, status: r.status }));
}

export interface AuditInput {
  seen: Iterable<SeenResult>;
  /** Every terminal's sales, from their journals. */
  sales: Iterable<SaleRecord>;
  ledger: Ledger;
  clubId: string;
  /** Each card's ledger balance when the run began, and the top-ups made since. */
  start: ReadonlyMap<string, number>;
  topUps: ReadonlyMap<string, number>;
}

export function audit(i: AuditInput): Audit {
  const seenApproved = new Set<string>();
  const seenDeclined = new Set<string>();
  for (const s of i.seen) if (s.txId) (s.status === 'approved' ? seenApproved : seenDeclined).add(s.txId);
  const sales = new Map<string, SaleRecord>();
  for (const s of i.sales) sales.set(s.txId, s);
  const net = new Map<string, number>();
  const debits = new Map<string, number>();
  for (const e of i.ledger.history()) {
    if (e.type === 'void') continue; // none in these runs; a void has a txId of its own
    net.set(e.txId, (net.get(e.txId) ?? 0) + e.amount);
    if (e.type === 'sale') debits.set(e.txId, (debits.get(e.txId) ?? 0) + 1);
  }

  const a: Audit = {
    approved: seenApproved.size,
    declined: 0,
    bookedOnce: 0,
    lost: 0,
    double: 0,
    declinedBooked: 0,
    unseenBooked: 0,
    reversed: 0,
    conflicts: [],
    details: [],
    balanceErrors: [],
  };
  const spent = new Map<string, number>();
  const detail = (what: string, txId: string) =>
    a.details.push(
      `${what}: ${txId} journal=${sales.get(txId)?.status ?? 'none'} debits=${debits.get(txId) ?? 0} net=${net.get(txId) ?? 0}`,
    );
  for (const txId of seenApproved) {
    const sale = sales.get(txId);
    if (seenDeclined.has(txId)) a.conflicts.push(`${txId} seen approved and declined`);
    if (!sale) {
      a.conflicts.push(`${txId} seen approved, not in any journal`);
      a.lost++;
      continue;
    }
    if (sale.status !== 'approved') a.conflicts.push(`${txId} seen approved, journal says ${sale.status}`);
    if (sale.cardUid) spent.set(sale.cardUid, (spent.get(sale.cardUid) ?? 0) + sale.total);
    if ((debits.get(txId) ?? 0) === 1 && net.get(txId) === -sale.total) a.bookedOnce++;
    else if ((debits.get(txId) ?? 0) <= 1) {
      a.lost++;
      detail('lost', txId);
    }
  }
  for (const txId of seenDeclined) {
    if (seenApproved.has(txId)) continue;
    a.declined++;
    const sale = sales.get(txId);
    if (sale && sale.status !== 'declined') a.conflicts.push(`${txId} seen declined, journal says ${sale.status}`);
    if ((net.get(txId) ?? 0) !== 0) {
      a.declinedBooked++;
      detail('declined but booked', txId);
    }
  }
  for (const [txId, n] of debits) {
    if (n > 1) {
      a.double++;
      detail('double', txId);
    }
    if (seenApproved.has(txId)) continue;
    if ((net.get(txId) ?? 0) === 0) a.reversed++;
    else if (!seenDeclined.has(txId)) {
      a.unseenBooked++;
      detail('booked unseen', txId);
    }
  }
  for (const [uid, start] of i.start) {
    const expected = start + (i.topUps.get(uid) ?? 0) - (spent.get(uid) ?? 0);
    const actual = i.ledger.card(i.clubId, uid)?.balance;
    if (actual !== expected) a.balanceErrors.push(`card …${uid.slice(-4)}: ledger ${actual}, expected ${expected}`);
  }
  return a;
}

/** Everything that breaks the contract; empty when the run was clean. */
export function problems(a: Audit): string[] {
  const p: string[] = [];
  if (a.lost) p.push(`${a.lost} sale(s) seen approved but not booked once`);
  if (a.double) p.push(`${a.double} sale(s) booked more than once`);
  if (a.declinedBooked) p.push(`${a.declinedBooked} sale(s) seen declined but booked`);
  if (a.unseenBooked) p.push(`${a.unseenBooked} sale(s) booked that the cashier never saw approved`);
  return [...p, ...a.details, ...a.conflicts, ...a.balanceErrors];
}

export function auditLine(a: Audit): string {
  return (
    `approved=${a.approved} declined=${a.declined} booked_once=${a.bookedOnce} reversed=${a.reversed} ` +
    `unseen_booked=${a.unseenBooked} declined_booked=${a.declinedBooked} lost=${a.lost} double=${a.double}`
  );
}
