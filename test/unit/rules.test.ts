import test from 'ava';
import { checkBasket } from '../../firmware/rules/basket.ts';
import { decideOffline, type OfflineInput } from '../../firmware/rules/offline.ts';
import type { CardRecord } from '../../contract/index.ts';

const card: CardRecord = {
  cardUid: '04A1B2C3',
  holderId: 'h',
  name: 'n',
  photo: null,
  status: 'active',
  balance: 5000,
  version: 1,
  updatedAt: '2026-11-24T09:00:00.000Z',
};
const base: OfflineInput = {
  card,
  total: 1000,
  unbooked: 0,
  exposure: { card: 0, terminal: 0 },
  limits: { perCardLimit: 10000, terminalLimit: 300000, maxAgeSeconds: 86400 },
  offlineForSeconds: 10,
};

test('offline approval needs a cached, active, fresh card with money and room under both caps', (t) => {
  t.deepEqual(decideOffline(base), { ok: true });
  t.deepEqual(decideOffline({ ...base, card: null }), { ok: false, reason: 'unknown_card' });
  t.deepEqual(decideOffline({ ...base, card: { ...card, status: 'blocked' } }), { ok: false, reason: 'blocked' });
  t.deepEqual(decideOffline({ ...base, offlineForSeconds: 86401 }), { ok: false, reason: 'stale' });
  t.deepEqual(decideOffline({ ...base, unbooked: 4001 }), { ok: false, reason: 'insufficient_funds' });
  t.deepEqual(decideOffline({ ...base, unbooked: 4000 }), { ok: true });
  t.deepEqual(decideOffline({ ...base, exposure: { card: 9001, terminal: 9001 } }), {
    ok: false,
    reason: 'offline_limit',
  });
  t.deepEqual(decideOffline({ ...base, exposure: { card: 0, terminal: 299001 } }), {
    ok: false,
    reason: 'offline_limit',
  });
  t.deepEqual(decideOffline({ ...base, exposure: { card: 9000, terminal: 299000 } }), { ok: true });
});

test('basket rules: item ceiling 20000 øre fixed, total within maxPurchase', (t) => {
  t.is(checkBasket([{ unitPrice: 19999, qty: 1 }], 19999), 'ok');
  t.is(checkBasket([{ unitPrice: 20000, qty: 1 }], 1_000_000), 'item_too_expensive');
  t.is(checkBasket([{ unitPrice: 10000, qty: 2 }], 19999), 'over_max_purchase');
});
