// The sale controller (firmware/sale/controller.ts) on its own: keys and taps in, the machine's
// effects run against a real journal and authoriser, every state drawn on a recording display and
// the indicators told. A result given way to is marked seen; an authorisation that fails shows a
// decline, never an approval; a display that throws stops no sale; a result not seen before a
// restart is shown again.
import test, { type ExecutionContext } from 'ava';
import pino from 'pino';
import type { Hardware, IndicatorState, KeyName, ScreenModel } from '../../hal/types.ts';
import { CashierSession } from '../../firmware/sale/cashier-session.ts';
import { type ControllerDeps, SaleController } from '../../firmware/sale/controller.ts';
import type { TerminalStatus } from '../../firmware/sale/screen.ts';
import { Authoriser } from '../../firmware/sale/authoriser.ts';
import { CATALOG, record, type Setup, setup, UID } from '../helpers/sale-parts.ts';
import { until } from '../helpers/until.ts';

const STATUS: TerminalStatus = {
  lang: 'en',
  clubId: 'club-1',
  terminalId: 'kasse-1',
  online: false,
  queue: 0,
  indicators: 'ok',
};

interface Rig {
  c: SaleController;
  parts: Setup;
  drawn: ScreenModel[];
  shown: IndicatorState[];
}

/** A controller over `parts`; the display and indicators record what they are given (`draw` may throw). */
function rig(parts: Setup, over: Partial<ControllerDeps> = {}, draw: (m: ScreenModel) => void = () => undefined): Rig {
  const drawn: ScreenModel[] = [];
  const shown: IndicatorState[] = [];
  const device = { start: async () => undefined, stop: async () => undefined };
  // The controller drives only the display and the indicators; reader and keypad feed it from outside.
  const hw = {
    display: {
      ...device,
      draw: (m: ScreenModel) => {
        drawn.push(m);
        draw(m);
      },
    },
    indicators: {
      ...device,
      show: (s: IndicatorState) => {
        shown.push(s);
      },
    },
  } as unknown as Hardware;
  let mono = 0;
  const c = new SaleController({
    hw,
    journal: parts.j,
    authoriser: parts.a,
    status: () => STATUS,
    maxPurchase: () => 20000,
    resultScreenMs: 60_000,
    forward: () => undefined,
    businessDay: async () => ({ date: '2026-11-24', names: ['2026-11-24'], mark: { sale: 0, void: 0 } }),
    session: new CashierSession(
      600_000,
      () => ++mono,
      async () => ({ sale: 0, void: 0 }),
    ),
    requireCashier: () => false,
    lowBalance: 0,
    log: pino({ level: 'silent' }),
    ...over,
  });
  c.setReaderStatus('ready');
  c.setCatalog(CATALOG);
  return { c, parts, drawn, shown };
}

async function ringUp(r: Rig, keys: KeyName[], uid = UID): Promise<void> {
  for (const k of keys) r.c.onKey(k);
  r.c.onKey('enter');
  await r.c.onCard({ uid, sun: null });
}

const screens = (r: Rig) => r.drawn.map((m) => m.screen).filter((s, i, all) => s !== all[i - 1]);

async function fresh(
  t: ExecutionContext,
  over: Parameters<typeof rig>[1] = {},
  draw?: (m: ScreenModel) => void,
): Promise<Rig> {
  return rig(await setup(t, record()), over, draw);
}

test('a sale: every state drawn in order, the approval on disk, green and the buzzer, the result marked seen when it gives way', async (t) => {
  const r = await fresh(t);
  await ringUp(r, ['1', '2']);
  t.is(r.c.state.screen, 'confirm');
  r.c.onKey('enter');
  await until(() => r.c.state.screen === 'result', 'the sale decided');
  const s = r.c.state;
  if (s.screen !== 'result') throw new Error('not a result');
  t.like(s.result, { status: 'approved', balance: 5000 - 800 - 1500 });
  t.deepEqual(screens(r), ['idle', 'basket', 'tap', 'confirm', 'result']);
  t.is(r.c.screen?.screen, 'result', 'the last model drawn is the one the controller holds');
  t.like(await r.parts.j.sales.sale(s.result.txId ?? ''), { status: 'approved', total: 2300 });
  t.true(
    r.shown.some((i) => i.led === 'green'),
    'the approval lit green',
  );
  t.truthy(await r.parts.j.sales.lastUnshown(), 'not yet seen while the result is on screen');
  r.c.onKey('enter');
  t.is(r.c.state.screen, 'idle');
  await until(async () => (await r.parts.j.sales.lastUnshown()) === null, 'the result marked seen');
});

