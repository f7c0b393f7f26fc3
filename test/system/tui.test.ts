// The whole simulator with its real blessed console in a real terminal (tmux): a full sale with
// keys and a simulated tap, asserting on what the cashier sees on each screen.
import test from 'ava';
import { startSimInTmux, ringUpAndTap } from '../fixtures/tui-sim.ts';
import { big, photoRows } from '../fixtures/ui/screen-text.ts';

/** On the idle screen, taps the n-th card of the sim panel (paced: a terminal reads Esc followed at once by a letter as Alt+letter). */
async function tapOnIdle(s: ReturnType<typeof startSimInTmux>, n: number): Promise<void> {
  await s.screen(['Vælg varer']);
  await new Promise((r) => setTimeout(r, 300));
  s.keys('k');
  await s.screen(['Alma Larsen']);
  s.keys(String(n));
}

test('a cashier sells, sees the photo, refuses a blocked card, reads the report and survives a pulled reader', async (t) => {
  const s = startSimInTmux();
  t.teardown(() => s.kill());
  // idle: club, online, reader, catalog page
  const idle = await s.screen(['demo-klub', '* Online', 'Læser: klar', '1 Juice', '8,00 kr', 'Side 1/2']);
  t.regex(idle, /Kø: 0/);

  // basket → tap → confirm with the child's photo
  await ringUpAndTap(s, ['1', '1', '2'], 1);
  const confirm = await s.screen(
    ['Freja Nielsen', 'Saldo', '150,00 kr', 'Efter køb', '124,00 kr', 'Enter', 'Esc'],
    ['Henter foto'],
  );
  t.true(photoRows(confirm) >= 10, `photo drawn:\n${confirm}`);

  // approve → result with the new balance and a reference
  s.keys('Enter');
  const approved = await s.screen(['Freja Nielsen', 'Ny saldo: 124,00 kr', 'Ref.']);
  t.regex(approved, /### ###/, 'the verdict in the big font');

  // the next key returns to idle; a blocked card is refused before confirm
  s.keys('Escape');
  await ringUpAndTap(s, ['3'], 5);
  await s.screen(['Kortet er spærret']);
  s.keys('Escape'); // A declined sale's basket is kept; a second Escape empties it
  await s.screen(['1× Vand', 'Esc: ryd']);
  s.keys('Escape');

  // a card without the money for the basket is refused at the tap (issue 26, item 3): no confirm,
  // what is available against the sale, what to do next; the basket is kept
  await ringUpAndTap(s, ['6'], 4);
  await s.screen(
    [
      'Ikke penge nok på kortet',
      'Noah Pedersen',
      'Til rådighed: 0,00 kr · Købet: 5,00 kr',
      'Tag varer ud af kurven',
      'Enter  Tilbage til kurven',
    ],
    ['Ny saldo'],
  );
  s.keys('Escape');
  await s.screen(['1× Frugt', 'Esc: ryd']);
  s.keys('Escape');

  // a card without a photo (its balance): the cashier is told to check the child
  await tapOnIdle(s, 4);
  await s.screen(['Noah Pedersen', 'INTET FOTO - TJEK BARNET']);
  s.keys('Escape');

  // the day's report counts the sale
  await s.screen(['Vælg varer', 'Kø: 0']);
  s.keys('F3');
  await s.screen(['Dagens rapport', '26,00 kr']);
  s.keys('Escape');

  // balance on an empty basket
  await tapOnIdle(s, 2);
  await s.screen(['Oliver Jensen', 'Saldo', big('42,50 kr')]);
  s.keys('Escape');

  // the reader pulled out: error screen; plugged back: selling again
  await s.screen(['Vælg varer']);
  await new Promise((r) => setTimeout(r, 300));
  s.keys('u');
  await s.screen(['Kortlæseren er ikke tilsluttet']);
  s.keys('u');
  await s.screen(['Vælg varer', 'Læser: klar']);

  // the ledger cut: offline approval, queued, shown to the cashier
  await new Promise((r) => setTimeout(r, 300));
  s.keys('l');
  await ringUpAndTap(s, ['1'], 2);
  await s.screen(['Oliver Jensen', 'Enter']);
  s.keys('Enter');
  await s.screen(['Godkendt (offline)'], []);
  s.keys('Escape');
  await s.screen(['Kø: 1']);
  await new Promise((r) => setTimeout(r, 300));
  s.keys('l');
  await s.screen(['Vælg varer', 'Kø: 0']);
});
