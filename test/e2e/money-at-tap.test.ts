// Issue 26, item 3: a card without the money for the basket is refused at the tap (contract 1.1,
// clarified), online as offline, saying how much is available, with the basket kept and nothing
// sent; and again at Enter when the money changed since the tap. A real terminal, the embedded
// broker and the reference ledger, driven through the simulator topics as a cashier would.
import test from 'ava';
import { world, inStep } from '../helpers/fixture.ts';
import { sellDirect } from '../helpers/cashier.ts';
import { until } from '../helpers/until.ts';
import { DEMO_CLUB_ID } from '../../sim/demo-club.ts';
import type { KeyName, ScreenModel } from '../../contract/index.ts';
import type { SimClient } from '../helpers/sim-client.ts';

const C = DEMO_CLUB_ID;
/** Oliver Jensen: 42,50 kr. Freja Nielsen: 150 kr. */
const OLIVER = '8E3F2A10';
const FREJA = '04A23B5C7D2E80';
/** The catalog's 11th item (page 2, key 2): Værkstedssæt, 150 kr. Key 5: Sandwich, 25 kr. */
const WORKSHOP_KIT: KeyName[] = ['down', '2'];

/** Rings up `keys`, asks for the card, taps `uid`; returns the next screen: confirm or a refusal. */
async function tapFor(sim: SimClient, keys: KeyName[], uid: string): Promise<ScreenModel> {
  for (const k of keys) await sim.key(k);
  await sim.waitScreen(
    'basket',
    (s) => s.basket!.items.length > 0 && s.view.catalog!.page === 1 + keys.filter((k) => k === 'down').length,
  );
  await sim.key('enter');
  await sim.waitScreen('tap');
  const seen = sim.screens.length;
  await sim.tap(uid);
  return sim.waitFor(
    () => sim.screens.slice(seen).find((s) => s.screen === 'confirm' || s.screen === 'result'),
    'confirm or result',
  );
}

function refusedForMoney(t: import('ava').ExecutionContext, s: ScreenModel, available: number, total: number): void {
  t.is(s.screen, 'result', 'refused at the tap, not asked to confirm');
  t.deepEqual(s.result, { status: 'declined', reason: 'insufficient_funds', balance: available, txId: null });
  t.is(s.basket?.total, total, 'the basket it was refused for');
  t.regex(s.message, /Ikke penge nok/);
  t.regex(s.view.next ?? '', /Tag varer ud af kurven/);
}

test('a 150 kr basket for a card with 42,50 kr is refused at the tap, online and offline; the basket is kept and nothing is sent', async (t) => {
  const w = await world(t);
  const { terminal, sim } = await w.startTerminal();
  await inStep(w, terminal);
  await sim.waitScreen('idle', (s) => s.online);

  refusedForMoney(t, await tapFor(sim, WORKSHOP_KIT, OLIVER), 4250, 15000);
  t.true(sim.indications.some((i) => i.led === 'red' && i.buzzer === 'decline'));
  await sim.key('enter');
  const back = await sim.waitScreen('basket');
  t.deepEqual(
    back.basket!.items.map((l) => [l.name, l.qty]),
    [['Værkstedssæt', 1]],
    'the basket is kept',
  );
  await sim.key('escape');
  await sim.waitScreen('idle');

  // The ledger gone (its status says offline): the terminal decides alone, and refuses the same way.
  await w.ledger.stop();
  await sim.waitScreen('idle', (s) => !s.online);
  refusedForMoney(t, await tapFor(sim, WORKSHOP_KIT, OLIVER), 4250, 15000);
  await sim.key('enter');
  await sim.waitScreen('basket', (s) => s.basket!.total === 15000);

  t.is(sim.tx.length, 0, 'nothing sent for either refusal');
  t.like(
    await terminal.journal.sales.report({ sale: 0, void: 0 }),
    { sales: 0, declined: 2, declinedBy: [{ reason: 'insufficient_funds', count: 2 }] },
    'both counted for the report',
  );
});

test('money spent at another terminal while the card is on confirm refuses it at once; money gone by Enter refuses it at Enter; nothing is sent', async (t) => {
  const w = await world(t);
  const one = await w.startTerminal('kasse-1');
  const two = await w.startTerminal('kasse-2');
  await inStep(w, one.terminal);
  await inStep(w, two.terminal);
  const { sim, terminal } = one;

  // Freja (150 kr) on kasse-1's confirm with a 25 kr sandwich; kasse-2 sells her the 150 kr kit.
  t.is((await tapFor(sim, ['5'], FREJA)).screen, 'confirm');
  t.like((await sellDirect(two.terminal, WORKSHOP_KIT, FREJA)).result, { status: 'approved', balance: 0 });
  const refused = await sim.waitScreen('result');
  refusedForMoney(t, refused, 0, 2500);
  t.is(sim.tx.length, 0);
  await sim.key('escape');
  await sim.waitScreen('basket');
  await sim.key('escape');
  await sim.waitScreen('idle');

  // Oliver (42,50 kr) on confirm with the sandwich; his record changes after the tap's read and
  // before Enter (stored, its news not yet at the sale: the race the check at Enter is for).
  t.is((await tapFor(sim, ['5'], OLIVER)).screen, 'confirm');
  const rec = (await terminal.journal.cards.get(OLIVER))!;
  t.true(await terminal.journal.cards.put({ ...rec, balance: 1000, version: rec.version + 1 }));
  t.is(sim.screen!.screen, 'confirm', 'the sale has not heard of it');
  await sim.key('enter');
  const atEnter = await sim.waitScreen('result', (s) => !s.view.busy);
  refusedForMoney(t, atEnter, 1000, 2500);
  await until(
    async () => (await terminal.journal.sales.report({ sale: 0, void: 0 })).declined === 2,
    'both refusals recorded',
  );
  t.is(sim.tx.length, 0, 'nothing sent: the terminal refused on its own');
  t.is(w.ledger.card(C, OLIVER)!.balance, 4250, 'the ledger booked nothing');
});
