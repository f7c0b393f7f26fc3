// Contract 1.1 end to end on the simulator over a real broker: parents' rules at the tap online and
// offline (the day boundary in Europe/Copenhagen with injected clocks), the basket kept after a
// refusal, the parent's note, cashiers (sign-in and out, idle sign-out on an injected monotonic
// clock, cashierId on sales and voids, requireCashier, who may void what, the per-cashier report),
// the contract version in the status, and bad 1.1 records rejected whole.
import test from 'ava';
import mqtt from 'mqtt';
import { world, type World } from '../helpers/fixture.ts';
import { startMosquitto } from '../helpers/mosquitto.ts';
import { until } from '../helpers/until.ts';
import { fakeClock } from '../helpers/clock.ts';
import { sellDirect } from '../helpers/cashier.ts';
import { demoChildren, demoStaff, DEMO_CLUB_ID } from '../../sim/demo-club.ts';
import { StatusMsg, topics, type KeyName, type ScreenModel } from '../../contract/index.ts';
import type { SimClient } from '../helpers/sim-client.ts';
import type { Terminal } from '../../firmware/terminal/terminal.ts';
import type { TerminalConfigInput } from '../../firmware/config/schema.ts';

const C = DEMO_CLUB_ID;
const HOUR = 3600_000;
const EMIL = '04E1A2B3C4D5E6'; // daily limit 30 kr
const SOFIE = '04F1A2B3C4D5E6'; // 'slik' blocked, a note
const [METTE, LARS] = demoStaff() as [ReturnType<typeof demoStaff>[number], ReturnType<typeof demoStaff>[number]];
const SLOW_RESULT: Partial<TerminalConfigInput> = {
  sale: { resultScreenMs: 60000, replyTimeoutMs: 2000, maxPurchase: 19999 },
};

/**
 * A clock both the ledger and the terminal read, its wall clock set to `startIso`; `until` lets
 * time really pass to `iso` (a step of the wall clock would only rename the terminal's day).
 */
function clock(startIso: string) {
  const c = fakeClock({ wallOffsetMs: Date.parse(startIso) - Date.now(), trusted: true });
  return Object.assign(c, { until: (iso: string) => c.pass(Date.parse(iso) - c.now().getTime()) });
}

async function ready(w: World, terminal: Terminal, sim: SimClient): Promise<void> {
  await sim.waitScreen('idle', (s) => s.online && (s.view.catalog?.items.length ?? 0) > 0);
  await until(
    async () =>
      (await terminal.journal.cards.count()) === demoChildren().length &&
      (await terminal.journal.cards.staff(METTE.cardUid)) !== null &&
      (await terminal.journal.cards.staff(LARS.cardUid)) !== null,
    'cards and staff synced',
  );
  await until(
    async () => (await terminal.journal.cards.get(EMIL))?.version === w.ledger.card(C, EMIL)!.version,
    'in step',
  );
}

/** Rings up `keys`, asks for the card, taps `uid`, and returns the confirm or result screen. */
async function ringUp(sim: SimClient, keys: KeyName[], uid: string): Promise<ScreenModel> {
  await sim.keys(...keys);
  await sim.waitScreen('basket', (s) => s.basket!.items.reduce((n, l) => n + l.qty, 0) === keys.length);
  await sim.key('enter');
  await sim.waitScreen('tap');
  await sim.tap(uid);
  return sim.waitFor(
    () =>
      ((sim.screen?.screen === 'confirm' && !sim.screen.view.busy) || sim.screen?.screen === 'result') && sim.screen,
    'confirm or result',
  );
}

async function approve(sim: SimClient): Promise<ScreenModel> {
  await sim.key('enter');
  const r = await sim.waitScreen('result');
  await sim.leave();
  return r;
}

const lines = (s: ScreenModel) => s.basket!.items.map((l) => [l.sku, l.qty]);

