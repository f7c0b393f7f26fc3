// What the cashier saw is the truth, also when the disk is full (issue 24, item 2): the terminal's
// data dir on a real small tmpfs, filled by a file at the worst moment, with the reference ledger
// and the embedded broker. A sale shown declined is never booked, and the day's report (F3) counts
// it declined, whichever write the disk refused.
import test, { type ExecutionContext } from 'ava';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { world, inStep, type World } from '../helpers/fixture.ts';
import { until } from '../helpers/until.ts';
import { smallDisk, type SmallDisk } from '../helpers/small-disk.ts';
import { DEMO_CLUB_ID } from '../../sim/demo-club.ts';
import type { TerminalConfigInput } from '../../firmware/config/schema.ts';
import type { ScreenModel, TxMsg } from '../../contract/index.ts';
import type { SimClient } from '../helpers/sim-client.ts';
import type { Terminal } from '../../firmware/terminal/terminal.ts';
import { Journal } from '../../firmware/journal/journal.ts';

const C = DEMO_CLUB_ID;
/** Freja: 150 kr (the catalog's first item, Juice, is 8 kr). */
const FREJA = '04A23B5C7D2E80';

type Cfg = Partial<TerminalConfigInput>;

/**
 * The terminal's data dir on the small disk. `replyTimeoutMs`: long enough for the test to fill the
 * disk between the online attempt and the timeout (a fill takes milliseconds; nothing is measured
 * against it); resends every second, so the reversal written once there is room goes again soon.
 */
const onDisk = (disk: SmallDisk): Cfg => ({
  dataDir: join(disk.dir, 'kasse-1'),
  sale: { replyTimeoutMs: 5000, maxPurchase: 19999, resultScreenMs: 60000 },
  outbox: { resendAfterMs: 1000 },
});

/** A terminal in step with the ledger, on a small disk of its own. */
async function setup(
  t: ExecutionContext,
  cfg: Cfg = {},
): Promise<{ disk: SmallDisk; w: World; terminal: Terminal; sim: SimClient; stop(): Promise<void> }> {
  const disk = smallDisk(t);
  const w = await world(t);
  const started = await w.startTerminal('kasse-1', { ...onDisk(disk), ...cfg });
  await inStep(w, started.terminal);
  await started.sim.waitScreen('idle');
  return { disk, w, ...started };
}

/** Juice to Freja: rings it up, taps, confirms. */
async function sellJuice(sim: SimClient): Promise<void> {
  await sim.key('1');
  await sim.waitScreen('basket');
  await sim.key('enter');
  await sim.waitScreen('tap');
  await sim.tap(FREJA);
  await sim.waitScreen('confirm');
  await sim.key('enter');
}

const resultScreen = (sim: SimClient) => sim.waitScreen('result', (s) => !s.view.busy);

/** F3 on an empty idle, as the cashier sees it. */
async function f3(sim: SimClient): Promise<NonNullable<ScreenModel['view']['report']>> {
  await sim.leave();
  await sim.key('f3');
  const s = await sim.waitScreen('report', (x) => (x.view.report?.date ?? '') !== '');
  await sim.key('escape');
  await sim.waitScreen('idle');
  return s.view.report!;
}

const txOf = (sim: SimClient, txId: string): TxMsg[] => sim.tx.filter((m) => m.txId === txId);
/** The money the ledger moved for a txId, all entries together (a sale and its reversal: 0). */
const net = (w: World, txId: string) =>
  w.ledger
    .history()
    .filter((e) => e.txId === txId)
    .reduce((a, e) => a + e.amount, 0);
const outboxEmpty = (terminal: Terminal) =>
  until(async () => (await terminal.journal.sales.outbox()).length === 0, 'every tx answered', 30000);

/**
 * The ledger does not answer (paused: its status stays online, so the sale goes online); the disk
 * fills once the online attempt is on the broker; the timeout then decides with nothing writable.
 */
