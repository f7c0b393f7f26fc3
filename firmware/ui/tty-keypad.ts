// The cashier's keys from the console's tty (the PC keyboard or a USB numeric keypad).
import { TypedEmitter } from '../../lib/emitter.ts';
import type { Keypad, KeypadEvents, KeyName } from '../../hal/types.ts';
import type { ConsoleScreen, KeyPress } from './console-screen.ts';
import { mapKey } from '../../hal/keypad-map.ts';

/**
 * A blessed key press as a contract key (null for anything else): the one key map of hal/ with the
 * config's overrides. Ctrl/Meta chords are never cashier keys (Ctrl-C is the console's own).
 */
export function keyFromBlessed(
  ch: string | undefined,
  key: KeyPress,
  overrides?: Readonly<Record<string, KeyName>>,
): KeyName | null {
  if (key.ctrl || key.meta) return null;
  return mapKey(key.name, ch ?? key.sequence, overrides);
}

export class TtyKeypad extends TypedEmitter<KeypadEvents> implements Keypad {
  constructor(
    private readonly console: ConsoleScreen,
    overrides?: Readonly<Record<string, KeyName>>,
  ) {
    super();
    console.onKey((ch, key) => {
      const k = keyFromBlessed(ch, key, overrides);
      if (k) this.emit('key', k);
      return k !== null;
    });
  }
  async start(): Promise<void> {
    await this.console.start();
  }
  async stop(): Promise<void> {
    this.console.stop();
  }
}
