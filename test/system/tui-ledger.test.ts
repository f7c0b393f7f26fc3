// The simulator's `l` in its real blessed console in tmux (issue 26, item 2): the panel says whether
// the ledger runs; once a sale has waited for the cut ledger in vain, the status bar says the ledger
// is not answering and since when (the screen's clock: the club's time), with the queue; when the
// ledger runs again its answers bring back "Online".
import test from 'ava';
import { startSimInTmux, ringUpAndTap } from '../fixtures/tui-sim.ts';
import { freePort } from '../helpers/mosquitto.ts';

/** "HH:MM" as minutes of the day. */
const minutes = (hhmm: string) => Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3));

test('l cuts the ledger: the panel says "nede", a sale waits in vain and the status bar says since when; l again: "kører", answers, "Online"', async (t) => {
  const s = startSimInTmux({ port: await freePort() });
  t.teardown(() => s.kill());
  const idle = await s.screen(['Vælg varer', '* Online', '1 Juice']);
  t.regex(idle, /· l hovedbog: kører · q afslut/);

  s.keys('l');
  // The terminal cannot know yet: nothing has been asked of the ledger.
  const cut = await s.screen(['l hovedbog: nede · q afslut', '* Online']);
  t.notRegex(cut, /svarer ikke/);

  await ringUpAndTap(s, ['1'], 1);
  await s.screen(['Freja Nielsen', 'Efter køb'], ['Henter foto']);
  s.keys('Enter');
  // After the answer's timeout: approved offline, and the status bar says it, in the club's time.
  const offline = await s.screen(['Godkendt (offline)', 'Hovedbogen svarer ikke siden']);
  const since = /\* Hovedbogen svarer ikke siden (\d\d:\d\d) {3}Kø: [01]/.exec(offline);
  t.truthy(since, offline);
  const clock = /(\d\d:\d\d) *$/m.exec(offline.split('\n')[0]!)![1]!;
  t.true(
    [0, 1].includes((minutes(clock) - minutes(since![1]!) + 1440) % 1440),
    `since ${since![1]} by the header's clock ${clock}`,
  );
  t.false(offline.includes('* Online'));

  // Back on idle it still says so, with the sale in the queue; the idle screen's own status too.
  s.keys('Escape');
  const idleCut = await s.screen(['Vælg varer', `* Hovedbogen svarer ikke siden ${since![1]}   Kø: 1`], ['* Online']);
  t.is(
    idleCut.split(`* Hovedbogen svarer ikke siden ${since![1]}`).length - 1,
    2,
    'in the status bar and on the idle screen',
  );

  // The ledger runs again: it answers the queue, and the status bar is "Online" again.
  s.keys('l');
  await s.screen(['l hovedbog: kører · q afslut', '* Online   Kø: 0'], ['svarer ikke']);

  // The next sale is answered online.
  await ringUpAndTap(s, ['1'], 1);
  await s.screen(['Freja Nielsen', 'Efter køb'], ['Henter foto']);
  s.keys('Enter');
  const online = await s.screen(['Ny saldo: 134,00 kr', '* Online'], ['Et øjeblik']);
  t.false(online.includes('Godkendt (offline)'), online);
  t.false(online.includes('svarer ikke'));
});
