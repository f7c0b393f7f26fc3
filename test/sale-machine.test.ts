import test from 'ava';
import { transition, initialState, addItem, removeLast } from '../firmware/sale/machine.ts';
import { toScreenModel } from '../firmware/sale/screen.ts';
import type { SaleContext, SaleState, SaleEvent, CardView } from '../firmware/sale/types.ts';
import type { CatalogItem, KeyName } from '../contract/index.ts';

const catalog: CatalogItem[] = Array.from({ length: 11 }, (_, i) => ({ sku: `s${i + 1}`, name: `Vare ${i + 1}`, price: (i + 1) * 100, category: 'x' }));
const ctx = (over: Partial<SaleContext> = {}): SaleContext => ({ catalog, maxPurchase: 19999, resultScreenMs: 3000, reader: 'ready', ...over });
const card: CardView = { uid: '04A1B2C3', name: 'Ida', photo: null, available: 5000 };
const run = (events: SaleEvent[], c = ctx(), s: SaleState = initialState()) => events.reduce((acc, e) => transition(acc.state, e, c), { state: s, effects: [] as unknown[] } as ReturnType<typeof transition>);
const keys = (...k: KeyName[]): SaleEvent[] => k.map((key) => ({ type: 'key', key }));

test('digits add the n-th item of the page shown; paging turns pages', (t) => {
  const { state } = run(keys('1', '1', 'down', '2'));
  t.is(state.screen, 'basket');
  if (state.screen !== 'basket') return;
  t.deepEqual(state.lines.map((l) => [l.sku, l.qty]), [['s1', 2], ['s11', 1]]);
});

test('backspace undoes the last item; escape empties the basket', (t) => {
  t.deepEqual(removeLast(addItem(addItem([], catalog[0]!), catalog[0]!)).map((l) => l.qty), [1]);
  const s = run(keys('1', '2', 'backspace')).state;
  t.is(s.screen === 'basket' && s.lines.length, 1);
  t.is(run(keys('1', 'escape')).state.screen, 'idle');
});

test('an item of 200 kr or more is never added', (t) => {
  const c = ctx({ catalog: [{ sku: 'dyr', name: 'Dyr', price: 20000, category: 'x' }] });
  const { state, effects } = run(keys('1'), c);
  t.is(state.screen, 'idle');
  t.is(state.screen === 'idle' && state.notice, 'itemTooExpensive');
  t.deepEqual(effects, [{ type: 'indicate', led: 'red', buzzer: 'error' }]);
});

test('the basket total never passes maxPurchase', (t) => {
  const { state } = run(keys('9', '9', '9'), ctx({ maxPurchase: 2000 }));
  t.true(state.screen === 'basket' && state.lines[0]!.qty === 2 && state.notice === 'overMaxPurchase');
});

test('tap on an empty basket shows the balance; on the tap screen it goes to confirm', (t) => {
  t.is(run([{ type: 'tap', lookup: { ok: true, card } }]).state.screen, 'balance');
  const s = run([...keys('1', 'enter'), { type: 'tap', lookup: { ok: true, card } }]).state;
  t.is(s.screen, 'confirm');
});

test('blocked and unknown cards are refused before confirm with a decline, nothing authorised', (t) => {
  for (const reason of ['blocked', 'unknown_card'] as const) {
    const { state, effects } = run([...keys('1', 'enter'), { type: 'tap', lookup: { ok: false, reason, card: null } }]);
    t.is(state.screen, 'result');
    t.like(state, { result: { status: 'declined', reason, txId: null } });
    t.true(effects.some((e) => e.type === 'indicate' && e.led === 'red' && e.buzzer === 'decline'));
    t.false(effects.some((e) => e.type === 'authorise'));
  }
});

test('enter on confirm authorises once; keys are ignored while busy', (t) => {
  const start = run([...keys('1', 'enter'), { type: 'tap', lookup: { ok: true, card } }]).state;
  const a = transition(start, { type: 'key', key: 'enter' }, ctx());
  t.deepEqual(a.effects.map((e) => e.type), ['authorise']);
  const b = transition(a.state, { type: 'key', key: 'enter' }, ctx());
  t.deepEqual(b.effects, []);
  t.is(b.state, a.state);
});

