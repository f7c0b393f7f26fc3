// The parents' rules (contract 1.1) as pure functions, shared by the terminal and the reference ledger.
import test from 'ava';
import {
  checkParentRules,
  displayNote,
  leftToday,
  spentAfter,
  spentInRecord,
  spentOnDay,
} from '../../firmware/rules/parents.ts';
import { localDay } from '../../firmware/rules/local-day.ts';
import { CardRules } from '../../contract/index.ts';

const line = (name: string, unitPrice: number, category: string | null, qty = 1) => ({
  sku: name.toLowerCase(),
  name,
  unitPrice,
  qty,
  category,
});

test('category_blocked names the first blocked item; daily_limit says how much is left today', (t) => {
  const rules = { dailyLimit: 3000, blockedCategories: ['slik'], note: null };
  t.deepEqual(checkParentRules(rules, [line('Juice', 800, 'drikke'), line('Is', 1000, 'slik')], 0), {
    reason: 'category_blocked',
    item: 'Is',
  });
  t.is(
    checkParentRules(rules, [line('Juice', 800, 'drikke', 2)], 1400),
    null,
    '1400 + 1600 = 3000 is within the limit',
  );
  t.deepEqual(checkParentRules(rules, [line('Juice', 800, 'drikke', 2)], 1401), {
    reason: 'daily_limit',
    leftToday: 1599,
  });
  t.deepEqual(checkParentRules(rules, [line('Juice', 800, 'drikke')], 5000), { reason: 'daily_limit', leftToday: 0 });
  t.is(checkParentRules(undefined, [line('Is', 1000, 'slik')], 99999), null, 'absent rules: no rule');
  t.is(checkParentRules({ dailyLimit: null }, [line('Is', 1000, null)], 99999), null);
  t.is(leftToday({ dailyLimit: 0 }, 0), 0);
  t.is(leftToday({}, 100), null);
});

test("today's spending in the record counts only when its day is today", (t) => {
  t.is(spentInRecord({ day: '2026-12-01', total: 1200 }, '2026-12-01'), 1200);
  t.is(spentInRecord({ day: '2026-11-30', total: 1200 }, '2026-12-01'), 0);
  t.is(spentInRecord(undefined, '2026-12-01'), 0);
  t.deepEqual(spentAfter({ spent: { day: '2026-11-30', total: 1200 } }, '2026-12-01', 800), {
    day: '2026-12-01',
    total: 800,
  });
  t.deepEqual(spentAfter({ spent: { day: '2026-12-01', total: 1200 } }, '2026-12-01', -800), {
    day: '2026-12-01',
    total: 400,
  });
});

test("the terminal counts the record's spending for its business day: any date the day was shown as, or a later one", (t) => {
  const day = { date: '2026-12-02', names: ['2026-12-01', '2026-12-02'] }; // renamed by a step forward
  t.is(spentOnDay({ day: '2026-12-01', total: 1200 }, day), 1200, 'the same real day, named before the step');
  t.is(spentOnDay({ day: '2026-12-02', total: 1200 }, day), 1200);
  t.is(
    spentOnDay({ day: '2026-12-03', total: 1200 }, day),
    1200,
    "the ledger's clock ahead of ours: counted, never lost",
  );
  t.is(spentOnDay({ day: '2026-11-30', total: 1200 }, day), 0, 'an earlier day');
  t.is(spentOnDay(undefined, day), 0);
});

test("the club's day turns at local midnight in Copenhagen, in winter and in summer time", (t) => {
  const tz = 'Europe/Copenhagen';
  t.is(localDay(new Date('2026-12-01T22:59:59.999Z'), tz), '2026-12-01');
  t.is(localDay(new Date('2026-12-01T23:00:00.000Z'), tz), '2026-12-02');
  t.is(localDay(new Date('2026-06-30T21:59:59.999Z'), tz), '2026-06-30');
  t.is(localDay(new Date('2026-06-30T22:00:00.000Z'), tz), '2026-07-01');
});

test('a note is shown without control characters; the contract counts its characters, not UTF-16 units', (t) => {
  t.is(displayNote('Nødde\u001b[31mallergi\r\nring mor\u202e'), 'Nødde [31mallergi ring mor');
  t.is(displayNote('\u0007\u0000'), null);
  t.is(displayNote(null), null);
  t.true(CardRules.safeParse({ note: '🥜'.repeat(200) }).success, '200 emoji are 200 characters');
  t.false(CardRules.safeParse({ note: 'x'.repeat(201) }).success);
});
