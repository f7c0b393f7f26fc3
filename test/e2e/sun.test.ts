// Genuine cards end to end (contract 1.1 § Genuine cards): a real broker on loopback, the reference
// ledger with the demo club's master key, a terminal with simulated hardware, and the demo `sun`
// cards as emulated NTAG 424 DNA chips personalised at the start of each test.
import test from 'ava';
import { world, type World } from '../helpers/fixture.ts';
import { until } from '../helpers/until.ts';
import { demoChildren, DEMO_CARD_URL, DEMO_CLUB_ID, DEMO_SUN_KEYS } from '../../sim/demo-club.ts';
import { DemoCards } from '../../sim/demo-cards.ts';
import { topics, type ScreenModel, type SimReaderMsg } from '../../contract/index.ts';
import type { SimClient } from '../helpers/sim-client.ts';
import type { Terminal } from '../../firmware/terminal/terminal.ts';

const C = DEMO_CLUB_ID;
const SUN_CARD = demoChildren().find((c) => c.auth === 'sun')!.uid;
const FAST = { sale: { replyTimeoutMs: 400, maxPurchase: 19999, resultScreenMs: 60000 } };

async function setup(t: import('ava').ExecutionContext) {
  const w = await world(t);
  const { terminal, sim } = await w.startTerminal('kasse-1', FAST);
  await sim.waitScreen('idle', (s) => s.online && (s.view.catalog?.items.length ?? 0) > 0);
  await until(async () => (await terminal.journal.cards.count()) === demoChildren().length, 'cards synced');
  const hand = await DemoCards.issue(demoChildren(), DEMO_SUN_KEYS, DEMO_CARD_URL);
  return { w, terminal, sim, hand };
}

const tapWith = (sim: SimClient, msg: SimReaderMsg) =>
  sim.publish(topics.simReader(sim.terminalId), JSON.stringify(msg));

/** Rings up one item, taps with `msg`; confirms if the terminal asks. Returns the result screen. */
async function sell(sim: SimClient, msg: SimReaderMsg): Promise<ScreenModel> {
  const seen = sim.screens.length;
  await sim.key('1');
  await sim.waitScreen('basket');
  await sim.key('enter');
  await sim.waitScreen('tap');
  await tapWith(sim, msg);
  const next = await sim.waitFor(
    () => sim.screens.slice(seen).find((s) => s.screen === 'confirm' || s.screen === 'result'),
    'confirm or result',
  );
  if (next.screen === 'confirm') await sim.key('enter');
  const result = await sim.waitFor(
    () =>
      sim.screens
        .slice(seen)
        .find((s) => s.screen === 'result' && s.result!.status !== undefined && !(s as { busy?: boolean }).busy),
    'result',
  );
  // Back to an empty idle for the next sale (a declined sale keeps its basket).
  for (let i = 0; i < 3 && sim.screen?.screen !== 'idle'; i++) {
    await sim.key('escape');
    await new Promise((r) => setTimeout(r, 100));
  }
  await sim.waitScreen('idle');
  return result;
}

/** Sale txIds sent (an online attempt and its offline fallback share one). */
const sales = (sim: SimClient) => [...new Set(sim.tx.filter((m) => m.type === 'sale').map((m) => m.txId))];

/** A sale driven on the terminal's keypad and reader directly, as the simulated reader would hand it the tap. */
async function direct(terminal: Terminal, msg: SimReaderMsg & { action: 'tap' }) {
  const c = terminal.controller;
  c.onKey('1');
  c.onKey('enter');
  await c.onCard({
    uid: msg.uid,
    sun: msg.sun ? { uid: msg.sun.uid ?? msg.uid, ctr: msg.sun.ctr, cmac: msg.sun.cmac } : null,
  });
  if (c.state.screen === 'confirm') c.onKey('enter');
  await until(() => c.state.screen === 'result', 'result');
  const screen = c.screen!;
  for (let i = 0; i < 3 && c.state.screen !== 'idle'; i++) c.onKey('escape');
  return screen;
}
const queueEmpty = (terminal: Terminal) =>
  until(async () => (await terminal.journal.sales.queueLength()) === 0, 'outbox answered', 20000);

/** The ledger stops answering: each sale is decided offline when its answer does not come in time. */
async function offline(w: World, _sim: SimClient) {
  await w.ledger.pause();
}

test('a genuine card is approved online and offline; its SUN travels with the sale and raises sunCounter', async (t) => {
  const { w, terminal, sim, hand } = await setup(t);
  const start = w.ledger.card(C, SUN_CARD)!;
  t.is(start.auth, 'sun');
  const tap1 = await hand.tap(SUN_CARD);
  const online = await sell(sim, tap1);
  t.like(online.result, { status: 'approved' });
  const sent = sim.tx.find((m) => m.type === 'sale');
  t.deepEqual(sent?.type === 'sale' && sent.cardAuth, { ctr: tap1.sun!.ctr, cmac: tap1.sun!.cmac });
  t.is(w.ledger.card(C, SUN_CARD)!.sunCounter, tap1.sun!.ctr);

  await offline(w, sim);
  const tap2 = await hand.tap(SUN_CARD);
  const off = await sell(sim, tap2);
  t.like(off.result, { status: 'approved' });
  // The online attempt timed out; its offline fallback kept the same counter and is not a replay of it.
  const fallback = sim.tx.filter((m) => m.type === 'sale' && m.offline);
  t.deepEqual(
    fallback.map((m) => m.type === 'sale' && m.cardAuth?.ctr),
    [tap2.sun!.ctr],
  );
  await w.ledger.resume();
  await queueEmpty(terminal);
  const after = w.ledger.card(C, SUN_CARD)!;
  t.is(after.sunCounter, tap2.sun!.ctr);
  t.is(after.status, 'active');
  t.is(w.ledger.history().filter((e) => e.cardUid === SUN_CARD && e.type === 'sale').length, 2);
});

