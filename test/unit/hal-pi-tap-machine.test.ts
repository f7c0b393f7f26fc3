// The reader's pure tap machine: card / card.off and read results in, events and timers out.
import test from 'ava';
import {
  initialTapState,
  tapTransition,
  type TapEffect,
  type TapEvent,
  type TapState,
} from '../../hal/pi/reader/tap-machine.ts';

const ctx = { removeDebounceMs: 300 };
type Shown = string;
/** Effects as short strings: `read 1`, `card 04A1B2C3`, `error …`, `debounce 300`. */
const show = (e: TapEffect): Shown => {
  switch (e.type) {
    case 'read':
      return `read ${e.read}`;
    case 'card':
      return `card ${e.tap.uid}`;
    case 'error':
      return `error ${e.err.message}`;
    case 'debounce':
      return `debounce ${e.ms}`;
    default:
      return e.type;
  }
};
const run = (events: TapEvent[], s: TapState = initialTapState(), c = ctx) => {
  const effects: Shown[] = [];
  for (const ev of events) {
    const step = tapTransition(s, ev, c);
    s = step.state;
    effects.push(...step.effects.map(show));
  }
  return { state: s, effects };
};
const cardIn: TapEvent = { type: 'cardIn' };
const cardOff: TapEvent = { type: 'cardOff' };
const done = (read: number, uid = '04A1B2C3'): TapEvent => ({ type: 'readDone', read, tap: { uid, sun: null } });
const failed = (read: number, message = 'transmit failed'): TapEvent => ({
  type: 'readFailed',
  read,
  err: new Error(message),
});
const elapsed: TapEvent = { type: 'debounceElapsed' };

test('a tap: one read, one card; leaving is debounced into one removed', (t) => {
  const r = run([cardIn, done(1), cardOff, elapsed]);
  t.deepEqual(r.effects, ['read 1', 'card 04A1B2C3', 'debounce 300', 'removed']);
  t.deepEqual(r.state, { tap: null, leaving: null, reads: 1 });
});

test('a repeated card without card.off starts no second read', (t) => {
  t.deepEqual(run([cardIn, cardIn, done(1), cardIn]).effects, ['read 1', 'card 04A1B2C3']);
});

test('the same card back within the debounce is the same tap', (t) => {
  const r = run([cardIn, done(1), cardOff, cardIn, done(2)]);
  t.deepEqual(r.effects, ['read 1', 'card 04A1B2C3', 'debounce 300', 'read 2', 'cancelDebounce']);
  t.like(r.state, { tap: { phase: 'present', uid: '04A1B2C3' }, leaving: null });
  // A late elapsed (the timer fired as it was cancelled) changes nothing.
  t.deepEqual(run([elapsed], r.state).effects, []);
});

test('another card within the debounce: the first is removed before the second is reported', (t) => {
  const r = run([cardIn, done(1), cardOff, cardIn, done(2, '04D4E5F6')]);
  t.deepEqual(r.effects.slice(3), ['read 2', 'cancelDebounce', 'removed', 'card 04D4E5F6']);
});

test('without a debounce, removed comes at once', (t) => {
  t.deepEqual(run([cardIn, done(1), cardOff], initialTapState(), { removeDebounceMs: 0 }).effects, [
    'read 1',
    'card 04A1B2C3',
    'removed',
  ]);
});

test('a failed read is one error; the card.off after it adds nothing', (t) => {
  const r = run([cardIn, failed(1), cardOff]);
  t.deepEqual(r.effects, ['read 1', 'error transmit failed']);
  t.deepEqual(r.state.tap, null);
});

test('a card pulled away mid-read: the read\'s own error, or "left the field" if it still answered', (t) => {
  t.deepEqual(run([cardIn, cardOff, failed(1)]).effects, ['read 1', 'error transmit failed']);
  t.deepEqual(run([cardIn, cardOff, done(1)]).effects, ['read 1', 'error card left the field during the read']);
  // Its answer arriving while the next card is being read is not that card's UID.
  const r = run([cardIn, cardOff, cardIn, done(1), done(2, '04D4E5F6')]);
  t.deepEqual(r.effects, ['read 1', 'read 2', 'error card left the field during the read', 'card 04D4E5F6']);
});

test('a card.off that no card preceded is a card gone before it could be read', (t) => {
  t.deepEqual(run([cardOff]).effects, ['error card left the field before it could be read']);
});

test('losing the reader removes a card on it or leaving it, once; read numbers keep counting', (t) => {
  t.deepEqual(run([cardIn, done(1), { type: 'lost' }]).effects.slice(2), ['removed']);
  t.deepEqual(run([cardIn, done(1), cardOff, { type: 'lost' }]).effects.slice(3), ['cancelDebounce', 'removed']);
  t.deepEqual(run([{ type: 'lost' }]).effects, []);
  const r = run([cardIn, { type: 'lost' }, cardIn, done(1)]);
  t.deepEqual(r.effects, ['read 1', 'read 2', 'error card left the field during the read']);
});

test('a card that may carry a SUN is read for it; the card effect carries the SUN; back within the debounce it is still the one tap', (t) => {
  const sun = (ctr: number) => ({ uid: '04C1C2C3C4C5C6', ctr, cmac: '0011223344556677' });
  const steps: TapEffect[] = [];
  let s = initialTapState();
  const events: TapEvent[] = [
    { type: 'cardIn', sun: true },
    { type: 'readDone', read: 1, tap: { uid: '04C1C2C3C4C5C6', sun: sun(7) } },
    cardOff,
    { type: 'cardIn', sun: true },
    { type: 'readDone', read: 2, tap: { uid: '04C1C2C3C4C5C6', sun: sun(8) } },
  ];
  for (const ev of events) {
    const step = tapTransition(s, ev, ctx);
    s = step.state;
    steps.push(...step.effects);
  }
  t.deepEqual(steps[0], { type: 'read', read: 1, sun: true });
  t.deepEqual(steps[1], { type: 'card', tap: { uid: '04C1C2C3C4C5C6', sun: sun(7) } });
  t.deepEqual(steps.slice(2).map(show), ['debounce 300', 'read 2', 'cancelDebounce']);
  t.deepEqual(tapTransition(initialTapState(), cardIn, ctx).effects, [{ type: 'read', read: 1, sun: false }]);
});