test('an unknown card is declined at the tap, lit red and recorded for the report, never sent', async (t) => {
  const r = await fresh(t);
  await ringUp(r, ['1'], 'DEADBEEF');
  const s = r.c.state;
  t.like(s, { screen: 'result', result: { status: 'declined', reason: 'unknown_card' } });
  t.true(r.shown.some((i) => i.led === 'red'));
  await until(async () => (await r.parts.j.sales.report({ sale: 0, void: 0 })).declined === 1, 'the refusal recorded');
  t.deepEqual(await r.parts.j.sales.outbox(), []);
});

test('an authorisation that fails shows a decline, never an approval', async (t) => {
  const parts = await setup(t, record());
  const failing = Object.assign(Object.create(Authoriser.prototype) as Authoriser, parts.a, {
    lookup: parts.a.lookup.bind(parts.a),
    authorise: async () => {
      throw new Error('disk on fire');
    },
  });
  const r = rig({ ...parts, a: failing }, { authoriser: failing });
  await ringUp(r, ['1']);
  r.c.onKey('enter');
  await until(() => r.c.state.screen === 'result', 'the sale decided');
  t.like(r.c.state, { screen: 'result', result: { status: 'declined', reason: 'invalid', txId: null } });
  t.false(r.shown.some((i) => i.led === 'green'));
});

test('a display that throws stops no sale', async (t) => {
  const r = await fresh(t, {}, () => {
    throw new Error('framebuffer gone');
  });
  await ringUp(r, ['1']);
  r.c.onKey('enter');
  await until(() => r.c.state.screen === 'result', 'the sale decided');
  t.like(r.c.state, { screen: 'result', result: { status: 'approved' } });
});

test('an approval gives way to idle when its time is up, a decline to the basket it kept', async (t) => {
  const r = await fresh(t, { resultScreenMs: 1 });
  await ringUp(r, ['1']);
  r.c.onKey('enter');
  await until(() => r.c.state.screen === 'idle', 'back to idle');
  t.deepEqual(screens(r).slice(-2), ['result', 'idle']);
  await ringUp(r, ['1', '2'], 'DEADBEEF');
  await until(() => r.c.state.screen === 'basket', 'back to the basket');
  t.deepEqual(screens(r).slice(-2), ['result', 'basket']);
  t.like(r.c.state, { lines: [{ sku: 'juice' }, { sku: 'toast' }] });
});

test('a ledger change to the card on the confirm screen is shown: blocked meanwhile, the sale is refused', async (t) => {
  const r = await fresh(t);
  await ringUp(r, ['1']);
  t.is(r.c.state.screen, 'confirm');
  await r.parts.j.cards.put(record({ status: 'blocked', version: 4 }));
  await r.c.onCardChanged(UID);
  t.like(r.c.state, { screen: 'result', result: { status: 'declined', reason: 'blocked' } });
});

test('after a restart the result the cashier never saw is shown again', async (t) => {
  const parts = await setup(t, record());
  const first = rig(parts);
  await ringUp(first, ['1']);
  first.c.onKey('enter');
  await until(() => first.c.state.screen === 'result', 'the sale decided');
  const txId = first.c.state.screen === 'result' ? first.c.state.result.txId : null;
  // The power goes: no key, no stop(); a new controller over the same journal.
  const second = rig(parts);
  await second.c.recoverResult();
  t.like(second.c.state, { screen: 'result', result: { status: 'approved', txId } });
  t.is(second.drawn.at(-1)?.screen, 'result');
});
