// Offline selling under a real mosquitto that is stopped and started under the terminal, and a
// ledger that is away, late, or answers twice. Every test ends on the ledger's balances to the øre.
import test from 'ava';
import { world, type World } from '../helpers/fixture.ts';
import { startMosquitto, type Mosquitto } from '../helpers/mosquitto.ts';
import { until } from '../helpers/until.ts';
import { demoChildren, DEMO_CLUB_ID } from '../../sim/demo-club.ts';
import type { SimClient } from '../helpers/sim-client.ts';
import type { Terminal } from '../../firmware/terminal/terminal.ts';
import type { TerminalConfigInput } from '../../firmware/config/schema.ts';

const C = DEMO_CLUB_ID;
const FAST: Partial<TerminalConfigInput> = { sale: { replyTimeoutMs: 300, maxPurchase: 19999, resultScreenMs: 60000 } };

async function mosquittoWorld(t: import('ava').ExecutionContext): Promise<{ w: World; mq: Mosquitto }> {
  const mq = await startMosquitto();
  t.teardown(() => mq.close());
  return { w: await world(t, { brokerUrl: mq.url }), mq };
}

/** Active demo children topped up to `balance` øre exactly, with their start balances. */
async function children(w: World, n: number, balance = 5000): Promise<{ uid: string; start: number }[]> {
  const active = demoChildren()
    .map((d) => w.ledger.card(C, d.uid)!)
    .filter((c) => c.status === 'active' && !c.rules)
    .slice(0, n);
  if (active.length < n) throw new Error('not enough active demo children');
  for (const c of active) if (c.balance < balance) await w.ledger.topUp(C, c.cardUid, balance - c.balance);
  return active.map((c) => ({ uid: c.cardUid, start: w.ledger.card(C, c.cardUid)!.balance }));
}

async function ready(terminal: Terminal, sim: SimClient, w: World): Promise<void> {
  await sim.waitScreen('idle', (s) => s.online && (s.view.catalog?.items.length ?? 0) > 0);
  await until(async () => {
    for (const d of demoChildren()) {
      const l = w.ledger.card(C, d.uid);
      const c = await terminal.journal.cards.get(d.uid);
      if (l?.version !== c?.version) return false;
    }
    return true;
  }, 'card cache in step with the ledger');
}

/** One sale of catalog item `key` to `uid`, confirmed; returns the result screen. */
async function sell(sim: SimClient, uid: string, key: '1' | '2' = '1') {
  await sim.waitScreen('idle');
  await sim.key(key);
  await sim.waitScreen('basket');
  await sim.key('enter');
  await sim.waitScreen('tap');
  await sim.tap(uid);
  await sim.waitScreen('confirm', (s) => !s.view.busy);
  await sim.key('enter');
  const r = await sim.waitScreen('result');
  await sim.key('escape');
  // A declined sale's basket is kept: a second escape empties it.
  if (r.result?.status === 'declined') {
    await sim.waitScreen('basket');
    await sim.key('escape');
  }
  await sim.waitScreen('idle');
  return r;
}

const priceOf = (sim: SimClient, key = '1') =>
  sim.screens.find((s) => s.view.catalog?.items.length)!.view.catalog!.items.find((i) => i.key === key)!.price;
const queueEmpty = (terminal: Terminal) =>
  until(async () => (await terminal.journal.sales.queueLength()) === 0, 'outbox answered', 20000);

test('with the broker down, sales within the caps are approved offline and booked exactly once after reconnect', async (t) => {
  const { w, mq } = await mosquittoWorld(t);
  const { terminal, sim } = await w.startTerminal('kasse-1', FAST);
  await ready(terminal, sim, w);
  const [a, b] = await children(w, 2);
  const p = priceOf(sim);
  await mq.stop();
  // the sim client lost its broker too: watch the terminal's own state instead of the sim topics
  await until(() => !terminal.link.connected, 'terminal offline');
  const results: string[] = [];
  for (const uid of [a!.uid, a!.uid, b!.uid]) {
    const s = await offlineSale(terminal, uid);
    results.push(`${s.result?.status}:${s.message}`);
  }
  t.true(
    results.every((r) => r.startsWith('approved')),
    results.join(),
  );
  t.is(terminal.controller.screen!.view.queue, 3);
  t.false(terminal.controller.screen!.online);
  const report = await terminal.journal.sales.report({ sale: 0, void: 0 });
  t.is(report.offlineSales, 3);
  await mq.start();
  await queueEmpty(terminal);
  t.is(w.ledger.card(C, a!.uid)!.balance, a!.start - 2 * p);
  t.is(w.ledger.card(C, b!.uid)!.balance, b!.start - p);
  for (const h of w.ledger.history().filter((e) => e.type === 'sale')) t.is(w.ledger.bookings(h.txId), 1);
});