async function timeoutOnFullDisk(t: ExecutionContext, cfg: Cfg, expectedReason: string): Promise<void> {
  const { disk, w, terminal, sim } = await setup(t, cfg);
  const before = w.ledger.card(C, FREJA)!.balance;
  await w.ledger.pause();
  await sellJuice(sim);
  const sale = await sim.waitFor(() => sim.tx.find((m) => m.type === 'sale' && !m.offline), 'the online attempt sent');
  t.true(disk.fill() > 0);
  const shown = await resultScreen(sim);
  t.like(shown.result, { status: 'declined' }, 'declined on screen');

  // While the disk still refuses every write: F3 counts it declined, and its reversal goes out.
  t.like(await f3(sim), { sales: 0, declined: 1 }, 'F3 counts the sale declined while it is only in memory');
  const reversedWhileFull = await sim
    .waitFor(() => txOf(sim, sale.txId).find((m) => m.type === 'reversal'), 'the reversal sent with the disk full')
    .then(
      () => true,
      () => false,
    );

  // Room again, the ledger back: it gets the online attempt and then the reversal.
  disk.free();
  await w.ledger.resume();
  await outboxEmpty(terminal);
  t.is(w.ledger.card(C, FREJA)!.balance, before, "the ledger's balance is unchanged");
  t.is(net(w, sale.txId), 0, 'nothing of the sale stays booked');
  const sent = txOf(sim, sale.txId).map((m) => (m.type === 'sale' ? `sale:${m.offline}` : m.type));
  t.false(
    sent.slice(sent.indexOf('reversal')).includes('sale:false'),
    `never sent as a sale after its decline: ${sent.join(', ')}`,
  );
  t.false(sent.includes('sale:true'), 'never sent as an offline sale');
  t.true(reversedWhileFull, 'the reversal went out while the disk was full');
  t.like(
    shown.result,
    { reason: expectedReason, txId: sale.txId },
    'the screen named the reason and the txId its reversal carries',
  );
  t.like(
    await terminal.journal.sales.sale(sale.txId),
    { status: 'declined', cardUid: null },
    'the decline is on disk now',
  );
  t.like(await f3(sim), { sales: 0, salesTotal: 0, declined: 1 }, 'F3 after the disk had room');
}

test('disk full before the offline approval at the timeout: declined on screen, the reversal sent from memory, never booked, F3 declined', async (t) => {
  await timeoutOnFullDisk(t, {}, 'invalid');
});

test('disk full before the offline decline at the timeout (declineAndReverse refused): the same', async (t) => {
  // perCardLimit below the sale: the offline rules decline at the timeout (offline_limit).
  await timeoutOnFullDisk(t, { offline: { perCardLimit: 500 } }, 'offline_limit');
});

test('disk full at the online attempt itself (beginOnline refused): declined, nothing booked, F3 declined; recorded once there is room', async (t) => {
  const { disk, w, terminal, sim } = await setup(t);
  const before = w.ledger.card(C, FREJA)!.balance;
  disk.fill();
  await sellJuice(sim);
  const shown = await resultScreen(sim);
  t.like(shown.result, { status: 'declined', reason: 'invalid' });
  t.like(await f3(sim), { sales: 0, declined: 1 }, 'F3 counts it while it is only in memory');
  disk.free();
  await until(
    async () => terminal.journal.sales.unrecorded.size === 0 && (await terminal.journal.sales.outbox()).length === 0,
    'recorded and answered',
    30000,
  );
  t.false(
    sim.tx.some((m) => m.type === 'sale'),
    'the sale never left the terminal',
  );
  t.is(w.ledger.card(C, FREJA)!.balance, before);
  t.like(await f3(sim), { sales: 0, declined: 1 });
});

test('disk full at a refusal of the offline rules (recordRefusal refused): the screen says the real reason, F3 counts it, nothing is sent', async (t) => {
  const { disk, w, terminal, sim } = await setup(t, { offline: { perCardLimit: 500 } });
  // The ledger gone (its status says offline): the terminal decides at once, without an online attempt.
  await w.ledger.stop();
  await until(() => !terminal.offlineClock.online, 'the ledger known offline');
  disk.fill();
  await sellJuice(sim);
  t.like((await resultScreen(sim)).result, { status: 'declined', reason: 'offline_limit', txId: null });
  t.like(await f3(sim), { sales: 0, declined: 1 });
  disk.free();
  await until(() => terminal.journal.sales.unrecorded.size === 0, 'recorded');
  t.like(await terminal.journal.sales.report({ sale: 0, void: 0 }), { sales: 0, declined: 1 }, 'on disk now');
  t.is(sim.tx.length, 0, 'nothing sent');
});

test('disk full at an offline approval never tried online: declined, nothing queued or sent, F3 declined', async (t) => {
  const { disk, w, terminal, sim } = await setup(t);
  await w.ledger.stop();
  await until(() => !terminal.offlineClock.online, 'the ledger known offline');
  disk.fill();
  await sellJuice(sim);
  t.like((await resultScreen(sim)).result, { status: 'declined', reason: 'invalid', txId: null });
  t.like(await f3(sim), { sales: 0, offlineSales: 0, declined: 1 });
  disk.free();
  await until(() => terminal.journal.sales.unrecorded.size === 0, 'recorded');
  t.deepEqual(await terminal.journal.sales.outbox(), [], 'nothing queued');
  t.is(sim.tx.length, 0, 'nothing sent');
  t.like(await f3(sim), { sales: 0, declined: 1 });
});