test('a card blocked while on confirm is refused at once', (t) => {
  const start = run([...keys('1', 'enter'), { type: 'tap', lookup: { ok: true, card } }]).state;
  const { state } = transition(start, { type: 'cardChanged', lookup: { ok: false, reason: 'blocked', card } }, ctx());
  t.like(state, { screen: 'result', result: { status: 'declined', reason: 'blocked' } });
});

test('result returns to idle after its time or at the next key', (t) => {
  const s: SaleState = { screen: 'result', result: { status: 'approved', reason: null, balance: 1, txId: 'x' }, card, offline: false, voided: false };
  t.is(transition(s, { type: 'timeout' }, ctx()).state.screen, 'idle');
  t.is(transition(s, { type: 'key', key: '5' }, ctx()).state.screen, 'idle');
});

test('an unplugged reader shows the error screen and blocks selling', (t) => {
  const c = ctx({ reader: 'unplugged' });
  const s = run(keys('1'), c).state;
  t.is(s.screen, 'idle');
  const m = toScreenModel(s, c, { lang: 'da', clubId: 'c', terminalId: 't', online: true, queue: 0, indicators: 'ok' });
  t.is(m.screen, 'error');
  t.is(m.view.errorKind, 'reader');
});

test('a reader that does not answer blocks selling too, and the screen says why; back to ready, the basket is still there', (t) => {
  const st = { lang: 'en' as const, clubId: 'c', terminalId: 't', online: true, queue: 0, indicators: 'ok' as const };
  const basket = run(keys('1', '2')).state;
  for (const [reader, said] of [['not_answering', /not answering — the terminal is restarting it/], ['replug', /unplug it and plug it in again/], ['unplugged', /not connected/]] as const) {
    const m = toScreenModel(basket, ctx({ reader }), st);
    t.is(m.screen, 'error', reader);
    t.is(m.view.reader, reader);
    t.regex(m.message, said);
    t.is(run([{ type: 'tap', lookup: { ok: true, card } }], ctx({ reader }), basket).state.screen, 'basket', 'a tap changes nothing');
  }
  t.is(toScreenModel(basket, ctx(), st).screen, 'basket');
  // Each turn for the worse is red with the error sound; ready again turns the lights off when idle.
  t.deepEqual(transition(basket, { type: 'reader', status: 'replug' }, ctx({ reader: 'not_answering' })).effects, [{ type: 'indicate', led: 'red', buzzer: 'error' }]);
  t.deepEqual(transition(initialState(), { type: 'reader', status: 'ready' }, ctx({ reader: 'replug' })).effects, [{ type: 'indicate', led: 'off', buzzer: null }]);
  t.deepEqual(transition(basket, { type: 'reader', status: 'ready' }, ctx()).effects, []);
});

test('screen model has exactly the contract fields plus view', (t) => {
  const s = run([...keys('1', '2', 'enter'), { type: 'tap', lookup: { ok: true, card } }]).state;
  const m = toScreenModel(s, ctx(), { lang: 'en', clubId: 'c', terminalId: 't', online: false, queue: 3, indicators: 'ok' });
  t.deepEqual(Object.keys(m).sort(), ['basket', 'card', 'message', 'online', 'result', 'screen', 'view']);
  t.deepEqual(m.basket, { items: [{ sku: 's1', name: 'Vare 1', unitPrice: 100, qty: 1 }, { sku: 's2', name: 'Vare 2', unitPrice: 200, qty: 1 }], total: 300 });
  t.deepEqual(m.card, { name: 'Ida', balance: 5000, photo: null });
  t.regex(m.message, /No photo/);
  t.false(JSON.stringify(m).includes(card.uid));
});

test('a card pulled away mid-read is told to the cashier and changes nothing else', (t) => {
  const tap = run(keys('1', 'enter')).state;
  const { state, effects } = transition(tap, { type: 'readError' }, ctx());
  t.like(state, { screen: 'tap', notice: 'readError' });
  t.deepEqual(effects, [{ type: 'indicate', led: 'red', buzzer: 'error' }]);
  t.regex(toScreenModel(state, ctx(), { lang: 'da', clubId: 'c', terminalId: 't', online: true, queue: 0, indicators: 'ok' }).message, /ikke læst/);
  t.is(transition(state, { type: 'tap', lookup: { ok: true, card } }, ctx()).state.screen, 'confirm');
});