/** Drives a sale through the terminal's keypad and reader directly (the sim topics' broker is down). */
async function offlineSale(terminal: Terminal, uid: string) {
  const c = terminal.controller;
  c.onKey('1');
  c.onKey('enter');
  await c.onCard({ uid, sun: null });
  // A declined sale's basket is kept: escape empties it too.
  const toIdle = () => {
    for (let i = 0; i < 2 && c.state.screen !== 'idle'; i++) c.onKey('escape');
  };
  if (c.state.screen !== 'confirm') {
    const refused = c.screen!;
    toIdle();
    return refused;
  }
  c.onKey('enter');
  await until(() => c.state.screen === 'result', 'result');
  const shown = c.screen!;
  toIdle();
  return shown;
}

test('past a cap or the cache age, offline sales are declined with the reason shown', async (t) => {
  const { w, mq } = await mosquittoWorld(t);
  const { terminal, sim } = await w.startTerminal('kasse-1', FAST);
  await ready(terminal, sim, w);
  const [a, b, c] = await children(w, 3);
  const p = priceOf(sim);
  const perCard = p + Math.floor(p / 2);
  const total = 2 * p + Math.floor(p / 2);
  await w.ledger.setTerminalConfig('kasse-1', {
    maxPurchase: 19999,
    offline: { perCardLimit: perCard, terminalLimit: total, maxAgeSeconds: 2 },
  });
  await until(() => terminal.limits().offline.perCardLimit === perCard, 'ledger config applied');
  await mq.stop();
  await until(() => !terminal.link.connected, 'offline');
  const r1 = await offlineSale(terminal, a!.uid);
  const r2 = await offlineSale(terminal, a!.uid);
  const r3 = await offlineSale(terminal, b!.uid);
  const r4 = await offlineSale(terminal, c!.uid);
  t.like(r1.result, { status: 'approved' });
  t.like(r2.result, { status: 'declined', reason: 'offline_limit' }, 'per card');
  t.like(r3.result, { status: 'approved' });
  t.like(r4.result, { status: 'declined', reason: 'offline_limit' }, 'per terminal');
  t.regex(r2.message, /Offline-grænsen/);
  await new Promise((r) => setTimeout(r, 2500));
  const r5 = await offlineSale(terminal, c!.uid);
  t.like(r5.result, { status: 'declined', reason: 'stale' });
  t.is(terminal.controller.screen!.view.queue, 2);
  await mq.start();
  await queueEmpty(terminal);
  t.is(w.ledger.card(C, a!.uid)!.balance, a!.start - p);
  t.is(w.ledger.card(C, b!.uid)!.balance, b!.start - p);
  t.is(w.ledger.card(C, c!.uid)!.balance, c!.start);
});

test('no answer in time: approved offline, sent again with the same txId, booked once', async (t) => {
  const w = await world(t);
  const { terminal, sim } = await w.startTerminal('kasse-1', FAST);
  await ready(terminal, sim, w);
  const [a] = await children(w, 1);
  const p = priceOf(sim);
  await w.ledger.pause();
  const r = await sell(sim, a!.uid);
  t.like(r.result, { status: 'approved' });
  t.regex(r.message, /offline/);
  const txId = r.result!.txId!;
  await until(() => sim.tx.filter((m) => m.txId === txId).length === 2, 'online then offline message');
  t.deepEqual(
    sim.tx.filter((m) => m.txId === txId).map((m) => m.type === 'sale' && m.offline),
    [false, true],
  );
  await w.ledger.resume();
  await queueEmpty(terminal);
  t.is(w.ledger.bookings(txId), 1);
  t.is(w.ledger.card(C, a!.uid)!.balance, a!.start - p);
});