test('daily limit online: refused at the tap with the basket kept, confirm shows what is left, and the day turns at midnight in Copenhagen', async (t) => {
  const clk = clock('2026-12-01T22:40:00.000Z'); // 23:40 in Copenhagen
  const w = await world(t, { ledgerNow: () => clk.now() });
  const { terminal, sim } = await w.startTerminal('kasse-1', SLOW_RESULT, { clock: clk });
  await ready(w, terminal, sim);
  const confirm = await ringUp(sim, ['5'], EMIL); // sandwich 25 kr of 30 kr
  t.like(confirm, { screen: 'confirm', view: { rules: { leftToday: 500, blockedItem: null } } });
  t.like((await approve(sim)).result, { status: 'approved' });
  await until(async () => (await terminal.journal.cards.get(EMIL))?.spent?.total === 2500, 'spent in the record');
  t.deepEqual((await terminal.journal.cards.get(EMIL))!.spent, { day: '2026-12-01', total: 2500 });
  const sent = sim.tx.length;

  const refused = await ringUp(sim, ['3'], EMIL); // 6 kr: 25 + 6 > 30
  t.like(refused, {
    screen: 'result',
    result: { status: 'declined', reason: 'daily_limit', txId: null },
    view: { rules: { leftToday: 500 } },
  });
  t.regex(refused.message, /daglige grænse/);
  t.is(sim.tx.length, sent, 'a refusal sends nothing');
  await sim.key('1'); // any key: back to the basket with the same lines
  const kept = await sim.waitScreen('basket');
  t.deepEqual(lines(kept), [['vand', 1]]);
  await sim.key('escape');
  await sim.waitScreen('idle');

  clk.until('2026-12-01T23:00:30.000Z'); // 00:00:30 on 2 December in Copenhagen
  const next = await ringUp(sim, ['5'], EMIL);
  t.like(
    next,
    { screen: 'confirm', view: { rules: { leftToday: 500 } } },
    "a new day: yesterday's spending does not count",
  );
  t.like((await approve(sim)).result, { status: 'approved' });
  t.deepEqual(w.ledger.card(C, EMIL)!.spent, { day: '2026-12-02', total: 2500 }, 'the ledger counts its own day');
  const tx = sim.tx.filter((m) => m.type === 'sale');
  t.true(
    tx.every((m) => m.type === 'sale' && m.cashierId === null),
    'nobody signed in: cashierId null',
  );
});

test("a blocked category names the item and keeps the basket; the parent's note shows on confirm and balance without control characters", async (t) => {
  const w = await world(t);
  const { terminal, sim } = await w.startTerminal('kasse-1', SLOW_RESULT);
  await ready(w, terminal, sim);
  const refused = await ringUp(sim, ['1', '8'], SOFIE); // juice + is (slik)
  t.like(refused, {
    screen: 'result',
    result: { status: 'declined', reason: 'category_blocked' },
    view: { rules: { blockedItem: 'Is' } },
  });
  t.is(sim.tx.length, 0);
  await sim.key('backspace');
  const kept = await sim.waitScreen('basket');
  t.deepEqual(
    lines(kept),
    [
      ['juice', 1],
      ['is', 1],
    ],
    'the next key goes back to the basket with the same lines',
  );
  await sim.key('backspace');
  await sim.waitScreen('basket', (s) => s.basket!.items.length === 1);
  await sim.key('enter');
  await sim.waitScreen('tap');
  await sim.tap(SOFIE);
  const confirm = await sim.waitScreen('confirm');
  t.is(confirm.card!.note, 'Nøddeallergi — ingen nødder');
  t.like((await approve(sim)).result, { status: 'approved' });

  // The parents change the rules and the note in the portal; the terminal follows the record.
  await w.ledger.setRules(C, SOFIE, { block: ['drikke'], note: 'Ring til mor\u001b[2J\r\nefter kl. 16\u0007' });
  await until(
    async () => (await terminal.journal.cards.get(SOFIE))?.rules?.blockedCategories?.includes('drikke'),
    'new rules cached',
  );
  const again = await ringUp(sim, ['2'], SOFIE); // kakao (drikke)
  t.like(again, {
    screen: 'result',
    result: { reason: 'category_blocked' },
    view: { rules: { blockedItem: 'Kakao' } },
  });
  await sim.leave();
  await sim.tap(SOFIE);
  const balance = await sim.waitScreen('balance');
  t.is(balance.card!.note, 'Ring til mor [2J efter kl. 16');
  t.false(JSON.stringify(sim.screens).includes('\\u001b'), 'no control character reaches the screen');
});

