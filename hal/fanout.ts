// Combines devices: a display that draws on several screens, a keypad fed by several inputs
// (the simulator's TUI plus the sim topics).
import { TypedEmitter } from '../lib/emitter.ts';
import type { Display, Keypad, KeypadEvents, ScreenModel } from './types.ts';

export class FanoutDisplay implements Display {
  constructor(private readonly displays: Display[]) {}
  async start(): Promise<void> {
    for (const d of this.displays) await d.start();
  }
  async stop(): Promise<void> {
    for (const d of this.displays) await d.stop();
  }
  draw(model: ScreenModel): void {
    for (const d of this.displays) d.draw(model);
  }
}

export class MergedKeypad extends TypedEmitter<KeypadEvents> implements Keypad {
  constructor(private readonly keypads: Keypad[]) {
    super();
    for (const k of keypads) k.on('key', (key) => this.emit('key', key));
  }
  async start(): Promise<void> {
    for (const k of this.keypads) await k.start();
  }
  async stop(): Promise<void> {
    for (const k of this.keypads) await k.stop();
  }
}
