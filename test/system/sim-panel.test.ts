// The simulator's panel in the real simulator's blessed console in tmux (issue 26, item 7): its
// card list is the club's cards as the ledger has them (a staff card added by the club office, a
// card closed or blocked by the parents' portal follow), plus a card the club never issued; a lead
// signing in is told so; one item is "1 vare"; and keys pressed before the catalog came are answered.
import test from 'ava';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { startSimInTmux } from '../fixtures/tui-sim.ts';
import { TmuxSession } from '../fixtures/ui/tmux.ts';
import { freePort } from '../helpers/mosquitto.ts';
import { runAdmin } from '../../sim/admin.ts';
import { startBroker } from '../../sim/broker.ts';
import { demoClub, DEMO_CLUB_ID } from '../../sim/demo-club.ts';
import { topics } from '../../contract/index.ts';

/** Esc followed at once by a letter reads as Alt+letter on a terminal: pause after an Esc. */
const pause = () => new Promise((r) => setTimeout(r, 300));

test('the panel taps the cards the ledger has now, an unknown card, and shows q; a lead is told "Leder logget ind"; "1 vare"', async (t) => {
  const port = await freePort();
  const s = startSimInTmux({ port });
  t.teardown(() => s.kill());
  const idle = await s.screen(['Vælg varer', '* Online', '1 Juice']);
  t.regex(idle, /SIM {2}k tap kort · r fjern kort · u læser ud\/ind · l hovedbog: kører · q afslut/, 'q is shown');

  // One item: singular.
  s.keys('1');
  const one = await s.screen(['1× Juice']);
  t.regex(one, /\b1 vare\b/);
  t.notRegex(one, /\b1 varer\b/);
  s.keys('Escape');
  await s.screen(['Vælg varer'], ['1× Juice']);
  await pause();

  // The list at start: the demo club's cards, the unknown card, the staff cards with their role in Danish, uncut.
  s.keys('k');
  const list = await s.screen(['Vælg et kort at tappe', '5  Alma Larsen (spærret)', '2  Oliver Jensen']);
  t.true(list.includes('Ukendt kort (ikke i hovedbogen)'), list);
  t.true(list.includes('Mette Kristensen (personalekort, kasserer)'), list);
  t.true(list.includes('Lars Holm (personalekort, leder)'), list);
  t.false(/cashier|lead\b/.test(list), 'no English role');
  s.keys('Escape');
  await s.screen(['Vælg varer'], ['Vælg et kort at tappe']);
  await pause();

  // The club office adds a staff card, the portal closes one card and blocks another: the list follows.
  const out: string[] = [];
  const admin = (...a: string[]) =>
    runAdmin(['--broker', `mqtt://127.0.0.1:${port}`, ...a], {
      out: (l) => out.push(l),
      err: (l) => out.push(`ERR ${l}`),
    });
  t.is(await admin('staff-add', '04AA0000000E01', 'ole', 'cashier', 'Ole', 'Lund'), 0, out.join('\n'));
  t.is(await admin('close', '8E3F2A10'), 0, out.join('\n'));
  t.is(await admin('block', '04A23B5C7D2E80'), 0, out.join('\n'));
  s.keys('k');
  const after = await s.screen(['Ole Lund (personalekort, kasserer)', '1  Freja Nielsen (spærret)'], ['Oliver Jensen']);
  t.regex(after, /9 {2}Ukendt kort \(ikke i hovedbogen\)/, 'eight children now, the unknown card is the ninth');

  // The new staff card (last in the list) signs its holder in.
  for (let i = 0; i < 20; i++) s.keys('Down');
  s.keys('Enter');
  await s.screen(['Kasserer logget ind', 'Kasserer: Ole Lund']);

  // The lead (one above) replaces him and is told she is a lead.
  s.keys('k');
  await s.screen(['Vælg et kort at tappe']);
  for (let i = 0; i < 20; i++) s.keys('Down');
  s.keys('Up', 'Enter');
  const lead = await s.screen(['Leder logget ind', 'Leder: Lars Holm'], ['Vælg et kort at tappe']);
  t.false(lead.includes('Kasserer logget ind'));

  // The unknown card is refused as one.
  s.keys('k');
  await s.screen(['Vælg et kort at tappe']);
  s.keys('9');
  const refused = await s.screen(['Ukendt kort'], ['Vælg et kort at tappe', 'ikke i hovedbogen']);
  t.regex(refused, /###/, 'the verdict in the big font');
});

test('an item key before the catalog has come says it is on its way; the notice goes when it comes', async (t) => {
  const broker = await startBroker({ port: 0 });
  t.teardown(() => broker.close());
  // A terminal with its console in tmux and no ledger yet: no catalog.
  const s = new TmuxSession({ cols: 80, rows: 24 });
  t.teardown(() => s.kill());
  s.run([
    'node',
    'bin/klubkort.js',
    'run',
    '--sim',
    '--broker',
    broker.url,
    '--terminal-id',
    'kasse-9',
    '--club-id',
    DEMO_CLUB_ID,
    '--data-dir',
    join(s.dir, 't'),
  ]);
  await s.screen(['Ingen varer endnu', 'Vælg varer']);
  s.keys('1');
  await s.screen(['Varerne hentes stadig', 'vent et øjeblik']);
  // The ledger publishes the club's catalog (retained): the items show and the notice goes.
  const c = await mqtt.connectAsync(broker.url);
  t.teardown(() => c.endAsync());
  await c.publishAsync(topics.catalog(DEMO_CLUB_ID), JSON.stringify(demoClub().catalog), { qos: 1, retain: true });
  await s.screen(['1 Juice', 'Vælg varer'], ['hentes stadig']);
  s.keys('1');
  await s.screen(['1× Juice', '1 vare']);
  t.pass();
});