test('no answer in time and no offline approval: declined, reversed, nothing booked', async (t) => {
  const w = await world(t);
  const { terminal, sim } = await w.startTerminal('kasse-1', FAST);
  await ready(terminal, sim, w);
  const [a] = await children(w, 1);
  const p = priceOf(sim);
  await w.ledger.setTerminalConfig('kasse-1', {
    maxPurchase: 19999,
    offline: { perCardLimit: p - 1, terminalLimit: 300000, maxAgeSeconds: 86400 },
  });
  await until(() => terminal.limits().offline.perCardLimit === p - 1, 'ledger config applied');
  await w.ledger.pause();
  const r = await sell(sim, a!.uid);
  t.like(r.result, { status: 'declined', reason: 'offline_limit' });
  const txId = r.result!.txId!;
  await until(() => sim.tx.some((m) => m.txId === txId && m.type === 'reversal'), 'reversal sent');
  await w.ledger.resume();
  await queueEmpty(terminal);
  t.is(w.ledger.card(C, a!.uid)!.balance, a!.start);
});

test('a late online answer is ignored after the offline switch; answers sent twice change nothing', async (t) => {
  const w = await world(t);
  const { terminal, sim } = await w.startTerminal('kasse-1', FAST);
  await ready(terminal, sim, w);
  const [a, b] = await children(w, 2);
  const p = priceOf(sim);
  w.ledger.setReplyDelay(900);
  w.ledger.setDuplicateResults(true);
  const late = await sell(sim, a!.uid);
  t.like(late.result, { status: 'approved' });
  w.ledger.setReplyDelay(0);
  const onTime = await sell(sim, b!.uid);
  t.like(onTime.result, { status: 'approved' });
  t.regex(onTime.message, /^Godkendt$/);
  await queueEmpty(terminal);
  await until(
    () => sim.results.filter((r) => r.txId === late.result!.txId).length >= 3,
    'late + duplicate answers seen',
  );
  await terminal.sync.idle();
  t.true(terminal.sync.counters.ignoredResults >= 2);
  t.is(w.ledger.bookings(late.result!.txId!), 1);
  t.is(w.ledger.bookings(onTime.result!.txId!), 1);
  t.is(w.ledger.card(C, a!.uid)!.balance, a!.start - p);
  t.is(w.ledger.card(C, b!.uid)!.balance, b!.start - p);
  t.is((await terminal.journal.sales.sale(late.result!.txId!))!.status, 'approved');
});

test('a terminal restarted while offline forwards its queue when the broker is back', async (t) => {
  const { w, mq } = await mosquittoWorld(t);
  const first = await w.startTerminal('kasse-1', FAST);
  await ready(first.terminal, first.sim, w);
  const [a] = await children(w, 1);
  const p = priceOf(first.sim);
  await mq.stop();
  await until(() => !first.terminal.link.connected, 'offline');
  const r = await offlineSale(first.terminal, a!.uid);
  t.like(r.result, { status: 'approved' });
  await first.stop();
  const second = await w.startTerminal('kasse-1', FAST, { brokerDown: true });
  await until(async () => (await second.terminal.snapshot()).queue === 1, 'queue kept across restart');
  await mq.start();
  await queueEmpty(second.terminal);
  t.is(w.ledger.bookings(r.result!.txId!), 1);
  t.is(w.ledger.card(C, a!.uid)!.balance, a!.start - p);
});

test('a card blocked while the terminal was offline is refused when its record arrives; its queued sale is still booked', async (t) => {
  const { w, mq } = await mosquittoWorld(t);
  const { terminal, sim } = await w.startTerminal('kasse-1', FAST);
  await ready(terminal, sim, w);
  const [a] = await children(w, 1);
  const p = priceOf(sim);
  await mq.stop();
  await until(() => !terminal.link.connected, 'offline');
  t.like((await offlineSale(terminal, a!.uid)).result, { status: 'approved' });
  const blocking = w.ledger.block(C, a!.uid); // the parent blocks the lost card; published when the broker is back
  await mq.start();
  await blocking;
  await until(async () => (await terminal.journal.cards.get(a!.uid))?.status === 'blocked', 'blocked record arrived');
  const r = await offlineSale(terminal, a!.uid);
  t.like(r.result, { status: 'declined', reason: 'blocked' });
  await queueEmpty(terminal);
  t.is(w.ledger.card(C, a!.uid)!.balance, a!.start - p);
});
