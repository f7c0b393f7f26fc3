// Issue 13 item 4: one source for every limit. Baskets rung up through the sale machine from
// generated catalogs and key presses (long runs of one key, many alternating lines, free items):
// every basket the terminal would send is one the ledger's schema accepts. The same for the void
// and reversal messages, at any wall-clock time.
import test from 'ava';
import fc from 'fast-check';
import { transition, initialState } from '../../firmware/sale/machine.ts';
import { checkBasket } from '../../firmware/rules/basket.ts';
import { reversalMessage, saleMessage, voidMessage } from '../../firmware/sale/messages.ts';
import type { SaleContext, SaleState } from '../../firmware/sale/types.ts';
import {
  MAX_LINE_QTY,
  MAX_SALE_LINES,
  ReversalMsg,
  SaleMsg,
  VoidMsg,
  CatalogItem,
  type KeyName,
} from '../../contract/index.ts';

const origin = { terminalId: 'kasse-1', clubId: 'demo-klub' };
const uid = fc
  .constantFrom(8, 14, 20)
  .chain((n) =>
    fc.array(fc.constantFrom(...'0123456789ABCDEF'), { minLength: n, maxLength: n }).map((a) => a.join('')),
  );
/** Any wall-clock time, hours or years wrong. */
const when = fc.date({
  min: new Date('1970-01-01T00:00:00Z'),
  max: new Date('9999-12-31T23:59:59Z'),
  noInvalidDate: true,
});
const item = fc
  .record({
    sku: fc.string({ minLength: 1, maxLength: 64 }),
    name: fc.string({ minLength: 1, maxLength: 100 }),
    price: fc.oneof(fc.constant(0), fc.constant(50), fc.integer({ min: 0, max: 25000 })),
    category: fc.string({ maxLength: 64 }),
  })
  .filter((i) => CatalogItem.safeParse(i).success);
const key = fc.constantFrom<KeyName>('1', '2', '3', '4', 'backspace', 'down', 'up');
/** Runs of one key (a cashier holding it down) and short alternations. */
const presses = fc
  .array(fc.tuple(key, fc.oneof(fc.integer({ min: 1, max: 3 }), fc.integer({ min: 900, max: 1100 }))), {
    maxLength: 300,
  })
  .map((runs) => runs.flatMap(([k, n]) => Array<KeyName>(n).fill(k)));

function ringUp(ctx: SaleContext, keys: KeyName[]): SaleState {
  let s = initialState();
  for (const k of keys) s = transition(s, { type: 'key', key: k }, ctx).state;
  return s;
}

test('every basket the terminal lets through is a sale the ledger schema accepts', (t) => {
  let big = 0;
  fc.assert(
    fc.property(
      fc.array(item, { minLength: 1, maxLength: 12 }),
      fc.integer({ min: 0, max: 1_000_000 }),
      presses,
      uid,
      when,
      (catalog, maxPurchase, keys, cardUid, at) => {
        const ctx: SaleContext = {
          catalog,
          maxPurchase,
          resultScreenMs: 1000,
          reader: 'ready',
          cashier: null,
          requireCashier: false,
          lowBalance: 2000,
        };
        const s = ringUp(ctx, keys);
        if (s.screen !== 'basket' || s.lines.length === 0) return;
        // The authoriser checks again at Enter (the limit may have changed): what passes is sent.
        if (checkBasket(s.lines, maxPurchase) !== 'ok') return;
        if (s.lines.length > 50 || s.lines.some((l) => l.qty > 500)) big++;
        const r = SaleMsg.safeParse(saleMessage(origin, cardUid, s.lines, at, null));
        if (!r.success)
          throw new Error(`rejected by the schema: ${r.error.issues[0]?.path.join('.')} ${r.error.issues[0]?.message}`);
        t.true(SaleMsg.safeParse({ ...saleMessage(origin, cardUid, s.lines, at, null), offline: true }).success);
      },
    ),
    { numRuns: 300 },
  );
  t.log(`${big} generated baskets near the bounds`);
});

test('the basket stops at the schema bounds: line 101 and the 1001st of one item are refused with a notice', (t) => {
  const free = [
    { sku: 'a', name: 'A', price: 0, category: 'x' },
    { sku: 'b', name: 'B', price: 0, category: 'x' },
  ];
  const ctx: SaleContext = {
    catalog: free,
    maxPurchase: 19999,
    resultScreenMs: 1000,
    reader: 'ready',
    cashier: null,
    requireCashier: false,
    lowBalance: 2000,
  };
  const alternating = Array.from({ length: MAX_SALE_LINES + 1 }, (_, i) => (i % 2 ? '2' : '1') as KeyName);
  const many = ringUp(ctx, alternating);
  t.true(many.screen === 'basket' && many.lines.length === MAX_SALE_LINES && many.notice === 'tooManyLines');
  const one = ringUp(ctx, Array<KeyName>(MAX_LINE_QTY + 1).fill('1'));
  t.true(one.screen === 'basket' && one.lines[0]!.qty === MAX_LINE_QTY && one.notice === 'tooManyOfItem');
});

test('void and reversal messages are accepted by the schema at any wall-clock time', (t) => {
  fc.assert(
    fc.property(uid, fc.uuid({ version: 4 }), when, (cardUid, txId, at) => {
      t.true(VoidMsg.safeParse(voidMessage(origin, { txId, cardUid }, at, 'staff-1')).success);
      t.true(ReversalMsg.safeParse(reversalMessage(origin, txId, at)).success);
    }),
    { numRuns: 300 },
  );
});
