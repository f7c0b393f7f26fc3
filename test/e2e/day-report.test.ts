// Issue 26, item 5: the day's report (F3) counts what the cashier saw. A scripted day on a real
// terminal with the embedded broker and the reference ledger: sales approved online and offline,
// refusals of every kind at the tap, a decline by the ledger, a refusal at Enter, voids online and
// while the ledger is away. Every figure of the report screen is checked, against the script and
// against what the ledger booked from the same journal rows.
import test from 'ava';
import { world, inStep } from '../helpers/fixture.ts';
import { sellDirect, voidLast } from '../helpers/cashier.ts';
import { until } from '../helpers/until.ts';
import { demoChildren, DEMO_CARD_URL, DEMO_CLUB_ID, DEMO_SUN_KEYS } from '../../sim/demo-club.ts';
import { DemoCards } from '../../sim/demo-cards.ts';
import type { ScreenModel } from '../../contract/index.ts';

const C = DEMO_CLUB_ID;
const FREJA = '04A23B5C7D2E80'; // 150 kr
const OLIVER = '8E3F2A10'; // 42,50 kr
const ALMA = '5A1E6F03'; // blocked
const EMIL = '04E1A2B3C4D5E6'; // at most 30 kr a day
const SOFIE = '04F1A2B3C4D5E6'; // no sweets (slik)
const KARLA = '04D15C00A1B201'; // a genuine (sun) card

test('a scripted day: the report shows the sales, the refusals by reason, the voids and the net, as the ledger booked them', async (t) => {
  const w = await world(t);
  const { terminal, sim } = await w.startTerminal('kasse-1', {
    sale: { replyTimeoutMs: 300, maxPurchase: 19999, resultScreenMs: 60000 },
  });
  await inStep(w, terminal);
  const hand = await DemoCards.issue(demoChildren(), DEMO_SUN_KEYS, DEMO_CARD_URL);
  const sell = async (
    keys: Parameters<typeof sellDirect>[1],
    tap: Parameters<typeof sellDirect>[2],
    expect: Partial<NonNullable<ScreenModel['result']>>,
  ) => {
    const r = await sellDirect(terminal, keys, tap);
    t.like(r.result, expect, JSON.stringify(keys));
    return r;
  };

  // Online: two sales (Juice ×2 16 kr, Kakao 10 kr).
  await sell(['1', '1'], FREJA, { status: 'approved' });
  await sell(['2'], EMIL, { status: 'approved' });
  // Refused at the tap, nothing sent: blocked, unknown, too little money, a blocked category, the daily limit.
  await sell(['1'], ALMA, { status: 'declined', reason: 'blocked', txId: null });
  await sell(['1'], 'DEADBEEF', { status: 'declined', reason: 'unknown_card', txId: null });
  await sell(['down', '2'], OLIVER, { status: 'declined', reason: 'insufficient_funds', txId: null });
  await sell(['8'], SOFIE, { status: 'declined', reason: 'category_blocked', txId: null });
  await sell(['5', '5'], EMIL, { status: 'declined', reason: 'daily_limit', txId: null });
  // Declined by the ledger: a forged SUN (only the ledger holds the card's key).
  const read = await hand.tap(KARLA);
  await sell(
    ['1'],
    {
      uid: KARLA,
      sun: { uid: KARLA, ctr: read.sun!.ctr, cmac: read.sun!.cmac.replace(/^./, (c) => (c === 'A' ? 'B' : 'A')) },
    },
    { status: 'declined', reason: 'card_auth' },
  );
  // The last sale (Emil's Kakao) voided online.
  t.like((await voidLast(terminal)).result, { status: 'approved' });

  // The ledger stops answering: sales are decided offline at the timeout.
  await w.ledger.pause();
  await sell(['3'], FREJA, { status: 'approved' }); // Vand 6 kr
  await sell(['4'], FREJA, { status: 'approved' }); // Toast 15 kr
  // Above what may be approved offline for one card (21 + 100 > 100 kr): refused at Enter, reversed.
  await sell(['5', '5', '5', '5'], FREJA, { status: 'declined', reason: 'offline_limit' });
  t.like((await voidLast(terminal)).result, { status: 'approved' }, 'the Toast voided while the ledger is away');
  await w.ledger.resume();
  await until(
    async () => (await terminal.journal.sales.queueLength()) === 0 && terminal.status.queue === 0,
    'every tx answered',
    30000,
  );

  // F3, as the cashier sees it.
  await sim.key('f3');
  const report = (await sim.waitScreen('report', (s) => (s.view.report?.date ?? '') !== '')).view.report!;
  const expected = {
    sales: 4,
    salesTotal: 1600 + 1000 + 600 + 1500,
    offlineSales: 2,
    offlineTotal: 600 + 1500,
    voids: 2,
    voidsTotal: 1000 + 1500,
    net: 1600 + 600,
    declined: 7,
    queue: 0,
  };
  t.like(report, expected);
  t.deepEqual(
    [...report.declinedBy].sort((a, b) => a.reason.localeCompare(b.reason)),
    [
      'blocked',
      'card_auth',
      'category_blocked',
      'daily_limit',
      'insufficient_funds',
      'offline_limit',
      'unknown_card',
    ].map((reason) => ({ reason, count: 1 })),
  );
  // What the ledger booked for this terminal from the same rows: the sales and voids, the net.
  const booked = w.ledger.history().filter((e) => e.terminalId === 'kasse-1' && e.clubId === C);
  t.is(-booked.reduce((a, e) => a + e.amount, 0), report.net, 'the net is the money the ledger moved');
  t.is(booked.filter((e) => e.type === 'void').length, report.voids);
  t.is(
    booked.filter((e) => e.type === 'void').reduce((a, e) => a + e.amount, 0),
    report.voidsTotal,
  );
  await sim.key('escape');
  await sim.waitScreen('idle');
});