test('a clone and a replay are refused on the terminal with nothing sent; the screen says the card could not be verified', async (t) => {
  const { w, terminal, sim, hand } = await setup(t);
  const clone = await sell(sim, hand.clone(SUN_CARD));
  t.like(clone.result, { status: 'declined', reason: 'card_auth' });
  t.regex(clone.message, /kunne ikke bekræftes/);
  t.is(clone.card, null, 'nothing of the card is shown to a clone');
  const foreign = await hand.tap(SUN_CARD);
  const wrongUid = await sell(sim, { ...foreign, sun: { ...foreign.sun!, uid: '04D15C00A1B2FF' } });
  t.like(wrongUid.result, { reason: 'card_auth' }, 'a SUN mirroring another uid');
  t.is(sales(sim).length, 0);

  // With the broker gone nothing can be sent: the genuine read sells offline, and the same read
  // again is a replay the terminal itself refuses (driven on the terminal: the sim topics are down too).
  await w.broker.close();
  await until(() => !terminal.link.connected, 'terminal offline');
  const read = await hand.tap(SUN_CARD);
  t.like((await direct(terminal, read)).result, { status: 'approved' });
  t.is(await terminal.journal.sales.queueLength(), 1);
  const replay = await direct(terminal, hand.replay(SUN_CARD)!);
  t.like(replay.result, { status: 'declined', reason: 'card_auth' });
  t.is(await terminal.journal.sales.queueLength(), 1, 'the replay was not queued');
  // An older read (its counter below one already used) is a replay too; a fresh one sells.
  t.like((await direct(terminal, { ...read, sun: { ...read.sun!, ctr: read.sun!.ctr - 1 } })).result, {
    reason: 'card_auth',
  });
  t.like((await direct(terminal, await hand.tap(SUN_CARD))).result, { status: 'approved' });
  t.is(await terminal.journal.sales.queueLength(), 2);
});

test('a forged cmac is declined by the ledger online; offline it is booked and the card then blocked', async (t) => {
  const { w, terminal, sim, hand } = await setup(t);
  const forge = (m: SimReaderMsg & { action: 'tap' }): SimReaderMsg => ({
    ...m,
    sun: { ...m.sun!, cmac: m.sun!.cmac.replace(/^./, (c) => (c === 'A' ? 'B' : 'A')) },
  });
  const start = w.ledger.card(C, SUN_CARD)!.balance;
  const online = await sell(sim, forge(await hand.tap(SUN_CARD)));
  t.like(online.result, { status: 'declined', reason: 'card_auth' });
  t.is(sales(sim).length, 1, 'sent: only the ledger holds the key');
  t.is(w.ledger.card(C, SUN_CARD)!.balance, start);

  await offline(w, sim);
  const off = await sell(sim, forge(await hand.tap(SUN_CARD)));
  t.like(off.result, { status: 'approved' }, 'the terminal cannot check a cmac');
  await w.ledger.resume();
  await queueEmpty(terminal);
  const after = w.ledger.card(C, SUN_CARD)!;
  t.is(after.status, 'blocked');
  t.true(after.balance < start, 'the offline sale is booked');
  await until(async () => (await terminal.journal.cards.get(SUN_CARD))?.status === 'blocked', 'terminal has the block');
  const next = await sell(sim, await hand.tap(SUN_CARD));
  t.like(next.result, { status: 'declined', reason: 'blocked' });
});

test('a forged tap declined card_auth online leaves no counter behind: the genuine card is then approved offline', async (t) => {
  const { w, terminal, sim, hand } = await setup(t);
  // The genuine card's UID with the highest counter there is: only the ledger can see the cmac is wrong.
  const genuine = await hand.tap(SUN_CARD);
  const forged: SimReaderMsg = { ...genuine, sun: { ...genuine.sun!, ctr: 0xffffff } };
  t.like((await sell(sim, forged)).result, { status: 'declined', reason: 'card_auth' });
  await until(async () => (await terminal.journal.sales.outbox()).length === 0, 'the decline stored');
  t.is(await terminal.journal.sales.highestSunCounter(SUN_CARD, 'none'), null, 'the forged counter is forgotten');

  await offline(w, sim);
  // The card's own next read: above the record's sunCounter, far below the forged one.
  const next = await hand.tap(SUN_CARD);
  t.true(next.sun!.ctr > (w.ledger.card(C, SUN_CARD)!.sunCounter ?? 0));
  const off = await sell(sim, next);
  t.like(off.result, { status: 'approved' }, 'the genuine card sells offline');
  t.true(
    sim.tx.some((m) => m.type === 'sale' && m.offline && m.cardAuth?.ctr === next.sun!.ctr),
    'approved offline, with its own counter',
  );
  await w.ledger.resume();
  await queueEmpty(terminal);
  t.is(w.ledger.card(C, SUN_CARD)!.status, 'active', 'the ledger accepts the genuine read');
});
