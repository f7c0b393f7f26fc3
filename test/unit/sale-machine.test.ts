import test from 'ava';
import { transition, initialState, addItem, removeLast } from '../../firmware/sale/machine.ts';
import { toScreenModel } from '../../firmware/sale/screen.ts';
import type { SaleContext, SaleState, SaleEvent, CardView } from '../../firmware/sale/types.ts';
import type { CatalogItem, KeyName } from '../../contract/index.ts';

const catalog: CatalogItem[] = Array.from({ length: 11 }, (_, i) => ({
  sku: `s${i + 1}`,
  name: `Vare ${i + 1}`,
  price: (i + 1) * 100,
  category: 'x',
}));
const ctx = (over: Partial<SaleContext> = {}): SaleContext => ({
  catalog,
  maxPurchase: 19999,
  resultScreenMs: 3000,
  reader: 'ready',
  cashier: null,
  requireCashier: false,
  lowBalance: 2000,
  ...over,
});
const card: CardView = { uid: '04A1B2C3', name: 'Ida', photo: null, available: 5000 };
const run = (events: SaleEvent[], c = ctx(), s: SaleState = initialState()) =>
  events.reduce((acc, e) => transition(acc.state, e, c), { state: s, effects: [] as unknown[] } as ReturnType<
    typeof transition
  >);
const keys = (...k: KeyName[]): SaleEvent[] => k.map((key) => ({ type: 'key', key }));

test('digits add the n-th item of the page shown; paging turns pages', (t) => {
  const { state } = run(keys('1', '1', 'down', '2'));
  t.is(state.screen, 'basket');
  if (state.screen !== 'basket') return;
  t.deepEqual(
    state.lines.map((l) => [l.sku, l.qty]),
    [
      ['s1', 2],
      ['s11', 1],
    ],
  );
});

test('backspace undoes the last item; escape empties the basket', (t) => {
  t.deepEqual(
    removeLast(addItem(addItem([], catalog[0]!), catalog[0]!)).map((l) => l.qty),
    [1],
  );
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
  t.deepEqual(
    a.effects.map((e) => e.type),
    ['authorise'],
  );
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
  const s: SaleState = {
    screen: 'result',
    result: { status: 'approved', reason: null, balance: 1, txId: 'x' },
    card,
    offline: false,
    voided: false,
  };
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
  for (const [reader, said] of [
    ['not_answering', /not answering — the terminal is restarting it/],
    ['replug', /unplug it and plug it in again/],
    ['unplugged', /not connected/],
  ] as const) {
    const m = toScreenModel(basket, ctx({ reader }), st);
    t.is(m.screen, 'error', reader);
    t.is(m.view.reader, reader);
    t.regex(m.message, said);
    t.is(
      run([{ type: 'tap', lookup: { ok: true, card } }], ctx({ reader }), basket).state.screen,
      'basket',
      'a tap changes nothing',
    );
  }
  t.is(toScreenModel(basket, ctx(), st).screen, 'basket');
  // Each turn for the worse is red with the error sound; ready again turns the lights off when idle.
  t.deepEqual(transition(basket, { type: 'reader', status: 'replug' }, ctx({ reader: 'not_answering' })).effects, [
    { type: 'indicate', led: 'red', buzzer: 'error' },
  ]);
  t.deepEqual(transition(initialState(), { type: 'reader', status: 'ready' }, ctx({ reader: 'replug' })).effects, [
    { type: 'indicate', led: 'off', buzzer: null },
  ]);
  t.deepEqual(transition(basket, { type: 'reader', status: 'ready' }, ctx()).effects, []);
});

test('screen model has exactly the contract fields plus view', (t) => {
  const s = run([...keys('1', '2', 'enter'), { type: 'tap', lookup: { ok: true, card } }]).state;
  const m = toScreenModel(s, ctx(), {
    lang: 'en',
    clubId: 'c',
    terminalId: 't',
    online: false,
    queue: 3,
    indicators: 'ok',
  });
  t.deepEqual(Object.keys(m).sort(), ['basket', 'card', 'cashier', 'message', 'online', 'result', 'screen', 'view']);
  t.deepEqual(m.basket, {
    items: [
      { sku: 's1', name: 'Vare 1', unitPrice: 100, qty: 1 },
      { sku: 's2', name: 'Vare 2', unitPrice: 200, qty: 1 },
    ],
    total: 300,
  });
  t.deepEqual(m.card, { name: 'Ida', balance: 5000, photo: null, note: null });
  t.is(m.cashier, null);
  t.regex(m.message, /No photo/);
  t.false(JSON.stringify(m).includes(card.uid));
});