test('disk full at a void (recordVoid refused): the void screen says declined, the sale stands, nothing is sent', async (t) => {
  const { disk, w, terminal, sim } = await setup(t);
  await sellJuice(sim);
  const sale = await resultScreen(sim);
  t.like(sale.result, { status: 'approved' });
  await outboxEmpty(terminal);
  const booked = w.ledger.card(C, FREJA)!.balance;
  await sim.leave();
  await sim.key('f2');
  await sim.waitScreen('void', (s) => s.view.void?.txId === sale.result!.txId);
  disk.fill();
  await sim.key('enter');
  t.like(
    (await resultScreen(sim)).result,
    { status: 'declined', reason: 'invalid' },
    'the cashier is told the void did not happen',
  );
  disk.free();
  t.false(
    sim.tx.some((m) => m.type === 'void'),
    'no void sent',
  );
  t.like(
    await terminal.journal.sales.sale(sale.result!.txId!),
    { status: 'approved', voidedBy: null },
    'the sale stands, voidable again',
  );
  t.is(w.ledger.card(C, FREJA)!.balance, booked);
  t.like(await f3(sim), { sales: 1, voids: 0 });
});

test('a restart while the reversal is only in memory: the restarted terminal reverses the online attempt (contract), never books it', async (t) => {
  const { disk, w, terminal, sim, stop } = await setup(t);
  const before = w.ledger.card(C, FREJA)!.balance;
  await w.ledger.pause();
  await sellJuice(sim);
  const sale = await sim.waitFor(() => sim.tx.find((m) => m.type === 'sale' && !m.offline), 'the online attempt sent');
  disk.fill();
  t.like((await resultScreen(sim)).result, { status: 'declined' });
  t.like(await terminal.journal.sales.sale(sale.txId), { status: 'pending' }, 'the decline is not on disk');
  await stop();
  disk.free();
  const again = await w.startTerminal('kasse-1', onDisk(disk));
  await again.sim.waitFor(
    () => txOf(again.sim, sale.txId).find((m) => m.type === 'reversal'),
    'the reversal sent after the restart',
  );
  t.false(
    txOf(again.sim, sale.txId).some((m) => m.type === 'sale'),
    'never sent as a sale after the restart',
  );
  await w.ledger.resume();
  await outboxEmpty(again.terminal);
  t.is(w.ledger.card(C, FREJA)!.balance, before);
  t.is(net(w, sale.txId), 0);
  t.like(await f3(again.sim), { sales: 0, declined: 1 });
});

test('journal: the reversals of a restart that the disk refuses go from memory, never the sales; a late answer changes nothing; written once there is room', async (t) => {
  const disk = smallDisk(t);
  const j = await Journal.open(disk.dir, 't1');
  t.teardown(() => j.close().catch(() => undefined));
  const sale = {
    type: 'sale' as const,
    txId: randomUUID(),
    terminalId: 't1',
    clubId: 'c1',
    cardUid: FREJA,
    items: [{ sku: 'juice', name: 'Juice', unitPrice: 800, qty: 1 }],
    total: 800,
    createdAt: new Date().toISOString(),
    offline: false,
    cashierId: null,
  };
  await j.sales.beginOnline(sale);
  disk.fill();
  await t.throwsAsync(j.sales.reverseUnansweredOnline(new Date().toISOString(), 't1'), { message: /SQLITE_FULL/ });
  t.deepEqual(
    (await j.sales.outbox()).map((e) => [e.txId, e.type]),
    [[sale.txId, 'reversal']],
    "the reversal takes the sale's place",
  );
  t.is(await j.sales.queueLength(), 0);
  t.like(await j.sales.report({ sale: 0, void: 0 }), { sales: 0, declined: 1 });
  t.is(
    await j.sales.settle({
      txId: sale.txId,
      type: 'sale',
      status: 'approved',
      offline: false,
      balance: 14200,
      cardVersion: 9,
    }),
    'declined_unrecorded',
    "the online attempt's late answer does not make it approved",
  );
  disk.free();
  await until(() => j.sales.unrecorded.size === 0, 'written');
  t.like(await j.sales.sale(sale.txId), { status: 'declined', reason: 'reversed', cardUid: null });
  t.deepEqual(
    (await j.sales.outbox()).map((e) => [e.txId, e.type]),
    [[sale.txId, 'reversal']],
    'queued on disk',
  );
  t.like(await j.sales.settle({ txId: sale.txId, type: 'reversal', status: 'approved' }), {
    kind: 'reversal',
    status: 'approved',
  });
  t.deepEqual(await j.sales.outbox(), []);
});
