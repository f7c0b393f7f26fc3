// Parents' rules at the till (contract 1.1) as pure functions, shared by the terminal and the
// reference ledger so both refuse the same baskets. "Today" is a local date string (local-day.ts);
// each side brings its own count of what was spent on it.
import type { CardRecord, CardRules, Spent } from '../../contract/index.ts';

export interface RuleLine {
  sku: string;
  name: string;
  unitPrice: number;
  qty: number;
  category: string | null;
}

/** The basket's lines with the catalog's category of each (null: no longer in the catalog). */
export function withCategories(
  lines: readonly Omit<RuleLine, 'category'>[],
  catalog: readonly { sku: string; category: string }[],
): RuleLine[] {
  const category = new Map(catalog.map((i) => [i.sku, i.category]));
  return lines.map((l) => ({ ...l, category: category.get(l.sku) ?? null }));
}

/** Why the parents' rules refuse a basket, with what the cashier is told. */
export type RuleRefusal = { reason: 'category_blocked'; item: string } | { reason: 'daily_limit'; leftToday: number };

/** The ledger's count for `today`: `spent.total` when `spent.day` is today, else 0. */
export const spentInRecord = (spent: Spent | undefined, today: string): number =>
  spent && spent.day === today ? spent.total : 0;

/**
 * The terminal's count of the record for its business day: `spent.day` is the day's date, or a
 * date the day had before the wall clock stepped (a step renames the day, it does not begin a new
 * one), or later than the day's date (the ledger's clock is ahead of this terminal's, e.g. before
 * NTP after a boot without a real-time clock: counting it is the side that never weakens the limit).
 */
export const spentOnDay = (spent: Spent | undefined, day: { date: string; names: readonly string[] }): number =>
  spent && (spent.day > day.date || day.names.includes(spent.day)) ? spent.total : 0;

/**
 * Money the card may still spend today under its daily limit (never below 0), or null without a
 * limit. `spentToday` is the record's count plus this terminal's sales of today not yet in it.
 */
export function leftToday(rules: CardRules | undefined, spentToday: number): number | null {
  const limit = rules?.dailyLimit;
  return limit === null || limit === undefined ? null : Math.max(0, limit - spentToday);
}

/** Whether the card's rules block a line's category (an item no longer in the catalog has none). */
export function blockedBy(rules: CardRules | undefined): (line: RuleLine) => boolean {
  const blocked = new Set(rules?.blockedCategories ?? []);
  return (l) => l.category !== null && blocked.has(l.category);
}

/** Checks a basket against the card's rules: category first (the cashier can take that item off). */
export function checkParentRules(
  rules: CardRules | undefined,
  lines: readonly RuleLine[],
  spentToday: number,
): RuleRefusal | null {
  const hit = lines.find(blockedBy(rules));
  if (hit) return { reason: 'category_blocked', item: hit.name };
  const limit = rules?.dailyLimit;
  if (limit === null || limit === undefined) return null;
  const total = lines.reduce((s, l) => s + l.unitPrice * l.qty, 0);
  if (spentToday + total > limit) return { reason: 'daily_limit', leftToday: Math.max(0, limit - spentToday) };
  return null;
}

/** The record's `spent` after booking `delta` øre today (a void or reversal: negative, only for today's sales). */
export function spentAfter(card: Pick<CardRecord, 'spent'>, today: string, delta: number): Spent {
  return { day: today, total: spentInRecord(card.spent, today) + delta };
}

/** A note as the cashier sees it: control characters (newlines, escapes that could drive the terminal) removed. */
export function displayNote(note: string | null | undefined): string | null {
  if (note === null || note === undefined) return null;
  // C0, DEL, C1, and the bidi/format controls that could reorder what the cashier reads.
  const clean = note
    .replace(/[\u0000-\u001f\u007f-\u009f\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]/g, ' ')
    .replace(/ {2,}/g, ' ')
    .trim();
  return clean === '' ? null : clean;
}