test('a card pulled away mid-read is told to the cashier and changes nothing else', (t) => {
  const tap = run(keys('1', 'enter')).state;
  const { state, effects } = transition(tap, { type: 'readError' }, ctx());
  t.like(state, { screen: 'tap', notice: 'readError' });
  t.deepEqual(effects, [{ type: 'indicate', led: 'red', buzzer: 'error' }]);
  t.regex(
    toScreenModel(state, ctx(), { lang: 'da', clubId: 'c', terminalId: 't', online: true, queue: 0, indicators: 'ok' })
      .message,
    /ikke læst/,
  );
  t.is(transition(state, { type: 'tap', lookup: { ok: true, card } }, ctx()).state.screen, 'confirm');
});

// --- contract parents' rules, cashiers, the kept basket, low balance ---

const st = { lang: 'da' as const, clubId: 'c', terminalId: 't', online: true, queue: 0, indicators: 'ok' as const };
const mette = { staffId: 'mette', name: 'Mette', role: 'cashier' as const };
const lars = { staffId: 'lars', name: 'Lars', role: 'lead' as const };
const ruled = (rules: CardView['rules'], spentToday = 0, note: string | null = null): CardView => ({
  ...card,
  rules,
  spentToday,
  note,
});
const tapWith = (c: CardView): SaleEvent => ({ type: 'tap', lookup: { ok: true, card: c } });

test('a blocked category refuses at the tap, names the item, and the basket comes back with the same lines', (t) => {
  const cat = catalog.map((i, n) => ({ ...i, category: n === 1 ? 'slik' : 'x' }));
  const c = ctx({ catalog: cat });
  const { state, effects } = run([...keys('1', '2', 'enter'), tapWith(ruled({ blockedCategories: ['slik'] }))], c);
  t.like(state, { screen: 'result', result: { status: 'declined', reason: 'category_blocked', txId: null } });
  t.true(effects.some((e) => e.type === 'indicate' && e.led === 'red'));
  const m = toScreenModel(state, c, st);
  t.deepEqual(m.view.rules, { leftToday: null, blockedItem: 'Vare 2' });
  t.regex(m.message, /spærret en vare/);
  for (const next of [transition(state, { type: 'key', key: '5' }, c), transition(state, { type: 'timeout' }, c)]) {
    t.like(next.state, { screen: 'basket' });
    t.deepEqual(next.state.screen === 'basket' && next.state.lines.map((l) => [l.sku, l.qty]), [
      ['s1', 1],
      ['s2', 1],
    ]);
  }
});

test("the daily limit counts today's spending; confirm shows how much is left after the basket, a refusal how much is left", (t) => {
  const ok = run([...keys('3', 'enter'), tapWith(ruled({ dailyLimit: 1000 }, 600))]).state; // 600 + 300 <= 1000
  t.is(ok.screen, 'confirm');
  t.deepEqual(toScreenModel(ok, ctx(), st).view.rules, { leftToday: 100, blockedItem: null });
  const no = run([...keys('5', 'enter'), tapWith(ruled({ dailyLimit: 1000 }, 600))]).state; // 600 + 500 > 1000
  t.like(no, { screen: 'result', result: { status: 'declined', reason: 'daily_limit' } });
  t.deepEqual(toScreenModel(no, ctx(), st).view.rules, { leftToday: 400, blockedItem: null });
  t.like(transition(no, { type: 'key', key: 'escape' }, ctx()).state, { screen: 'basket' });
});

