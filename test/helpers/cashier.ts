// A cashier at an in-process terminal: keys and taps go straight to its controller, so a sale
// works while the broker (which carries the simulator topics) is down.
import type { Terminal } from '../../firmware/terminal/terminal.ts';
import type { KeyName } from '../../contract/index.ts';
import type { CardTap } from '../../hal/types.ts';
import type { ScreenModel } from '../../contract/index.ts';
import { until } from './until.ts';

/**
 * Rings up `keys` for the card `uid` (or a tap as the reader hands it over, e.g. with a SUN read),
 * confirms, and returns the result screen the cashier saw (a refusal on tap included), leaving the
 * terminal idle again.
 */
export async function sellDirect(
  terminal: Terminal,
  keys: KeyName[],
  uid: string | CardTap,
  ms = 30000,
): Promise<ScreenModel> {
  const c = terminal.controller;
  const screen = () => c.state.screen;
  if (screen() !== 'idle') throw new Error(`the terminal is not idle but on ${screen()}`);
  for (const k of keys) c.onKey(k);
  c.onKey('enter');
  await c.onCard(typeof uid === 'string' ? { uid, sun: null } : uid);
  if (screen() === 'confirm') {
    c.onKey('enter');
    await until(() => screen() === 'result', 'the sale decided', ms);
  }
  const shown = c.screen!;
  // result → idle; a sale stuck on tap or basket is emptied too
  for (let i = 0; i < 3 && screen() !== 'idle'; i++) c.onKey('escape');
  return shown;
}

/** Voids the terminal's last sale (F2, Enter) and returns the result screen; the terminal ends idle. */
export async function voidLast(terminal: Terminal, ms = 30000): Promise<ScreenModel> {
  const c = terminal.controller;
  c.onKey('f2');
  await until(() => c.state.screen === 'void' && c.state.sale, 'the last sale loaded', ms);
  c.onKey('enter');
  await until(() => c.state.screen === 'result', 'the void decided', ms);
  const shown = c.screen!;
  c.onKey('escape');
  return shown;
}
