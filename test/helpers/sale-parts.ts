// A sale's parts over a real journal in a temp dir, without a broker: the authoriser with every
// dependency injected, the ledger's answers fed in as the sync emits them. For the unit tests of
// firmware/sale/authoriser.ts and controller.ts.
import type { ExecutionContext } from 'ava';
import { EventEmitter } from 'node:events';
import pino from 'pino';
import type { Journal } from '../../firmware/journal/journal.ts';
import type { LedgerSync } from '../../firmware/ledger/sync.ts';
import type { Limits } from '../../firmware/rules/effective-limits.ts';
import { Authoriser, type AuthoriserDeps } from '../../firmware/sale/authoriser.ts';
import type { BasketLine, CardRecord, CatalogItem } from '../../contract/index.ts';
import { tempJournal } from './temp-journal.ts';

export const UID = '04A1B2C3';
export const CATALOG: CatalogItem[] = [
  { sku: 'juice', name: 'Juice', price: 800, category: 'drink' },
  { sku: 'toast', name: 'Toast', price: 1500, category: 'food' },
];
export const juice = (qty = 1): BasketLine[] => [{ sku: 'juice', name: 'Juice', unitPrice: 800, qty }];
export const record = (over: Partial<CardRecord> = {}): CardRecord => ({
  cardUid: UID,
  holderId: 'h1',
  name: 'Astrid Nørgaard',
  photo: null,
  status: 'active',
  balance: 5000,
  version: 3,
  updatedAt: '2026-11-24T09:00:00.000Z',
  ...over,
});
export const LIMITS: Limits = {
  maxPurchase: 20000,
  replyTimeoutMs: 60_000,
  requireCashier: false,
  offline: { perCardLimit: 10000, terminalLimit: 300000, maxAgeSeconds: 3600 },
};

export interface Setup {
  a: Authoriser;
  j: Journal;
  sync: EventEmitter;
  forwards: number;
  noAnswers: number;
}

/** An authoriser over a fresh journal holding `card`; `over` replaces any dependency (it may use the setup). */
export async function setup(
  t: ExecutionContext,
  card: CardRecord | null,
  over: Partial<AuthoriserDeps> | ((s: Setup) => Partial<AuthoriserDeps>) = {},
): Promise<Setup> {
  const { j } = await tempJournal(t, 'authoriser');
  if (card) await j.cards.put(card);
  const sync = new EventEmitter();
  const s: Setup = { a: null as unknown as Authoriser, j, sync, forwards: 0, noAnswers: 0 };
  s.a = new Authoriser({
    terminalId: 'kasse-1',
    clubId: 'club-1',
    journal: j,
    sync: sync as unknown as LedgerSync,
    forward: () => {
      s.forwards++;
    },
    online: () => false,
    offlineForSeconds: () => 10,
    noAnswer: () => {
      s.noAnswers++;
    },
    limits: () => LIMITS,
    now: () => new Date('2026-11-24T10:00:00.000Z'),
    today: async () => ({ date: '2026-11-24', names: ['2026-11-24'], mark: { sale: 0, void: 0 } }),
    cashierId: () => null,
    log: pino({ level: 'silent' }),
    ...(typeof over === 'function' ? over(s) : over),
  });
  return s;
}

export async function cardOf(s: Setup) {
  const view = await s.a.cardView(UID);
  if (!view) throw new Error('the card is not in the journal');
  return view;
}