test('after any decline the basket is kept; after an approval the screen goes back to idle', (t) => {
  const confirm = run([...keys('1', '1', 'enter'), tapWith(card), ...keys('enter')]).state;
  const declined = transition(
    confirm,
    {
      type: 'decided',
      result: { status: 'declined', reason: 'insufficient_funds', balance: 100, txId: 'x' },
      card,
      offline: false,
    },
    ctx(),
  ).state;
  const back = transition(declined, { type: 'timeout' }, ctx()).state;
  t.deepEqual(back.screen === 'basket' && back.lines.map((l) => [l.sku, l.qty]), [['s1', 2]]);
  const blocked = run([...keys('1', 'enter'), { type: 'tap', lookup: { ok: false, reason: 'blocked', card } }]).state;
  t.like(transition(blocked, { type: 'key', key: 'enter' }, ctx()).state, { screen: 'basket' });
  const approved = transition(
    confirm,
    { type: 'decided', result: { status: 'approved', reason: null, balance: 100, txId: 'x' }, card, offline: false },
    ctx(),
  ).state;
  t.is(transition(approved, { type: 'timeout' }, ctx()).state.screen, 'idle');
  const unknown = run([{ type: 'tap', lookup: { ok: false, reason: 'unknown_card', card: null } }]).state;
  t.like(
    unknown,
    { screen: 'result', result: { status: 'declined', reason: 'unknown_card' } },
    'an unknown card on idle',
  );
  t.is(transition(unknown, { type: 'timeout' }, ctx()).state.screen, 'idle');
});

test('a staff card signs in and out on idle with an empty basket, is ignored elsewhere, and never pays', (t) => {
  const staffTap: SaleEvent = { type: 'tap', lookup: { ok: false, reason: 'staff', staff: mette, card: null } };
  const inStep = transition(initialState(), staffTap, ctx());
  t.deepEqual(
    inStep.effects.find((e) => e.type === 'setCashier'),
    { type: 'setCashier', cashier: mette },
  );
  t.like(inStep.state, { screen: 'idle', notice: 'signedIn' });
  const out = transition(initialState(), staffTap, ctx({ cashier: mette }));
  t.deepEqual(
    out.effects.find((e) => e.type === 'setCashier'),
    { type: 'setCashier', cashier: null },
  );
  const other = transition(
    initialState(),
    { type: 'tap', lookup: { ok: false, reason: 'staff', staff: lars, card: null } },
    ctx({ cashier: mette }),
  );
  t.deepEqual(
    other.effects.find((e) => e.type === 'setCashier'),
    { type: 'setCashier', cashier: lars },
    'another staff card replaces',
  );
  const tapScreen = run(keys('1', 'enter')).state;
  t.is(transition(tapScreen, staffTap, ctx()).state, tapScreen, 'on the tap screen it is ignored (it never pays)');
  const m = toScreenModel(initialState(), ctx({ cashier: mette }), st);
  t.deepEqual(m.cashier, { name: 'Mette', role: 'cashier' });
});

test('requireCashier: the basket keys answer with a notice while nobody is signed in', (t) => {
  const c = ctx({ requireCashier: true });
  const { state } = run(keys('1'), c);
  t.like(state, { screen: 'idle', notice: 'cashierRequired', lines: [] });
  t.regex(toScreenModel(state, c, st).message, /personalekort/);
  t.is(run(keys('1'), ctx({ requireCashier: true, cashier: mette })).state.screen, 'basket');
  // A basket rung up before the cashier was signed out (idle) is not sold either.
  const basket = run(keys('1'), ctx({ requireCashier: true, cashier: mette })).state;
  t.like(transition(basket, { type: 'key', key: 'enter' }, c).state, { screen: 'basket', notice: 'cashierRequired' });
  const tap = run(keys('1', 'enter'), ctx({ requireCashier: true, cashier: mette })).state;
  t.like(transition(tap, tapWith(card), c).state, { screen: 'tap', notice: 'cashierRequired' });
  const confirm = run(keys('1', 'enter'), ctx({ requireCashier: true, cashier: mette }), initialState());
  const atConfirm = transition(confirm.state, tapWith(card), ctx({ requireCashier: true, cashier: mette })).state;
  const enter = transition(atConfirm, { type: 'key', key: 'enter' }, c);
  t.false(enter.effects.some((e) => e.type === 'authorise'));
  t.like(enter.state, { screen: 'confirm', notice: 'cashierRequired' });
});

