// The terminal's feedback on a Pi: the GPIO LEDs and buzzer, or, when they cannot be opened (no
// GPIO chip, no driver, no permission), the card reader's own LED and beeper. Missing LEDs must
// never stop a sale: start() does not throw, it records the fault for the status bar, `klubkort
// status` and the selftest.
import type { IndicatorFault, Indicators, IndicatorState } from '../../types.ts';
import type { Logger } from '../../../lib/log.ts';
import type { GpioIndicators } from './gpio-indicators.ts';
import type { ReaderSignal } from '../reader/acr122u-led.ts';

export class PiIndicators implements Indicators {
  #fault: IndicatorFault | null = null;

  constructor(
    private readonly gpio: GpioIndicators,
    private readonly reader: Partial<ReaderSignal>,
    private readonly log?: Logger,
  ) {}

  get fault(): IndicatorFault | null {
    return this.#fault;
  }

  async start(): Promise<void> {
    try {
      await this.gpio.start();
      this.#fault = null;
    } catch (err) {
      const fallback = typeof this.reader.signal === 'function' ? 'reader' : 'screen';
      this.#fault = { problem: (err as Error).message, fallback };
      this.log?.error(
        { err: this.#fault.problem, fallback },
        'LEDs and buzzer missing: selling goes on with feedback on the screen' +
          (fallback === 'reader' ? " and the reader's LED and beeper" : ''),
      );
    }
  }

  show(state: IndicatorState): void {
    if (!this.#fault) {
      this.gpio.show(state);
      return;
    }
    this.reader
      .signal?.(state)
      .catch((err: Error) => this.log?.debug({ err: err.message }, 'reader LED/beeper not reached'));
  }

  /** Synchronous, for the exit hook: only the GPIO outputs can be left on by a dying process. */
  allOff(): void {
    this.gpio.allOff();
  }

  async stop(): Promise<void> {
    await this.gpio.stop();
  }
}
