// The three LEDs and the buzzer on GPIO pins. Buzzer patterns run on injected timers, so show()
// returns at once and a test steps the clock.
import type { BuzzerPattern, Indicators, IndicatorState } from '../../types.ts';
import type { Logger } from '../../../lib/log.ts';
import type { OutputPin } from './gpio.ts';
import { systemTimers, type TimerHandle, type Timers } from '../../../lib/timers.ts';

export type IndicatorPins = Record<'green' | 'red' | 'yellow' | 'buzzer', OutputPin>;

/** Buzzer on/off durations in ms, starting with on. */
export const BUZZER_PATTERNS: Record<BuzzerPattern, readonly number[]> = {
  tap: [60],
  approve: [80, 80, 80],
  decline: [700],
  error: [80, 80, 80, 80, 80],
};

const LEDS = ['green', 'red', 'yellow'] as const;

export interface GpioIndicatorsDeps {
  /** Opens the pins, all off (e.g. openOutputPins(cfg.gpio.pins, …)); called by start(). */
  open: () => Promise<IndicatorPins>;
  timers?: Timers;
  log?: Logger;
}

export class GpioIndicators implements Indicators {
  readonly #deps: GpioIndicatorsDeps;
  readonly #timers: Timers;
  #pins: IndicatorPins | null = null;
  #timer: TimerHandle | null = null;

  constructor(deps: GpioIndicatorsDeps) {
    this.#deps = deps;
    this.#timers = deps.timers ?? systemTimers;
  }

  /** Throws a PiHardwareError when the pins cannot be opened: they are wired in, not pluggable. */
  async start(): Promise<void> {
    if (this.#pins) return;
    this.#pins = await this.#deps.open();
  }

  show(state: IndicatorState): void {
    const pins = this.#pins;
    if (!pins) return;
    this.#cancelPattern();
    for (const led of LEDS) this.#write(pins[led], state.led === led);
    if (state.buzzer) this.#play(pins.buzzer, BUZZER_PATTERNS[state.buzzer], 0);
  }

  /** Synchronous, for a process 'exit' hook (see switchOffOnExit); the pins stay open. */
  allOff(): void {
    this.#cancelPattern();
    if (!this.#pins) return;
    for (const pin of Object.values(this.#pins)) {
      try {
        pin.writeSync(false);
      } catch (err) {
        this.#deps.log?.warn({ err: (err as Error).message }, 'GPIO write failed');
      }
    }
  }

  async stop(): Promise<void> {
    this.#cancelPattern();
    const pins = this.#pins;
    this.#pins = null;
    if (!pins) return;
    for (const pin of Object.values(pins)) {
      try {
        pin.close();
      } catch (err) {
        this.#deps.log?.warn({ err: (err as Error).message }, 'GPIO pin close failed');
      }
    }
  }

  #play(buzzer: OutputPin, steps: readonly number[], i: number): void {
    if (i >= steps.length) {
      this.#timer = null;
      this.#write(buzzer, false);
      return;
    }
    this.#write(buzzer, i % 2 === 0);
    this.#timer = this.#timers.setTimeout(() => this.#play(buzzer, steps, i + 1), steps[i]);
  }

  #cancelPattern(): void {
    if (this.#timer === null) return;
    this.#timers.clearTimeout(this.#timer);
    this.#timer = null;
    if (this.#pins) this.#write(this.#pins.buzzer, false);
  }

  // A failing pin must not take the sale down with it: log and carry on.
  #write(pin: OutputPin, on: boolean): void {
    try {
      pin.write(on);
    } catch (err) {
      this.#deps.log?.warn({ err: (err as Error).message }, 'GPIO write failed');
    }
  }
}

/**
 * Leaves LEDs and buzzer off however the process ends (process.exit, a crash). 'exit' runs only
 * synchronous code: onoff writes synchronously, the gpiod driver runs a one-shot gpioset. A SIGTERM handler of the composition root should
 * still call stop(). Returns a function that removes the hook.
 */
export function switchOffOnExit(
  indicators: Pick<GpioIndicators, 'allOff'>,
  proc: Pick<NodeJS.Process, 'once' | 'off'> = process,
): () => void {
  const off = () => indicators.allOff();
  proc.once('exit', off);
  return () => {
    proc.off('exit', off);
  };
}