test('a void is refused to another cashier and allowed to the one who sold and to a lead', (t) => {
  const sale = {
    txId: 'tx',
    total: 800,
    createdAt: '2026-12-01T10:00:00.000Z',
    items: [],
    voided: false,
    cashierId: 'mette',
  };
  const voidScreen: SaleState = { screen: 'void', sale };
  const other = { staffId: 'ole', name: 'Ole', role: 'cashier' as const };
  const refused = transition(voidScreen, { type: 'key', key: 'enter' }, ctx({ cashier: other }));
  t.is(refused.state, voidScreen);
  t.deepEqual(refused.effects, [{ type: 'indicate', led: 'red', buzzer: 'error' }]);
  t.regex(toScreenModel(refused.state, ctx({ cashier: other }), st).message, /leder/);
  t.true(
    transition(voidScreen, { type: 'key', key: 'enter' }, ctx({ cashier: mette })).effects.some(
      (e) => e.type === 'void',
    ),
  );
  t.true(
    transition(voidScreen, { type: 'key', key: 'enter' }, ctx({ cashier: lars })).effects.some(
      (e) => e.type === 'void',
    ),
  );
  t.true(
    transition(voidScreen, { type: 'key', key: 'enter' }, ctx()).effects.some((e) => e.type === 'void'),
    'nobody signed in, no requireCashier',
  );
  t.false(
    transition(voidScreen, { type: 'key', key: 'enter' }, ctx({ requireCashier: true })).effects.some(
      (e) => e.type === 'void',
    ),
  );
});

test('low balance: confirm and result warn when the balance after the sale is below the config amount', (t) => {
  const confirm = run([...keys('9', 'enter'), tapWith({ ...card, available: 2800 })]).state; // 2800 - 900 = 1900 < 2000
  t.true(toScreenModel(confirm, ctx(), st).view.lowBalance);
  t.false(toScreenModel(confirm, ctx({ lowBalance: 1900 }), st).view.lowBalance);
  const result = transition(
    transition(confirm, { type: 'key', key: 'enter' }, ctx()).state,
    { type: 'decided', result: { status: 'approved', reason: null, balance: 1900, txId: 'x' }, card, offline: false },
    ctx(),
  ).state;
  t.true(toScreenModel(result, ctx(), st).view.lowBalance);
});

test("the parent's note goes with the card on confirm and balance", (t) => {
  const c = ruled({ note: 'Nøddeallergi' }, 0, 'Nøddeallergi');
  t.is(toScreenModel(run([...keys('1', 'enter'), tapWith(c)]).state, ctx(), st).card!.note, 'Nøddeallergi');
  t.is(toScreenModel(run([tapWith(c)]).state, ctx(), st).card!.note, 'Nøddeallergi');
});

// --- a new catalog version while a basket is open (issue 24, item 8) ---

const newCatalog = ctx({
  catalog: catalog
    .filter((i) => i.sku !== 's2')
    .map((i) => (i.sku === 's1' ? { ...i, name: 'Vare 1b', price: 150 } : i)),
});
const skus = (s: SaleState) => ('lines' in s ? s.lines.map((l) => [l.sku, l.name, l.unitPrice, l.qty]) : null);
const catalogChanged: SaleEvent = { type: 'catalogChanged' };

