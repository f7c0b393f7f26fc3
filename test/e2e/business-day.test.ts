// Issue 13 items 3 and 5, in-process with an injected clock: the day's report (F3) and the last
// sale (F2) do not depend on a step of the wall clock; "today" is the club's local date; F2 offers
// only the last approved sale of this terminal, and nothing once that one is voided or its card closed.
import test from 'ava';
import { inStep, world, type World } from '../helpers/fixture.ts';
import { fakeClock } from '../helpers/clock.ts';
import { sellDirect, voidLast } from '../helpers/cashier.ts';
import { until } from '../helpers/until.ts';
import { demoChildren, DEMO_CLUB_ID } from '../../sim/demo-club.ts';
import { localDay } from '../../firmware/rules/local-day.ts';
import type { Terminal } from '../../firmware/terminal/terminal.ts';
import type { SaleEvent } from '../../firmware/sale/types.ts';
import type { ReportView, VoidView } from '../../contract/index.ts';

const C = DEMO_CLUB_ID;
const HOUR = 3600_000;
const active = (w: World) =>
  demoChildren()
    .map((d) => w.ledger.card(C, d.uid)!)
    .filter((c) => c.status === 'active' && c.balance >= 3000)
    .map((c) => c.cardUid);

/** Presses `key` on idle and waits for what it loads (the controller's own event). */
async function load(terminal: Terminal, key: 'f2' | 'f3'): Promise<{ sale: VoidView | null } | { report: ReportView }> {
  const c = terminal.controller;
  const seen: SaleEvent['type'][] = [];
  const dispatch = c.dispatch.bind(c);
  c.dispatch = (ev) => {
    seen.push(ev.type);
    dispatch(ev);
  };
  try {
    c.onKey(key);
    await until(() => seen.includes(key === 'f2' ? 'voidLoaded' : 'reportLoaded'), `${key} loaded`);
    const s = c.state;
    if (s.screen === 'void') return { sale: s.sale };
    if (s.screen === 'report') return { report: s.report };
    throw new Error(`on ${s.screen}`);
  } finally {
    c.dispatch = dispatch;
    c.onKey('escape');
  }
}
const lastSale = async (t: Terminal) => ((await load(t, 'f2')) as { sale: VoidView | null }).sale;
const report = async (t: Terminal) => ((await load(t, 'f3')) as { report: ReportView }).report;

test('sold with the clock 26 h behind, then stepped forward: the report and the last sale still have the sales', async (t) => {
  const w = await world(t);
  const clock = fakeClock({ wallOffsetMs: -26 * HOUR });
  const { terminal } = await w.startTerminal('kasse-1', {}, { clock });
  await inStep(w, terminal);
  const [a, b] = active(w);
  const sold = [await sellDirect(terminal, ['1'], a!), await sellDirect(terminal, ['2'], b!)];
  for (const s of sold) t.like(s.result, { status: 'approved' });
  const before = await report(terminal);
  t.is(before.sales, 2);

  const named = (await terminal.businessDay.today()).date;
  clock.step(26 * HOUR); // NTP
  const r = await report(terminal);
  t.deepEqual(
    (await terminal.businessDay.today()).names,
    [named, localDay(clock.now(), 'Europe/Copenhagen')],
    'the day keeps the name it had (the daily limit counts a record of it)',
  );
  t.like(r, { sales: 2, salesTotal: before.salesTotal, date: localDay(clock.now(), 'Europe/Copenhagen') });
  t.is((await lastSale(terminal))?.txId ?? null, sold[1]!.result!.txId);

  clock.step(-3 * 365 * 24 * HOUR); // and back by years
  t.is((await report(terminal)).sales, 2);
  t.is((await lastSale(terminal))?.txId ?? null, sold[1]!.result!.txId);
});

test("'today' is the club's local date, and a new day begins when local midnight really passes", async (t) => {
  const w = await world(t);
  // 23:59:00 UTC on 1 December is 00:59 on 2 December in Copenhagen.
  const clock = fakeClock({ wallOffsetMs: Date.parse('2026-12-01T22:59:00.000Z') - Date.now() });
  const { terminal } = await w.startTerminal('kasse-1', { timeZone: 'Europe/Copenhagen' }, { clock });
  await inStep(w, terminal);
  const [a] = active(w);
  t.like(await sellDirect(terminal, ['1'], a!), { result: { status: 'approved' } });
  t.like(await report(terminal), { date: '2026-12-01', sales: 1 });
  clock.pass(HOUR); // 00:59 local on 2 December
  t.like(await report(terminal), { date: '2026-12-02', sales: 0 });
  t.is(await lastSale(terminal), null);
});

test('F2 offers only the last approved sale: nothing once it is voided, nothing once its card is closed', async (t) => {
  const w = await world(t);
  const { terminal } = await w.startTerminal('kasse-1');
  await inStep(w, terminal);
  const [a, b, c] = active(w);
  const first = await sellDirect(terminal, ['1'], a!);
  const second = await sellDirect(terminal, ['1'], b!);
  t.is((await lastSale(terminal))?.txId ?? null, second.result!.txId);
  t.like((await voidLast(terminal)).result, { status: 'approved' });
  t.is(await lastSale(terminal), null, "not the other child's older sale");
  t.not(first.result!.txId, null);

  const third = await sellDirect(terminal, ['1'], c!);
  t.is((await lastSale(terminal))?.txId ?? null, third.result!.txId);
  await w.ledger.closeCard(C, c!);
  await until(async () => (await terminal.journal.cards.get(c!)) === null, 'the card closed at the terminal');
  t.is(await lastSale(terminal), null, 'not the sale before it');
});
