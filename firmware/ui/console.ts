// The cashier console: one blessed screen on the tty, seen as the terminal's Display and Keypad.
import type { KeyName, PhotoLookup, PreparedPhotoStore } from '../../hal/types.ts';
import { BlessedDisplay } from './blessed-display.ts';
import { ConsoleScreen } from './console-screen.ts';
import { SimPanel, type SimPanelActions } from './sim-panel.ts';
import { TtyKeypad } from './tty-keypad.ts';
import type { Lang } from './labels.ts';
import type { Logger } from '../log.ts';
import type { DisplayConfig } from '../config/schema.ts';
import type { Intervals, Timers } from '../../lib/timers.ts';

export type { SimPanelActions };
export { BlessedDisplay, TtyKeypad };
export { MIN_COLS, MIN_ROWS } from './frame.ts';

export interface ConsoleOptions {
  lang: Lang;
  photos: PhotoLookup;
  /** Photos prepared ahead for the pixel output (BlessedDisplay). */
  prepared?: PreparedPhotoStore;
  input?: NodeJS.ReadStream;
  output?: NodeJS.WriteStream;
  /** The simulator's panel (letter keys); left out on a real terminal. */
  simPanel?: SimPanelActions;
  /** Config overrides of the keypad map (hal/keypad-map.ts). */
  keyMap?: Readonly<Record<string, KeyName>>;
  /** Called for Ctrl-C (raw mode swallows the signal); without it the process gets a SIGINT. */
  onQuit?: () => void;
  log?: Pick<Logger, 'warn' | 'info'>;
  /** The config's `display` section (photo path). */
  display?: DisplayConfig;
  /** The config's `timeZone`: the clock and times on screen. */
  timeZone?: string;
  /** The probe's deadline, the clock's ticker and the photo deadlines. */
  timers: Timers & Intervals;
}

/** A display and a keypad sharing one screen: start() of either opens it, stop() of either restores the tty. */
export function createConsole(opts: ConsoleOptions): { display: BlessedDisplay; keypad: TtyKeypad } {
  const screen = new ConsoleScreen({
    ...(opts.input ? { input: opts.input } : {}),
    ...(opts.output ? { output: opts.output } : {}),
    ...(opts.onQuit ? { onQuit: opts.onQuit } : {}),
    timers: opts.timers,
  });
  let display: BlessedDisplay | null = null;
  // The panel sees keys first: letters are its own, and every key while its list is open.
  const panel = opts.simPanel ? new SimPanel(opts.simPanel, () => display?.redraw()) : undefined;
  if (panel) screen.onKey((ch, key) => panel.handle(ch, key));
  display = new BlessedDisplay(screen, {
    lang: opts.lang,
    photos: opts.photos,
    ...(opts.prepared ? { prepared: opts.prepared } : {}),
    ...(panel ? { overlay: panel } : {}),
    ...(opts.log ? { log: opts.log } : {}),
    ...(opts.display ? { display: opts.display } : {}),
    ...(opts.timeZone ? { timeZone: opts.timeZone } : {}),
    timers: opts.timers,
  });
  return { display, keypad: new TtyKeypad(screen, opts.keyMap) };
}