test('a new catalog resolves the basket again: the new price and name, a gone item taken out with a notice naming it (Danish and English)', (t) => {
  const basket = run(keys('1', '1', '2', '3')).state;
  const { state, effects } = transition(basket, catalogChanged, newCatalog);
  t.like(state, { screen: 'basket', notice: 'catalogItemRemoved', removed: ['Vare 2'] });
  t.deepEqual(skus(state), [
    ['s1', 'Vare 1b', 150, 2],
    ['s3', 'Vare 3', 300, 1],
  ]);
  t.deepEqual(effects, [{ type: 'indicate', led: 'red', buzzer: 'error' }]);
  t.is(toScreenModel(state, newCatalog, st).message, 'Kataloget er ændret — taget ud af kurven: Vare 2');
  t.is(
    toScreenModel(state, newCatalog, { ...st, lang: 'en' }).message,
    'The catalog has changed — taken out of the basket: Vare 2',
  );
  t.is(toScreenModel(state, newCatalog, st).basket!.total, 600);
  // Only a price changed: the notice says so; nothing changed: nothing happens.
  const repriced = transition(run(keys('1')).state, catalogChanged, newCatalog).state;
  t.like(repriced, { screen: 'basket', notice: 'catalogChanged' });
  t.is(toScreenModel(repriced, newCatalog, st).message, 'Kataloget er ændret — kurven har nu de nye priser');
  const same = run(keys('3')).state;
  t.is(transition(same, catalogChanged, newCatalog).state, same);
  // Every item gone: an empty basket is idle, with the notice.
  t.like(transition(run(keys('2', '2')).state, catalogChanged, newCatalog).state, {
    screen: 'idle',
    lines: [],
    notice: 'catalogItemRemoved',
    removed: ['Vare 2'],
  });
});

test('on the tap screen the basket is resolved and the tap goes on; the next confirm judges the new category and shows the new total', (t) => {
  const tap = run(keys('1', '3', 'enter')).state;
  const after = transition(tap, catalogChanged, newCatalog).state;
  t.like(after, { screen: 'tap', notice: 'catalogChanged' });
  const slik = ctx({ catalog: catalog.map((i) => (i.sku === 's3' ? { ...i, category: 'slik' } : i)) });
  const sameTotal = transition(tap, catalogChanged, slik).state;
  t.is(sameTotal, tap, 'a category alone does not change the basket');
  t.like(transition(sameTotal, tapWith(ruled({ blockedCategories: ['slik'] })), slik).state, {
    screen: 'result',
    result: { reason: 'category_blocked' },
  });
  const confirm = transition(after, tapWith(card), newCatalog).state;
  t.is(toScreenModel(confirm, newCatalog, st).basket!.total, 450);
});

test('on confirm a changed basket goes back to the basket (never approved unseen); a new category is judged at once; while the sale is decided nothing changes', (t) => {
  const confirm = run([...keys('1', '3', 'enter'), tapWith(ruled({ blockedCategories: ['slik'] }))]).state;
  t.is(confirm.screen, 'confirm');
  const back = transition(confirm, catalogChanged, newCatalog);
  t.like(back.state, { screen: 'basket', notice: 'catalogChanged' });
  t.deepEqual(skus(back.state), [
    ['s1', 'Vare 1b', 150, 1],
    ['s3', 'Vare 3', 300, 1],
  ]);
  t.false(back.effects.some((e) => e.type === 'authorise'));
  t.is(
    transition(back.state, { type: 'key', key: 'enter' }, newCatalog).state.screen,
    'tap',
    'the card is asked for again',
  );

  const slik = ctx({ catalog: catalog.map((i) => (i.sku === 's3' ? { ...i, category: 'slik' } : i)) });
  const refused = transition(confirm, catalogChanged, slik).state;
  t.like(refused, { screen: 'result', result: { status: 'declined', reason: 'category_blocked', txId: null } });
  t.like(transition(refused, { type: 'timeout' }, slik).state, { screen: 'basket', notice: null });
  const renamedOnly = ctx({ catalog: catalog.map((i) => (i.sku === 's3' ? { ...i, name: 'Vare tre' } : i)) });
  t.like(transition(confirm, catalogChanged, renamedOnly).state, {
    screen: 'confirm',
    lines: [{ name: 'Vare 1' }, { name: 'Vare tre' }],
  });

  const busy = transition(confirm, { type: 'key', key: 'enter' }, ctx()).state;
  t.is(transition(busy, catalogChanged, newCatalog).state, busy);
  // Declined (e.g. by the authoriser's check of the catalog): the kept basket comes back resolved.
  const declined = transition(
    busy,
    {
      type: 'decided',
      result: { status: 'declined', reason: 'invalid', balance: null, txId: null },
      card,
      offline: false,
    },
    newCatalog,
  ).state;
  t.is(transition(declined, catalogChanged, newCatalog).state, declined, 'the result screen stays as it is');
  const kept = transition(declined, { type: 'key', key: 'escape' }, newCatalog).state;
  t.like(kept, { screen: 'basket', notice: 'catalogChanged' });
  t.deepEqual(skus(kept), [
    ['s1', 'Vare 1b', 150, 1],
    ['s3', 'Vare 3', 300, 1],
  ]);
});

