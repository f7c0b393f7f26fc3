// Contract 1.1 in the real simulator's blessed console in tmux: a cashier signs in with a staff
// card, each parents' rule refuses a basket that is then kept, the parent's note shows on confirm,
// and the last sale's void is refused to a cashier who did not make it and allowed to a lead.
import test from 'ava';
import { startSimInTmux, ringUpAndTap as ringUp } from '../fixtures/tui-sim.ts';
import type { TmuxSession } from '../fixtures/ui/tmux.ts';

// The sim panel's list: the demo children (Emil 6th, Sofie 7th, then the genuine cards), the
// unknown card, then the cashier and the lead last.
const EMIL = 6,
  SOFIE = 7;
const STAFF = { METTE: 0, LARS: 1 } as const;

/** The idle screen whatever its message (after a sign-in it says so). */
const IDLE = ['Tryk 1-9', '* Online'];
const ringUpAndTap = (s: TmuxSession, items: string[], n: number) => ringUp(s, items, n, IDLE);

/**
 * Taps a staff card through the sim panel on the idle screen: they are last in its list, past the
 * digits, so the list is walked from its end (paced: Esc then a letter reads as Alt+letter).
 */
async function tapStaff(s: TmuxSession, which: number): Promise<void> {
  await s.screen(['Tryk 1-9']);
  await new Promise((r) => setTimeout(r, 300));
  s.keys('k');
  await s.screen(['Alma Larsen']);
  for (let i = 0; i < 15; i++) s.keys('Down');
  await s.screen(['Lars Holm (personalekort, leder)']);
  for (let i = 0; i < 1 - which; i++) s.keys('Up');
  s.keys('Enter');
}

test("a cashier signs in, each parents' rule refuses with the basket kept, and a void is refused to a cashier and allowed to a lead", async (t) => {
  const s = startSimInTmux();
  t.teardown(() => s.kill());
  await s.screen(['demo-klub', '* Online', 'Læser: klar', '1 Juice', '8,00 kr', 'Side 1/2']);
  await new Promise((r) => setTimeout(r, 500));

  // A sale while nobody is signed in: the daily limit counts it (25 of 30 kr).
  await ringUpAndTap(s, ['5'], EMIL);
  await s.screen(['Emil Madsen', 'Tilbage i dag: 5,00 kr', 'Enter']);
  s.keys('Enter');
  await s.screen(['Emil Madsen', 'Ny saldo: 175,00 kr']);
  s.keys('Escape');

  // The cashier signs in with her staff card: her name on the status bar.
  await tapStaff(s, STAFF.METTE);
  await s.screen(['Kasserer logget ind', 'Kasserer: Mette Kristensen']);

  // daily_limit: refused at the tap, how much is left shown, the basket kept.
  await ringUpAndTap(s, ['3'], EMIL);
  const limit = await s.screen(['Over forældrenes daglige grænse', 'Tilbage i dag: 5,00 kr']);
  t.regex(limit, /AFVIST|#/);
  s.keys('Escape');
  await s.screen(['1× Vand', 'Esc: ryd']);
  s.keys('Escape');

  // category_blocked: the blocked item named, the basket kept; one key (0, named on the screen)
  // takes the blocked line out of the middle of the basket (issue 26, item 6).
  await ringUpAndTap(s, ['1', '8', '2'], SOFIE);
  await s.screen([
    'Forældrene har spærret en vare',
    'Spærret vare: Is',
    'Tryk 0 for at tage de spærrede varer ud af kurven.',
    '0  Fjern spærrede varer',
  ]);
  s.keys('0');
  const rest = await s.screen(['Spærrede varer taget ud af kurven: Is', '1× Juice', '1× Kakao']);
  t.false(rest.includes('1× Is'));
  s.keys('Escape');

  // The parent's note on the confirm screen.
  await ringUpAndTap(s, ['1'], SOFIE);
  await s.screen(['Sofie Poulsen', 'Note fra forældre: Nøddeallergi']);
  s.keys('Escape');
  await s.screen(['1× Juice']);
  s.keys('Escape');

  // The last sale was made by nobody signed in: the cashier may not void it. The screen says whose
  // sale it is, offers no Enter, and says a lead must sign in (issue 26, item 4).
  await s.screen(['Vælg varer', 'Kasserer: Mette Kristensen']);
  await new Promise((r) => setTimeout(r, 300));
  s.keys('F2');
  const refused = await s.screen(['Kun en leder kan annullere', 'Emil', '1× Sandwich', '25,00 kr']);
  t.regex(refused, /Sidste salg · \d\d:\d\d · Emil/);
  t.false(refused.includes('Annullér'), 'no Enter to void');
  s.keys('Escape');

  // A lead replaces her and may; the void done names the amount and the child.
  await tapStaff(s, STAFF.LARS);
  await s.screen(['Leder logget ind', 'Leder: Lars Holm']);
  s.keys('F2');
  await s.screen(['Annullér sidste salg', 'Enter  Annullér']);
  s.keys('Enter');
  await s.screen(['Salget er annulleret', 'Annulleret: 25,00 kr', 'Emil', 'Beløbet går tilbage på barnets kort.']);
  s.keys('Escape');
  await s.screen(['Vælg varer', 'Leder: Lars Holm']);
});
