// Pure transitions of the reader's health: (state, event, context) → (state, effects). USB timeouts
// and a pcscd that lost the reader are the ACR122U's best-known trouble on a Pi; this decides when
// to rebuild the PC/SC context, when to restart pcscd, and what the status bar says meanwhile.
import type { ReaderStatus } from '../../types.ts';

export interface HealthState {
  /** PC/SC has the reader (the session's active one). */
  present: boolean;
  /** False from a timeout until the reader answers again. */
  answering: boolean;
  /** Timeouts in a row. */
  timeouts: number;
  /** The ACR122U on USB per sysfs; null when sysfs cannot tell. */
  onUsb: boolean | null;
  /** The timer for "on USB, missing from PC/SC" runs. */
  watching: boolean;
  /** Heals since the reader last answered: 1 context rebuilt, 2 pcscd restarted too. */
  heals: number;
}

export type HealthEvent =
  | { type: 'present' }
  | { type: 'absent' }
  /** The reader answered (a UID, a refusal, an error status: anything but silence). */
  | { type: 'answered' }
  | { type: 'timeout' }
  | { type: 'usb'; onUsb: boolean | null }
  /** The `watch` timer ran out. */
  | { type: 'missingElapsed' };

export type HealthEffect =
  | { type: 'rebuild' }
  | { type: 'restartPcscd' }
  | { type: 'watch'; ms: number }
  | { type: 'cancelWatch' };

export interface HealthContext {
  /** This many timeouts in a row heal (3). */
  timeoutsToHeal: number;
  /** On USB but missing from PC/SC this long heals (30 s). */
  missingMs: number;
}

export interface HealthStep {
  state: HealthState;
  effects: HealthEffect[];
}

export const initialHealth = (): HealthState => ({
  present: false,
  answering: true,
  timeouts: 0,
  onUsb: null,
  watching: false,
  heals: 0,
});

export function readerStatus(s: HealthState): ReaderStatus {
  // Mid-healing the reader is out of PC/SC on purpose: that is not the cashier's unplugging.
  if (!s.present && s.onUsb !== true && s.heals === 0) return 'unplugged';
  if (s.heals >= 2) return 'replug';
  return s.present && s.answering ? 'ready' : 'not_answering';
}

/** First rebuild the context; if the trouble comes back, restart pcscd and ask for a re-plug. */
function heal(s: HealthState): HealthStep {
  const effects: HealthEffect[] = s.heals === 1 ? [{ type: 'restartPcscd' }] : [{ type: 'rebuild' }];
  return { state: { ...s, timeouts: 0, heals: Math.min(2, s.heals + 1) }, effects };
}

/** Starts or stops the missing-from-PC/SC timer to match the state. */
function watch(s: HealthState, effects: HealthEffect[], ctx: HealthContext): HealthStep {
  const want = !s.present && s.onUsb === true;
  if (want === s.watching) return { state: s, effects };
  return {
    state: { ...s, watching: want },
    effects: [...effects, want ? { type: 'watch', ms: ctx.missingMs } : { type: 'cancelWatch' }],
  };
}

export function healthTransition(s: HealthState, ev: HealthEvent, ctx: HealthContext): HealthStep {
  switch (ev.type) {
    case 'present':
      return watch({ ...s, present: true }, [], ctx);
    case 'absent':
      return watch({ ...s, present: false }, [], ctx);
    case 'answered':
      return { state: { ...s, answering: true, timeouts: 0, heals: 0 }, effects: [] };
    case 'timeout': {
      const next = { ...s, answering: false, timeouts: s.timeouts + 1 };
      return next.timeouts >= ctx.timeoutsToHeal ? heal(next) : { state: next, effects: [] };
    }
    case 'usb': {
      // Off USB: pulled out, which is what a re-plug starts with; healing starts over.
      const next =
        ev.onUsb === false ? { ...s, onUsb: false, answering: true, timeouts: 0, heals: 0 } : { ...s, onUsb: ev.onUsb };
      return watch(next, [], ctx);
    }
    case 'missingElapsed': {
      if (!s.watching) return { state: s, effects: [] };
      const h = heal({ ...s, watching: false });
      return watch(h.state, h.effects, ctx);
    }
  }
}