test("offline, both rules hold from the cache with this terminal's unbooked sales of today, and the day turns at local midnight", async (t) => {
  const mq = await startMosquitto();
  t.teardown(() => mq.close());
  const clk = clock('2026-06-30T21:50:00.000Z'); // 23:50 in Copenhagen (summer time)
  const w = await world(t, { brokerUrl: mq.url, ledgerNow: () => clk.now() });
  const { terminal, sim } = await w.startTerminal('kasse-1', SLOW_RESULT, { clock: clk });
  await ready(w, terminal, sim);
  await mq.stop();
  await until(() => !terminal.link.connected, 'offline');
  t.like((await sellDirect(terminal, ['5'], EMIL)).result, { status: 'approved' }, '25 kr approved offline');
  const byLimit = await sellDirect(terminal, ['3'], EMIL);
  t.like(byLimit.result, { status: 'declined', reason: 'daily_limit' }, 'the unbooked offline sale counts');
  t.like(byLimit.view.rules, { leftToday: 500 });
  t.like((await sellDirect(terminal, ['8'], SOFIE)).result, { status: 'declined', reason: 'category_blocked' });
  // The kept basket after an offline refusal.
  const c = terminal.controller;
  c.onKey('3');
  c.onKey('enter');
  await c.onCard({ uid: EMIL, sun: null });
  t.like(c.state, { screen: 'result' });
  c.onKey('escape');
  t.like(c.state, { screen: 'basket', lines: [{ sku: 'vand', qty: 1 }] });
  c.onKey('escape');

  // The wall clock steps a day forward (a saved time, then NTP): the same real day goes on, and so
  // does what was spent in it; stepped back, the same.
  clk.step(26 * HOUR);
  t.like(
    (await sellDirect(terminal, ['3'], EMIL)).result,
    { status: 'declined', reason: 'daily_limit' },
    'a step forward does not begin a new day',
  );
  clk.step(-50 * HOUR);
  t.like(
    (await sellDirect(terminal, ['3'], EMIL)).result,
    { status: 'declined', reason: 'daily_limit' },
    'nor a step back',
  );
  clk.step(24 * HOUR);
  clk.until('2026-06-30T22:00:05.000Z'); // 00:00:05 on 1 July
  t.like(
    (await sellDirect(terminal, ['5'], EMIL)).result,
    { status: 'approved' },
    "yesterday's offline sale no longer counts",
  );
  await mq.start();
  await until(async () => (await terminal.journal.sales.queueLength()) === 0, 'queue forwarded');
  t.is(w.ledger.card(C, EMIL)!.balance, 20000 - 5000, 'offline sales are booked whatever the rules');
});

