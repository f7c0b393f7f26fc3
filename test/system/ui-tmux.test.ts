// The real console in a real terminal: the harness runs in a detached tmux session, and the test
// reads the screen with capture-pane and types with send-keys.
import test from 'ava';
import { TmuxHarness } from '../fixtures/ui/tmux.ts';

import { big, photoRows } from '../fixtures/ui/screen-text.ts';

function harness(
  t: { teardown(fn: () => void): void },
  opts: ConstructorParameters<typeof TmuxHarness>[0],
): TmuxHarness {
  const h = new TmuxHarness(opts);
  t.teardown(() => h.kill());
  h.start();
  return h;
}

const SCREENS: [string, string[]][] = [
  ['idle', ['demo-klubben', 'Læser: klar', 'Kø: 2', '1 Sodavand', '10,00 kr', 'Side 1/2', 'Vælg varer']],
  ['basket', ['2× Sodavand', '1× Chokoladebar', 'I alt', big('28,00 kr')]],
  ['tap', [big('HOLD KORTET OP'), 'Hold kortet op til læseren', 'Esc']],
  ['confirmBusy', ['Ida Sørensen', 'Arbejder...', 'Et øjeblik...']],
  ['confirmNoPhoto', ['Oliver Hansen', 'INTET FOTO - TJEK BARNET', 'Intet foto - tjek barnet!', '-16,00 kr']],
  ['approved', [big('GODKENDT'), 'Ny saldo: 17,00 kr', 'Ref. 3F2A9C1E', 'Godkendt']],
  [
    'declined',
    [big('AFVIST'), 'Ikke penge nok på kortet', 'Til rådighed: 12,00 kr', 'Tilbage til kurven', '* Offline', 'Kø: 1'],
  ],
  ['balance', ['Ida Sørensen', 'Saldo', big('45,00 kr')]],
  ['void', ['Sidste salg', 'Ref. 3F2A9C1E', '2× Sodavand', 'Annullér']],
  ['report', ['Dagens rapport - 24.11.2026', '512,50 kr', 'Venter på hovedbogen']],
  ['error', ['Kortlæseren er ikke tilsluttet', 'Sæt kortlæserens stik i igen.', 'Læser: ikke tilsluttet']],
];

test('every screen is drawn on a real terminal, the photo included; the terminal too small says so', async (t) => {
  const h = harness(t, { cols: 80, rows: 24 });
  h.show('confirm');
  const confirm = await h.screen(
    ['Ida Sørensen', 'Enter  Godkend', 'Esc  Fortryd', '45,00 kr', 'Efter køb', '17,00 kr'],
    ['Henter foto'],
  );
  t.true(photoRows(confirm) >= 15, confirm);
  // The photo is in colour: 256-colour foreground and background pairs on the half blocks.
  t.regex(h.capture(true), /\x1b\[[\d;]*48;5;\d+m(?:\x1b\[[\d;]*m)*▀/);
  for (const [name, texts] of SCREENS) {
    h.show(name);
    const screen = await h.screen(texts, ['Henter foto']);
    // The same child's photo on the card screens; none left behind anywhere else.
    if (name === 'balance' || name === 'confirmBusy') t.true(photoRows(screen) >= 10, `${name}: the photo`);
    else t.true(photoRows(screen) < 5, `${name}: no stale photo`);
  }
  h.resize(30, 10);
  const small = await h.until(
    () => h.capture().replace(/\s+/g, ' '),
    (s) => s.includes('Terminalen er for lille') && s.includes('50×16'),
    'the too-small note',
  );
  t.false(small.includes('Sæt kortlæserens'));
  h.resize(80, 24);
  await h.screen(['Kortlæseren er ikke tilsluttet', 'Sæt kortlæserens stik i igen.'], ['for lille']);
});

test('keys typed on the terminal arrive as contract key names; the sim panel takes its letters', async (t) => {
  const h = harness(t, { cols: 80, rows: 24, sim: true });
  h.show('idle');
  await h.screen(['1 Sodavand', 'SIM  k tap kort']);
  const typed: [string, string][] = [
    ['7', 'key:7'],
    ['Enter', 'key:enter'],
    ['Escape', 'key:escape'],
    ['BSpace', 'key:backspace'],
    ['Up', 'key:up'],
    ['Down', 'key:down'],
    ['F2', 'key:f2'],
    ['F3', 'key:f3'],
    ['F12', 'key:f12'],
    ['KP5', 'key:5'],
    ['KPEnter', 'key:enter'],
    ['/', 'key:f2'],
    ['NPage', 'key:down'],
    ['r', 'sim:remove'],
    ['u', 'sim:plug'],
    ['l', 'sim:ledger'],
  ];
  for (const [key, expect] of typed) {
    const before = h.recorded().length;
    h.keys(key);
    // One key at a time: each is recorded before the next is typed (a burst could merge escapes).
    const got = await h.until(
      () => h.recorded(),
      (r) => r.length > before,
      `${key} recorded`,
    );
    t.deepEqual(got.slice(before), [expect], key);
  }
  h.keys('k');
  await h.screen(['Vælg et kort at tappe', '2  Oliver Hansen']);
  const before = h.recorded().length;
  h.keys('2');
  const got = await h.until(
    () => h.recorded(),
    (r) => r.length > before,
    'the tap',
  );
  t.deepEqual(got.slice(before), ['sim:tap:04D5E6F7'], 'the digit went to the list, not to the basket');
  await h.screen(['1 Sodavand'], ['Vælg et kort at tappe']);
});

test('English throughout when chosen', async (t) => {
  const h = harness(t, { cols: 60, rows: 20, lang: 'en' });
  h.show('confirmNoPhoto');
  const confirm = await h.screen(['NO PHOTO - CHECK THE', 'Balance', 'kr 12.00', 'Approve', 'Cancel', 'Queue: 0']);
  t.notRegex(confirm, /Saldo|Godkend|kr\b\s*$/m, 'no Danish left');
  h.show('declined');
  const declined = await h.screen([
    big('DECLINED'),
    'Not enough money on the card',
    'Available: kr 12.00',
    'Back to the basket',
  ]);
  t.false(declined.includes('AFVIST'));
  t.false(declined.includes('New balance'), 'nothing changed: not a new balance');
});
