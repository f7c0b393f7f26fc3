// Contract § Simulator control: topics that exist only on a simulator's or a test's broker.
import { z } from 'zod';
import { CardUid } from './conventions.ts';
import { CardAuth } from './transactions.ts';

export const KEY_NAMES = [
  'enter',
  'escape',
  'backspace',
  'up',
  'down',
  '0',
  '1',
  '2',
  '3',
  '4',
  '5',
  '6',
  '7',
  '8',
  '9',
  'f1',
  'f2',
  'f3',
  'f4',
  'f5',
  'f6',
  'f7',
  'f8',
  'f9',
  'f10',
  'f11',
  'f12',
] as const;
export const KeyName = z.enum(KEY_NAMES);
export type KeyName = z.infer<typeof KeyName>;

/** The SUN a `sun` card's read brought; `uid` only when the mirrored uid differs from the tapped one. */
export const SimSun = CardAuth.extend({
  uid: z
    .string()
    .regex(/^[0-9A-F]{14}$/)
    .optional(),
});
export type SimSun = z.infer<typeof SimSun>;

export const SimReaderMsg = z.discriminatedUnion('action', [
  z.object({ action: z.literal('tap'), uid: CardUid, sun: SimSun.optional() }),
  z.object({ action: z.literal('remove') }),
  z.object({ action: z.literal('unplug') }),
  z.object({ action: z.literal('plug') }),
]);
export type SimReaderMsg = z.infer<typeof SimReaderMsg>;
export const SimKeyMsg = z.object({ key: KeyName });

export type Led = 'green' | 'red' | 'yellow' | 'off';
export type BuzzerPattern = 'tap' | 'approve' | 'decline' | 'error';
/** `sim/{terminalId}/indicators`. */
export interface IndicatorState {
  led: Led;
  buzzer: BuzzerPattern | null;
}