// --- issue 26: the cashier's screen tells the truth at a glance ---

const model = (s: SaleState, c = ctx(), lang: 'da' | 'en' = 'da') => toScreenModel(s, c, { ...st, lang });
const hintKeys = (s: SaleState, c = ctx()) => model(s, c).view.hints.map((h) => `${h.key} ${h.label}`);

test('item 3: a card without the money for the basket is refused at the tap, says what is available, keeps the basket, sends nothing and is recorded', (t) => {
  const poor = { ...card, available: 500 };
  const { state, effects } = run([...keys('3', '3', 'enter'), tapWith(poor)]); // 600 > 500
  t.like(state, {
    screen: 'result',
    result: { status: 'declined', reason: 'insufficient_funds', balance: 500, txId: null },
  });
  t.false(
    effects.some((e) => e.type === 'authorise'),
    'no confirm, nothing authorised',
  );
  t.deepEqual(
    effects.find((e) => e.type === 'recordRefusal'),
    {
      type: 'recordRefusal',
      lines: [{ sku: 's3', name: 'Vare 3', unitPrice: 300, qty: 2 }],
      card: poor,
      reason: 'insufficient_funds',
    },
  );
  const m = model(state);
  t.is(m.message, 'Afvist: Ikke penge nok på kortet');
  t.is(m.result!.balance, 500, 'what is available');
  t.is(m.basket!.total, 600, 'against the kept basket');
  for (const next of [
    transition(state, { type: 'key', key: 'enter' }, ctx()),
    transition(state, { type: 'timeout' }, ctx()),
  ]) {
    t.deepEqual(skus(next.state), [['s3', 'Vare 3', 300, 2]], 'the basket is kept');
    t.is(next.state.screen, 'basket');
  }
  // Exactly enough is enough.
  t.is(run([...keys('3', '3', 'enter'), tapWith({ ...card, available: 600 })]).state.screen, 'confirm');
});

test("item 3: on confirm, money that no longer covers the basket (spent elsewhere) refuses at once; after Enter it is the authoriser's", (t) => {
  const confirm = run([...keys('5', 'enter'), tapWith({ ...card, available: 600 })]).state;
  t.is(confirm.screen, 'confirm');
  const { state, effects } = transition(
    confirm,
    { type: 'cardChanged', lookup: { ok: true, card: { ...card, available: 400 } } },
    ctx(),
  );
  t.like(state, {
    screen: 'result',
    result: { status: 'declined', reason: 'insufficient_funds', balance: 400, txId: null },
  });
  t.true(effects.some((e) => e.type === 'recordRefusal'));
  const topUp = transition(
    confirm,
    { type: 'cardChanged', lookup: { ok: true, card: { ...card, available: 900 } } },
    ctx(),
  ).state;
  t.like(topUp, { screen: 'confirm', card: { available: 900 } });
  const busy = transition(confirm, { type: 'key', key: 'enter' }, ctx()).state;
  t.is(
    transition(busy, { type: 'cardChanged', lookup: { ok: true, card: { ...card, available: 0 } } }, ctx()).state,
    busy,
  );
});

