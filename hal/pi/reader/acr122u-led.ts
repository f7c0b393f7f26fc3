// The ACR122U's own red/green LED and beeper, through its "Bi-Color LED and Buzzer Control"
// pseudo-APDU FF 00 40 P2 04 T1 T2 N L (ACR122U API §6.2). It is the fallback when the GPIO LEDs
// and buzzer are missing. This module only builds the command; the reader driver sends it
// (SCardControl escape without a card, transmit while one is connected) through ReaderSignal.
import type { BuzzerPattern, IndicatorState, Led } from '../../types.ts';

/**
 * What a reader offers to speak with its own LED and beeper. Acr122uReader implements it by
 * sending ledBuzzerCommand(state); a reader without it leaves the feedback to the screen.
 * Resolves when the reader accepted the command; rejects when no reader answers.
 */
export interface ReaderSignal {
  signal(state: IndicatorState): Promise<void>;
}

// P2 bits: final red, final green, red mask, green mask, initial red/green blink state, blink masks.
const FINAL_RED = 0x01;
const FINAL_GREEN = 0x02;
const UPDATE_BOTH = 0x0c;
/** Red and green together look amber: the yellow "wait" of the GPIO LEDs. */
const FINAL: Record<Led, number> = { off: 0, red: FINAL_RED, green: FINAL_GREEN, yellow: FINAL_RED | FINAL_GREEN };

/**
 * The beeper sounds during T1 of each of N repetitions (L = 01); T1 and T2 are in 100 ms units.
 * The GPIO patterns (gpio-indicators.ts) are 60-80 ms beeps, which round up to the reader's 100 ms.
 */
const BEEPS: Record<BuzzerPattern, { t1: number; t2: number; n: number }> = {
  tap: { t1: 1, t2: 0, n: 1 },
  approve: { t1: 1, t2: 1, n: 2 },
  decline: { t1: 7, t2: 0, n: 1 },
  error: { t1: 1, t2: 1, n: 3 },
};

export function ledBuzzerCommand(state: IndicatorState): Buffer {
  const p2 = UPDATE_BOTH | FINAL[state.led];
  if (!state.buzzer) return Buffer.from([0xff, 0x00, 0x40, p2, 0x04, 0x00, 0x00, 0x00, 0x00]);
  const b = BEEPS[state.buzzer];
  // No blink mask: the LEDs go to their final state at once and stay there while it beeps.
  return Buffer.from([0xff, 0x00, 0x40, p2, 0x04, b.t1, b.t2, b.n, 0x01]);
}
