// Pure transitions of one reader's taps: (state, event, context) → (state, effects). The driver
// (acr122u-reader.ts) feeds it nfc-pcsc's card / card.off and the results of its UID reads, and
// performs the effects; nothing here touches PC/SC, timers or the clock.
import type { CardTap } from '../../types.ts';

/** A read in flight is known by its number, so a late answer to an earlier read is told apart. */
export type Tap = { phase: 'reading'; read: number } | { phase: 'present'; uid: string } | { phase: 'failed' };

export interface TapState {
  /** The card in the field as far as PC/SC said last; null when the field is empty. */
  tap: Tap | null;
  /** A card that left the field and whose `removed` waits for the debounce to end. */
  leaving: string | null;
  /** Number of the last read started; never goes back, even across `lost`. */
  reads: number;
}

export type TapEvent =
  /** nfc-pcsc's 'card' on the active reader; `sun`: the card may carry a SUN (ISO 14443-4). */
  | { type: 'cardIn'; sun?: boolean }
  /** nfc-pcsc's 'card.off' on the active reader. */
  | { type: 'cardOff' }
  | { type: 'readDone'; read: number; tap: CardTap }
  | { type: 'readFailed'; read: number; err: Error }
  /** The debounce started by a `debounce` effect ran out. */
  | { type: 'debounceElapsed' }
  /** The active reader is gone: a card on it left the field with it. */
  | { type: 'lost' };

export type TapEffect =
  /**
   * Read the UID of the card in the field, and its SUN when `sun`; answer with readDone /
   * readFailed carrying `read`.
   */
  | { type: 'read'; read: number; sun: boolean }
  | { type: 'card'; tap: CardTap }
  | { type: 'removed' }
  | { type: 'error'; err: Error }
  /** (Re)start the one debounce timer; `debounceElapsed` when it runs out. */
  | { type: 'debounce'; ms: number }
  | { type: 'cancelDebounce' };

export interface TapContext {
  /** A card that leaves and comes back within this time is the same tap (RF flicker). */
  removeDebounceMs: number;
}

export interface TapStep {
  state: TapState;
  effects: TapEffect[];
}

export const initialTapState = (): TapState => ({ tap: null, leaving: null, reads: 0 });

const stay = (state: TapState): TapStep => ({ state, effects: [] });

/** The debounced `removed` of a card that left, now (before another card is reported). */
function flushLeaving(s: TapState): TapStep {
  if (s.leaving === null) return stay(s);
  return { state: { ...s, leaving: null }, effects: [{ type: 'cancelDebounce' }, { type: 'removed' }] };
}

export function tapTransition(s: TapState, ev: TapEvent, ctx: TapContext): TapStep {
  switch (ev.type) {
    case 'cardIn': {
      // One report per tap: a repeat without card.off is ignored.
      if (s.tap) return stay(s);
      const read = s.reads + 1;
      return {
        state: { ...s, tap: { phase: 'reading', read }, reads: read },
        effects: [{ type: 'read', read, sun: ev.sun ?? false }],
      };
    }
    case 'readFailed': {
      const own = s.tap?.phase === 'reading' && s.tap.read === ev.read;
      return { state: own ? { ...s, tap: { phase: 'failed' } } : s, effects: [{ type: 'error', err: ev.err }] };
    }
    case 'readDone': {
      if (s.tap?.phase !== 'reading' || s.tap.read !== ev.read) {
        return { state: s, effects: [{ type: 'error', err: new Error('card left the field during the read') }] };
      }
      const uid = ev.tap.uid;
      const present: TapState = { ...s, tap: { phase: 'present', uid } };
      // The same card back within the debounce: the field flickered, it is still the one tap.
      if (s.leaving === uid) return { state: { ...present, leaving: null }, effects: [{ type: 'cancelDebounce' }] };
      const flushed = flushLeaving(present);
      return { state: flushed.state, effects: [...flushed.effects, { type: 'card', tap: ev.tap }] };
    }
    case 'cardOff': {
      const tap = s.tap;
      const empty: TapState = { ...s, tap: null };
      // nfc-pcsc drops a failed connect silently (it emits the error object as an event name), so a
      // card.off that no card preceded is a card pulled away before it could be read.
      if (!tap)
        return {
          state: empty,
          effects: [{ type: 'error', err: new Error('card left the field before it could be read') }],
        };
      // 'reading': the pending read reports it; 'failed': already reported.
      if (tap.phase !== 'present') return stay(empty);
      const flushed = flushLeaving(empty);
      if (ctx.removeDebounceMs <= 0)
        return { state: flushed.state, effects: [...flushed.effects, { type: 'removed' }] };
      return {
        state: { ...flushed.state, leaving: tap.uid },
        effects: [...flushed.effects, { type: 'debounce', ms: ctx.removeDebounceMs }],
      };
    }
    case 'debounceElapsed':
      return s.leaving === null ? stay(s) : { state: { ...s, leaving: null }, effects: [{ type: 'removed' }] };
    case 'lost': {
      const hadCard = s.tap?.phase === 'present' || s.leaving !== null;
      const effects: TapEffect[] = s.leaving !== null ? [{ type: 'cancelDebounce' }] : [];
      if (hadCard) effects.push({ type: 'removed' });
      return { state: { ...initialTapState(), reads: s.reads }, effects };
    }
  }
}