test("item 5: every basket refused at the tap is recorded for the report (blocked, unknown, card_auth, the parents' rules, the money); a tap on idle is not a sale", (t) => {
  const cat = catalog.map((i, n) => ({ ...i, category: n === 1 ? 'slik' : 'x' }));
  const c = ctx({ catalog: cat });
  const reasons = [
    run([...keys('1', 'enter'), { type: 'tap', lookup: { ok: false, reason: 'blocked', card } }], c),
    run([...keys('1', 'enter'), { type: 'tap', lookup: { ok: false, reason: 'unknown_card', card: null } }], c),
    run([...keys('1', 'enter'), { type: 'tap', lookup: { ok: false, reason: 'card_auth', card: null } }], c),
    run([...keys('2', 'enter'), tapWith(ruled({ blockedCategories: ['slik'] }))], c),
    run([...keys('5', 'enter'), tapWith(ruled({ dailyLimit: 400 }))], c),
    run([...keys('9', 'enter'), tapWith({ ...card, available: 100 })], c),
  ].map((r) => r.effects.filter((e) => e.type === 'recordRefusal').map((e) => e.type === 'recordRefusal' && e.reason));
  t.deepEqual(reasons, [
    ['blocked'],
    ['unknown_card'],
    ['card_auth'],
    ['category_blocked'],
    ['daily_limit'],
    ['insufficient_funds'],
  ]);
  t.false(
    run([{ type: 'tap', lookup: { ok: false, reason: 'unknown_card', card: null } }]).effects.some(
      (e) => e.type === 'recordRefusal',
    ),
  );
});

test('item 4: the void screen says whose sale it is; Enter is offered only to who may void, anyone else is told who must sign in', (t) => {
  const sale = {
    txId: 'tx',
    total: 800,
    createdAt: '2026-12-01T10:00:00.000Z',
    items: [],
    voided: false,
    cashierId: 'mette',
    child: 'Ida',
    seller: 'Mette Kristensen',
  };
  const screen: SaleState = { screen: 'void', sale };
  const ole = { staffId: 'ole', name: 'Ole', role: 'cashier' as const };
  t.is(model(screen, ctx({ cashier: ole })).view.void!.child, 'Ida');
  t.deepEqual(hintKeys(screen, ctx({ cashier: ole })), ['escape Tilbage'], 'no Enter for another cashier');
  t.is(
    model(screen, ctx({ cashier: ole })).message,
    'Kun Mette Kristensen, der solgte, eller en leder kan annullere: Esc, log ind med personalekortet, F2',
  );
  t.is(
    model(screen, ctx({ cashier: ole }), 'en').message,
    'Only Mette Kristensen, who made the sale, or a lead can void it: Esc, sign in with the staff card, F2',
  );
  t.regex(
    model(screen, ctx({ requireCashier: true })).message,
    /Kun Mette Kristensen/,
    'nobody signed in where a cashier is required',
  );
  t.regex(
    model({ screen: 'void', sale: { ...sale, seller: null } }, ctx({ cashier: ole })).message,
    /Kun kassereren, der solgte, eller en leder/,
    'a seller no longer held',
  );
  t.regex(
    model({ screen: 'void', sale: { ...sale, cashierId: null, seller: null } }, ctx({ cashier: ole })).message,
    /^Kun en leder kan annullere/,
    'a sale nobody was signed in for',
  );
  for (const who of [ctx({ cashier: mette }), ctx({ cashier: lars }), ctx()]) {
    t.deepEqual(hintKeys(screen, who), ['enter Annullér', 'escape Tilbage']);
    t.regex(model(screen, who).message, /Annullér sidste salg/);
  }
});

test('item 4: a successful void shows the amount and the child, and what happens to the money', (t) => {
  const sale = {
    txId: 'tx',
    total: 2800,
    createdAt: '2026-12-01T10:00:00.000Z',
    items: [],
    voided: false,
    cashierId: null,
    child: 'Ida',
    seller: null,
  };
  const { state } = transition(
    { screen: 'void', sale },
    { type: 'voided', result: { status: 'approved', reason: null, balance: null, txId: 'void-tx' } },
    ctx(),
  );
  const m = model(state);
  t.like(m, { screen: 'result', message: 'Salget er annulleret', result: { status: 'approved', txId: 'void-tx' } });
  t.like(m.view.void, { total: 2800, child: 'Ida' });
  t.is(m.view.next, 'Beløbet går tilbage på barnets kort.');
});

