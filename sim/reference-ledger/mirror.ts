// The ledger's committed state kept in memory: tests and the simulator read it synchronously, and a
// booking reads it instead of asking SQLite (each statement is a round trip through the thread pool).
// Loaded from the store at start and changed only after a change committed; since the ledger runs one
// job at a time and is the store's only writer, inside a job it equals the database.
import type { Queryable } from '../../firmware/journal/db.ts';
import type { CardRecord, Catalog, Roster, StaffRecord, TerminalConfigMsg } from '../../contract/index.ts';
import * as store from './store.ts';
import type { LedgerEntry } from './types.ts';

/** What a booking reads from committed state. */
export interface Committed {
  card(clubId: string, uid: string): CardRecord | null;
  clubKnown(clubId: string): boolean;
  terminalConfig(terminalId: string): TerminalConfigMsg | null;
  /** False only if no sale, reversal or void was ever stored under this txId: then there is nothing to read. */
  txIdSeen(txId: string): boolean;
  /** The seq the next money movement gets (entries are never deleted: one above the last). */
  nextEntrySeq(): number;
  /** The category the club's catalog gives a sku, or null when it is not in the catalog. */
  categoryOf(clubId: string, sku: string): string | null;
  /** The local day (`YYYY-MM-DD` in the ledger's time zone) a sale txId's debit was booked, or null. */
  saleBookedDay(txId: string): string | null;
  /** Contract § Access: the club a terminal is registered with, or null for none. */
  terminalClub(terminalId: string): string | null;
  /** The club once had a card with this UID and closed it (or removed it as a staff card). */
  cardClosed(clubId: string, uid: string): boolean;
}

const cardKey = (clubId: string, uid: string) => `${clubId}/${uid}`;

export class Mirror implements Committed {
  readonly #cards = new Map<string, CardRecord>();
  readonly #clubs = new Set<string>();
  readonly #configs = new Map<string, TerminalConfigMsg>();
  readonly #txIds = new Set<string>();
  readonly #entries: LedgerEntry[] = [];
  readonly #categories = new Map<string, Map<string, string>>();
  readonly #saleDays = new Map<string, string>();
  readonly #staff = new Map<string, StaffRecord>();
  readonly #rosters = new Map<string, Roster>();
  readonly #terminals = new Map<string, string>();
  readonly #closed = new Set<string>();

  constructor(private readonly dayOf: (iso: string) => string) {}

  static async load(q: Queryable, dayOf: (iso: string) => string): Promise<Mirror> {
    const m = new Mirror(dayOf);
    for (const c of await store.listCatalogs(q)) m.setCatalog(c.clubId, c.catalog);
    for (const s of await store.listStaff(q)) m.setStaff(s.clubId, s.staff);
    for (const clubId of await store.listClubs(q)) {
      const r = await store.getRoster(q, clubId);
      if (r) m.setRoster(clubId, r);
    }
    for (const c of await store.listCards(q)) m.setCard(c.clubId, c.card);
    for (const clubId of await store.listClubs(q)) m.addClub(clubId);
    for (const t of await store.listTerminalConfigs(q)) m.setTerminalConfig(t.terminalId, t.config);
    for (const t of await store.listTerminals(q)) m.setTerminalClub(t.terminalId, t.clubId);
    for (const c of await store.listClosed(q)) m.#closed.add(cardKey(c.club_id, c.uid));
    for (const txId of await store.listTxIds(q)) m.addTxId(txId);
    m.addEntries(await store.listEntries(q));
    return m;
  }

  card(clubId: string, uid: string): CardRecord | null {
    return this.#cards.get(cardKey(clubId, uid)) ?? null;
  }
  /** The club's cards in the order they were first mirrored (the seed's order after a start). */
  cards(clubId: string): CardRecord[] {
    return [...this.#cards].filter(([key]) => key.startsWith(`${clubId}/`)).map(([, card]) => card);
  }
  clubKnown(clubId: string): boolean {
    return this.#clubs.has(clubId);
  }
  terminalConfig(terminalId: string): TerminalConfigMsg | null {
    return this.#configs.get(terminalId) ?? null;
  }
  txIdSeen(txId: string): boolean {
    return this.#txIds.has(txId);
  }
  nextEntrySeq(): number {
    return (this.#entries.at(-1)?.seq ?? 0) + 1;
  }
  categoryOf(clubId: string, sku: string): string | null {
    return this.#categories.get(clubId)?.get(sku) ?? null;
  }
  /** The categories of the club's catalog, each once. */
  categories(clubId: string): string[] {
    return [...new Set(this.#categories.get(clubId)?.values() ?? [])];
  }
  saleBookedDay(txId: string): string | null {
    return this.#saleDays.get(txId) ?? null;
  }
  terminalClub(terminalId: string): string | null {
    return this.#terminals.get(terminalId) ?? null;
  }
  terminalsOf(clubId: string): string[] {
    return [...this.#terminals]
      .filter(([, c]) => c === clubId)
      .map(([t]) => t)
      .sort();
  }
  cardClosed(clubId: string, uid: string): boolean {
    return this.#closed.has(cardKey(clubId, uid));
  }
  staff(clubId: string, uid: string): StaffRecord | null {
    return this.#staff.get(cardKey(clubId, uid)) ?? null;
  }
  staffOf(clubId: string): StaffRecord[] {
    return [...this.#staff].filter(([key]) => key.startsWith(`${clubId}/`)).map(([, s]) => s);
  }
  roster(clubId: string): Roster | null {
    return this.#rosters.get(clubId) ?? null;
  }
  /** Every money movement for a tx message, in order. */
  entries(): readonly LedgerEntry[] {
    return this.#entries;
  }

  // --- only after the change committed ---
  setCard(clubId: string, card: CardRecord): void {
    this.#cards.set(cardKey(clubId, card.cardUid), card);
  }
  deleteCard(clubId: string, uid: string): void {
    this.#cards.delete(cardKey(clubId, uid));
    this.#closed.add(cardKey(clubId, uid));
  }
  addClub(clubId: string): void {
    this.#clubs.add(clubId);
  }
  setTerminalConfig(terminalId: string, cfg: TerminalConfigMsg): void {
    this.#configs.set(terminalId, cfg);
  }
  addTxId(txId: string): void {
    this.#txIds.add(txId);
  }
  addEntries(entries: LedgerEntry[]): void {
    this.#entries.push(...entries);
    for (const e of entries) if (e.type === 'sale') this.#saleDays.set(e.txId, this.dayOf(e.at));
  }
  setCatalog(clubId: string, c: Catalog): void {
    this.#categories.set(clubId, new Map(c.items.map((i) => [i.sku, i.category])));
  }
  setStaff(clubId: string, s: StaffRecord): void {
    this.#staff.set(cardKey(clubId, s.cardUid), s);
  }
  deleteStaff(clubId: string, uid: string): void {
    this.#staff.delete(cardKey(clubId, uid));
    this.#closed.add(cardKey(clubId, uid));
  }
  setTerminalClub(terminalId: string, clubId: string): void {
    this.#terminals.set(terminalId, clubId);
  }
  setRoster(clubId: string, r: Roster): void {
    this.#rosters.set(clubId, r);
  }
}