test('cashiers: a staff tap signs in and out, cashierId on sales and voids, a void refused to another cashier and allowed to a lead, per-cashier report, idle sign-out', async (t) => {
  const w = await world(t);
  const clk = fakeClock({ trusted: true });
  const { terminal, sim } = await w.startTerminal('kasse-1', { ...SLOW_RESULT, cashierIdleMinutes: 5 }, { clock: clk });
  await ready(w, terminal, sim);
  const freja = demoChildren()[0]!.uid;

  await sim.tap(METTE.cardUid);
  const signedIn = await sim.waitScreen('idle', (s) => s.cashier !== null && s.cashier !== undefined);
  t.deepEqual(signedIn.cashier, { name: METTE.name, role: 'cashier' });
  t.regex(signedIn.message, /logget ind/);
  await ringUp(sim, ['1'], freja);
  const r = await approve(sim);
  const sale = sim.tx.find((m) => m.txId === r.result!.txId)!;
  t.like(sale, { type: 'sale', cashierId: METTE.staffId });
  await until(() => w.ledger.history().some((e) => e.txId === sale.txId), 'booked');
  t.is(w.ledger.history().find((e) => e.txId === sale.txId)!.cashierId, METTE.staffId, 'the ledger books the cashier');

  // A staff card never pays: tapped for a sale it is ignored.
  await sim.keys('1');
  await sim.waitScreen('basket');
  await sim.key('enter');
  await sim.waitScreen('tap');
  await sim.tap(LARS.cardUid);
  await new Promise((res) => setTimeout(res, 300));
  t.is(sim.screen!.screen, 'tap');
  t.deepEqual(sim.screen!.cashier, { name: METTE.name, role: 'cashier' });
  await sim.key('escape');
  await sim.key('escape');
  await sim.waitScreen('idle');

  // Another cashier replaces Mette and may not void her sale; a lead may.
  await w.ledger.addStaff(C, { cardUid: '04AA0000000E01', staffId: 'ole', name: 'Ole Test', role: 'cashier' });
  await until(() => terminal.journal.cards.staff('04AA0000000E01'), 'new staff card cached');
  await sim.tap('04AA0000000E01');
  await sim.waitScreen('idle', (s) => s.cashier?.name === 'Ole Test');
  await sim.key('f2');
  await sim.waitScreen('void', (s) => s.view.void !== null);
  await sim.key('enter');
  const refused = await sim.waitScreen('void', (s) => /leder/.test(s.message));
  t.is(refused.view.void!.txId, sale.txId);
  t.false(
    sim.tx.some((m) => m.type === 'void'),
    'the refused void sent nothing',
  );
  await sim.key('escape');
  await sim.waitScreen('idle');
  await sim.tap(LARS.cardUid);
  await sim.waitScreen('idle', (s) => s.cashier?.role === 'lead');
  await sim.key('f2');
  await sim.waitScreen('void', (s) => s.view.void !== null);
  await sim.key('enter');
  const voided = await sim.waitScreen('result');
  t.like(voided.result, { status: 'approved' });
  t.like(await sim.waitFor(() => sim.tx.find((m) => m.type === 'void'), 'the void sent'), {
    voids: sale.txId,
    cashierId: LARS.staffId,
  });
  await sim.leave();

  // The report shows the lead's own figures since sign-in (one void, no sales).
  await sim.key('f3');
  const report = await sim.waitScreen(
    'report',
    (s) => s.view.report?.cashier !== undefined && s.view.report.cashier !== null,
  );
  t.like(report.view.report!.cashier, { name: LARS.name, sales: 0, voids: 1 });
  await sim.key('escape');
  await sim.waitScreen('idle');

  // Tapping the same card again signs out; idle time on the monotonic clock signs out too.
  await sim.tap(LARS.cardUid);
  await sim.waitScreen('idle', (s) => s.cashier === null);
  await sim.tap(METTE.cardUid);
  await sim.waitScreen('idle', (s) => s.cashier?.name === METTE.name);
  clk.pass(5 * 60_000 + 1); // five minutes really pass without a key or a tap
  terminal.controller.checkIdle();
  await sim.waitScreen('idle', (s) => s.cashier === null);
});

test('requireCashier from the config topic: the basket keys answer with a notice until someone signs in; a restart signs out; status says contract 1.1', async (t) => {
  const w = await world(t);
  const first = await w.startTerminal('kasse-1', SLOW_RESULT);
  await ready(w, first.terminal, first.sim);
  const status = await until(async () => {
    const c = await mqtt.connectAsync(w.broker.url, { clientId: `st-${Date.now()}` });
    const got = new Promise<Buffer>((res) => c.on('message', (_t, p) => res(p)));
    await c.subscribeAsync(topics.status('kasse-1'));
    const p = await Promise.race([got, new Promise<null>((res) => setTimeout(() => res(null), 1000))]);
    await c.endAsync();
    return p && StatusMsg.parse(JSON.parse(p.toString()));
  }, 'retained status');
  t.like(status, { state: 'online', contract: '1.2' });

  await w.ledger.setTerminalConfig('kasse-1', {
    maxPurchase: 19999,
    offline: { perCardLimit: 10000, terminalLimit: 300000, maxAgeSeconds: 86400 },
    requireCashier: true,
  });
  await until(() => first.terminal.limits().requireCashier, 'config applied');
  const { sim } = first;
  await sim.key('1');
  const notice = await sim.waitScreen('idle', (s) => /personalekort/.test(s.message));
  t.is(notice.basket, null, 'nothing rung up');
  await sim.tap(METTE.cardUid);
  await sim.waitScreen('idle', (s) => s.cashier?.name === METTE.name);
  await sim.key('1');
  await sim.waitScreen('basket');
  await sim.key('escape');
  await sim.waitScreen('idle');
  await first.stop();
  const second = await w.startTerminal('kasse-1', SLOW_RESULT);
  // (The first terminal's last screen is retained: wait for the new one's.)
  await second.sim.waitScreen('idle', (s) => s.online && s.cashier === null);
  t.is(second.terminal.session.cashier, null, 'a restart signs out');
  await second.sim.key('1');
  const refused = await second.sim.waitScreen('idle', (s) => /personalekort/.test(s.message));
  t.is(refused.cashier, null);
});