test('item 6: the blocked lines in the middle of the basket leave it with one key (0), named on the result screen', (t) => {
  const cat = catalog.map((i) => ({ ...i, category: i.sku === 's2' || i.sku === 's4' ? 'slik' : 'x' }));
  const c = ctx({ catalog: cat });
  const refused = run(
    [...keys('1', '2', '3', '4', '4', '5', 'enter'), tapWith(ruled({ blockedCategories: ['slik'] }))],
    c,
  ).state;
  t.like(refused, { screen: 'result', result: { reason: 'category_blocked' } });
  t.deepEqual(hintKeys(refused, c), ['0 Fjern spærrede varer', 'enter Tilbage til kurven']);
  t.is(model(refused, c).view.next, 'Tryk 0 for at tage de spærrede varer ud af kurven.');
  const { state, effects } = transition(refused, { type: 'key', key: '0' }, c);
  t.deepEqual(skus(state), [
    ['s1', 'Vare 1', 100, 1],
    ['s3', 'Vare 3', 300, 1],
    ['s5', 'Vare 5', 500, 1],
  ]);
  t.like(state, { screen: 'basket', notice: 'blockedRemoved' });
  t.deepEqual(effects, [{ type: 'indicate', led: 'off', buzzer: null }]);
  t.is(model(state, c).message, 'Spærrede varer taget ud af kurven: Vare 2, Vare 4');
  // The rest can be paid for: Enter, the same card, confirm.
  t.is(
    run(
      ['enter', tapWith(ruled({ blockedCategories: ['slik'] }))].map((e) =>
        typeof e === 'string' ? ({ type: 'key', key: e } as SaleEvent) : e,
      ),
      c,
      state,
    ).state.screen,
    'confirm',
  );
  // Only blocked lines: the basket is empty; any other refusal: 0 is just the next key.
  t.like(
    transition(
      run([...keys('2', 'enter'), tapWith(ruled({ blockedCategories: ['slik'] }))], c).state,
      { type: 'key', key: '0' },
      c,
    ).state,
    { screen: 'idle', lines: [], notice: 'blockedRemoved' },
  );
  const poor = run([...keys('9', 'enter'), tapWith({ ...card, available: 100 })], c).state;
  t.like(transition(poor, { type: 'key', key: '0' }, c).state, {
    screen: 'basket',
    notice: null,
    lines: [{ sku: 's9', qty: 1 }],
  });
});

test('item 6: every result screen ends with what to do next (a sentence and the keys)', (t) => {
  const confirm = run([...keys('1', 'enter'), tapWith(card), ...keys('enter')]).state;
  const decided = (status: 'approved' | 'declined', reason: string | null, offline = false) =>
    transition(confirm, { type: 'decided', result: { status, reason, balance: 4900, txId: 'x' }, card, offline }, ctx())
      .state;
  const results: [string, SaleState, RegExp, string][] = [
    ['approved', decided('approved', null), /Giv varerne/, 'enter Næste kunde'],
    ['approved offline', decided('approved', null, true), /sendes til hovedbogen/, 'enter Næste kunde'],
    ['declined by the ledger', decided('declined', 'insufficient_funds'), /sat penge ind/, 'enter Tilbage til kurven'],
    ['offline limit', decided('declined', 'offline_limit'), /Vent til forbindelsen/, 'enter Tilbage til kurven'],
    ['reversed', decided('declined', 'reversed'), /Prøv igen/, 'enter Tilbage til kurven'],
    [
      'blocked at the tap',
      run([...keys('1', 'enter'), { type: 'tap', lookup: { ok: false, reason: 'blocked', card } }]).state,
      /forældrene eller en leder/,
      'enter Tilbage til kurven',
    ],
    [
      'unknown on idle',
      run([{ type: 'tap', lookup: { ok: false, reason: 'unknown_card', card: null } }]).state,
      /brug et andet kort/,
      'enter Tilbage',
    ],
    [
      'card_auth',
      run([...keys('1', 'enter'), { type: 'tap', lookup: { ok: false, reason: 'card_auth', card: null } }]).state,
      /Giv det til en leder/,
      'enter Tilbage til kurven',
    ],
  ];
  for (const [what, s, next, key] of results) {
    const m = model(s);
    t.regex(m.view.next ?? '', next, what);
    t.is(m.view.hints.map((h) => `${h.key} ${h.label}`).at(-1), key, what);
    t.truthy(model(s, ctx(), 'en').view.next, `${what} (English)`);
  }
});
