// A USB numeric keypad as the cashier's keyboard. The UI (blessed) reads the tty and passes each
// key's name and raw sequence here; this turns them into a contract key.
import type { KeyName } from './types.ts';

/**
 * Numpad keys in application keypad mode (SS3 sequences: blessed drops them, a raw tty reader
 * sees them), as the token of the same key in numeric mode.
 */
const APPLICATION_KEYPAD: Record<string, string> = {
  '\x1bOp': '0',
  '\x1bOq': '1',
  '\x1bOr': '2',
  '\x1bOs': '3',
  '\x1bOt': '4',
  '\x1bOu': '5',
  '\x1bOv': '6',
  '\x1bOw': '7',
  '\x1bOx': '8',
  '\x1bOy': '9',
  '\x1bOM': 'enter',
  '\x1bOk': '+',
  '\x1bOm': '-',
  '\x1bOj': '*',
  '\x1bOo': '/',
  '\x1bOn': '.',
  '\x1bOl': ',',
};

/**
 * Token → contract key. Tokens are blessed/readline key names ('enter', 'f5', 'pagedown') or the
 * printed character ('7', '+'). A keypad has no Esc, arrows or F keys, so its top row stands in
 * as a VT100 keypad's PF keys did ('/' last sale = f2, '*' report = f3, '-' Esc), '+' turns the
 * page (pages wrap around) and '.' undoes a line.
 * blessed reports Enter ('\r') twice, as 'return' and again as 'enter': only 'enter' counts
 * (a plain readline user maps { return: 'enter' } through the overrides).
 */
export const DEFAULT_KEY_MAP: Readonly<Record<string, KeyName>> = {
  ...Object.fromEntries(Array.from({ length: 10 }, (_, i) => [String(i), String(i) as KeyName])),
  ...Object.fromEntries(Array.from({ length: 12 }, (_, i) => [`f${i + 1}`, `f${i + 1}` as KeyName])),
  enter: 'enter',
  linefeed: 'enter',
  escape: 'escape',
  '-': 'escape',
  backspace: 'backspace',
  delete: 'backspace',
  '.': 'backspace',
  ',': 'backspace',
  up: 'up',
  pageup: 'up',
  down: 'down',
  pagedown: 'down',
  '+': 'down',
  '/': 'f2',
  '*': 'f3',
};

/** The token of a key: what DEFAULT_KEY_MAP and the config's keypad.map are keyed by. */
export function keyToken(name: string | undefined, sequence?: string): string | null {
  if (sequence !== undefined && Object.hasOwn(APPLICATION_KEYPAD, sequence)) return APPLICATION_KEYPAD[sequence];
  if (name && name !== 'undefined') return name.toLowerCase();
  // blessed gives digits and symbols no name: the sequence is the character itself.
  if (sequence !== undefined && sequence.length === 1) return sequence;
  return null;
}

/** The contract key for a key press, or null for a key with no meaning here. */
export function mapKey(
  name: string | undefined,
  sequence?: string,
  overrides?: Readonly<Record<string, KeyName>>,
): KeyName | null {
  const token = keyToken(name, sequence);
  if (token === null) return null;
  // hasOwn: a token such as 'constructor' must not find Object.prototype's members.
  if (overrides && Object.hasOwn(overrides, token)) return overrides[token];
  return Object.hasOwn(DEFAULT_KEY_MAP, token) ? DEFAULT_KEY_MAP[token] : null;
}