test('a card record whose rules break the schema, and a bad staff record, are rejected whole, counted, and change nothing', async (t) => {
  const w = await world(t);
  const { terminal, sim } = await w.startTerminal('kasse-1', SLOW_RESULT);
  await ready(w, terminal, sim);
  const before = await terminal.journal.cards.get(SOFIE);
  const rejected = terminal.link.counters.rejected;
  const good = w.ledger.card(C, SOFIE)!;
  const secret = 'Hemmelig note 4711';
  await sim.publish(
    topics.card(C, SOFIE),
    JSON.stringify({
      ...good,
      version: good.version + 5,
      rules: { dailyLimit: -5, blockedCategories: 'slik', note: secret },
    }),
    false,
  );
  await sim.publish(
    topics.card(C, SOFIE),
    JSON.stringify({ ...good, version: good.version + 6, rules: { note: 'x'.repeat(201) } }),
    false,
  );
  await sim.publish(
    topics.staff(C, METTE.cardUid),
    JSON.stringify({
      cardUid: METTE.cardUid,
      staffId: 'mette',
      name: 'Mette Falsk',
      role: 'boss',
      version: 99,
      updatedAt: new Date().toISOString(),
    }),
    false,
  );
  await sim.publish(
    topics.staff(C, METTE.cardUid),
    JSON.stringify({
      cardUid: LARS.cardUid,
      staffId: 'x',
      name: 'X',
      role: 'lead',
      version: 99,
      updatedAt: new Date().toISOString(),
    }),
    false,
  );
  await until(() => terminal.link.counters.rejected >= rejected + 4, 'rejected');
  await terminal.sync.idle();
  t.deepEqual(await terminal.journal.cards.get(SOFIE), before);
  t.like(await terminal.journal.cards.staff(METTE.cardUid), { name: METTE.name, role: 'cashier' });
  t.true(terminal.link.counters.rejectedBy.card! >= 2);
  t.is(terminal.link.counters.rejectedBy.staff, 2);
});

test('a staff card removed while signed in signs out; a card the terminal does not hold, tapped on idle, is declined unknown_card', async (t) => {
  const w = await world(t);
  const { terminal, sim } = await w.startTerminal('kasse-1', SLOW_RESULT);
  await ready(w, terminal, sim);
  await sim.tap(METTE.cardUid);
  await sim.waitScreen('idle', (s) => s.cashier?.name === METTE.name);
  await w.ledger.removeStaff(C, METTE.cardUid);
  await sim.waitScreen('idle', (s) => s.cashier === null);
  t.is(await terminal.journal.cards.staff(METTE.cardUid), null, 'erased');
  await sim.tap(METTE.cardUid); // no longer a staff card, and never a payment card
  const r = await sim.waitScreen('result');
  t.like(r.result, { status: 'declined', reason: 'unknown_card', txId: null });
  await sim.leave();
  await sim.tap('DEADBEEF');
  t.like((await sim.waitScreen('result')).result, { status: 'declined', reason: 'unknown_card' });
  t.is(sim.tx.length, 0);
});
