// The authoriser (firmware/sale/authoriser.ts) on its own: a real journal in a temp dir, the ledger's
// answers fed in as the sync emits them. Offline it decides by the offline rules and the approval is
// on disk when it returns; online the ledger's answer decides; an online sale left unanswered is
// decided offline, and one declined then has its reversal queued; refusals are recorded, never sent.
import test from 'ava';
import type { Settled } from '../../firmware/journal/sales-book.ts';
import { CATALOG, cardOf, juice, LIMITS, record, type Setup, setup, UID } from '../helpers/sale-parts.ts';

test('offline: approved by the offline rules, on disk and queued when the result is returned', async (t) => {
  const s = await setup(t, record());
  const d = await s.a.authorise(juice(2), await cardOf(s), () => CATALOG);
  t.like(d, { offline: true, result: { status: 'approved', reason: null, balance: 5000 - 1600 } });
  const txId = d.result.txId ?? '';
  t.like(await s.j.sales.sale(txId), { status: 'approved', offline: true, total: 1600 });
  t.deepEqual(
    (await s.j.sales.outbox()).map((e) => [e.txId, e.type, e.offline]),
    [[txId, 'sale', true]],
  );
  t.is(d.card?.available, 3400, 'the money after the sale');
});

test('offline: the offline rules decline what the card cannot pay, and nothing is sent', async (t) => {
  const s = await setup(t, record({ balance: 500 }));
  const d = await s.a.authorise(juice(), await cardOf(s), () => CATALOG);
  t.like(d.result, { status: 'declined', reason: 'insufficient_funds', txId: null });
  t.deepEqual(await s.j.sales.outbox(), []);
  t.like(await s.j.sales.report({ sale: 0, void: 0 }), { sales: 0, declined: 1 });
});

test('offline: too long offline is stale; a blocked card, an unknown card and a basket over the limit are refused', async (t) => {
  const stale = await setup(t, record(), { offlineForSeconds: () => 3601 });
  t.like((await stale.a.authorise(juice(), await cardOf(stale), () => CATALOG)).result, {
    status: 'declined',
    reason: 'stale',
  });

  const blocked = await setup(t, record());
  const view = await cardOf(blocked);
  await blocked.j.cards.put(record({ status: 'blocked', version: 4 }));
  t.like((await blocked.a.authorise(juice(), view, () => CATALOG)).result, { status: 'declined', reason: 'blocked' });

  const unknown = await setup(t, null);
  const d = await unknown.a.authorise(juice(), { uid: UID, name: 'x', photo: null, available: 5000 }, () => CATALOG);
  t.like(d, { card: null, result: { status: 'declined', reason: 'unknown_card' } });

  const over = await setup(t, record(), { limits: () => ({ ...LIMITS, maxPurchase: 1000 }) });
  t.like((await over.a.authorise(juice(2), await cardOf(over), () => CATALOG)).result, {
    status: 'declined',
    reason: 'limit',
  });
  for (const s of [stale, blocked, unknown, over]) t.deepEqual(await s.j.sales.outbox(), [], 'a refusal is never sent');
});

test('a basket rung up on another catalog (an item gone or repriced) is refused as invalid', async (t) => {
  const s = await setup(t, record());
  t.like(
    (
      await s.a.authorise(juice(), await cardOf(s), () => [
        { sku: 'juice', name: 'Juice', price: 900, category: 'drink' },
      ])
    ).result,
    { status: 'declined', reason: 'invalid' },
  );
});

test("online: the ledger's answer decides, even against what the terminal would decide", async (t) => {
  // The ledger answers when the outbox is forwarded: a decline the offline rules would not make.
  const ledgerDeclines = (s: Setup) => () => {
    s.forwards++;
    void s.j.sales.outbox().then(async (out) => {
      for (const e of out) {
        const settled = await s.j.sales.settle({
          txId: e.txId,
          type: 'sale',
          status: 'declined',
          reason: 'blocked',
          offline: false,
        });
        if (typeof settled === 'object') s.sync.emit('settled', settled satisfies Settled);
      }
    });
  };
  const s = await setup(t, record(), (s) => ({ online: () => true, forward: ledgerDeclines(s) }));
  const d = await s.a.authorise(juice(), await cardOf(s), () => CATALOG);
  t.like(d, { offline: false, result: { status: 'declined', reason: 'blocked' } });
  t.like(await s.j.sales.sale(d.result.txId ?? ''), { status: 'declined', offline: false });
  t.is(s.noAnswers, 0);
});

test('online without an answer in time: decided offline, the status bar told, the same txId sent offline', async (t) => {
  const s = await setup(t, record(), { online: () => true, limits: () => ({ ...LIMITS, replyTimeoutMs: 1 }) });
  const d = await s.a.authorise(juice(), await cardOf(s), () => CATALOG);
  t.like(d, { offline: true, result: { status: 'approved' } });
  t.is(s.noAnswers, 1);
  t.deepEqual(
    (await s.j.sales.outbox()).map((e) => [e.txId, e.type, e.offline]),
    [[d.result.txId, 'sale', true]],
  );
});

test('online without an answer, then declined offline: the reversal of the txId the ledger may have is queued', async (t) => {
  const s = await setup(t, record(), {
    online: () => true,
    offlineForSeconds: () => 3601,
    limits: () => ({ ...LIMITS, replyTimeoutMs: 1 }),
  });
  const d = await s.a.authorise(juice(), await cardOf(s), () => CATALOG);
  t.like(d, { offline: true, result: { status: 'declined', reason: 'stale' } });
  const txId = d.result.txId;
  t.truthy(txId, 'a decline after an online attempt names its txId');
  t.deepEqual(
    (await s.j.sales.outbox()).map((e) => [e.txId, e.type]),
    [[txId, 'reversal']],
  );
});

test('a void is queued before it is shown approved; a sale that is not there cannot be voided', async (t) => {
  const s = await setup(t, record());
  const sale = await s.a.authorise(juice(), await cardOf(s), () => CATALOG);
  const v = await s.a.voidSale(sale.result.txId ?? '');
  t.like(v, { status: 'approved', reason: null });
  t.deepEqual(
    (await s.j.sales.outbox()).map((e) => e.type),
    ['sale', 'void'],
  );
  t.is(await s.a.voidSale(crypto.randomUUID()), null);
});
