// `q` in `npm run sim` quits (README): the real simulator in tmux, a q on its idle screen, and the
// process (and with it the tmux session) ends.
import test from 'ava';
import { execFileSync } from 'node:child_process';
import { startSimInTmux } from '../fixtures/tui-sim.ts';

const alive = (session: string): boolean => {
  try {
    execFileSync('tmux', ['has-session', '-t', session], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
};

test('q on the simulator quits it', async (t) => {
  const s = startSimInTmux();
  t.teardown(() => s.kill());
  await s.screen(['Vælg varer', '* Online']);
  s.keys('q');
  await s.until(
    () => alive(s.session),
    (a) => !a,
    'the simulator to end',
    20000,
  );
  t.pass();
});
