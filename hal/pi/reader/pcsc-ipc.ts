// The messages between the daemon and its PC/SC child process (pcsc-child.ts, pcsc-proxy.ts):
// zod schemas, validated on arrival at both ends. Bytes travel as lower-case hex; a reader is a
// number the child gives it; a request's id comes back with its result.
import { z } from 'zod';

/** Largest APDU or answer either side accepts (an extended APDU is at most 65 544 bytes). */
const MAX_BYTES = 65_544;
const hex = z
  .string()
  .max(2 * MAX_BYTES)
  .regex(/^(?:[0-9a-f]{2})*$/);
const id = z.number().int().nonnegative();
const message = z.string().max(2000);

/** One call into a reader, answered by a `result` with the same id. */
const Call = z.discriminatedUnion('op', [
  z.object({ op: z.literal('connect'), mode: z.enum(['CONNECT_MODE_CARD', 'CONNECT_MODE_DIRECT']) }),
  z.object({ op: z.literal('disconnect') }),
  z.object({ op: z.enum(['transmit', 'control']), data: hex, max: z.number().int().positive().max(MAX_BYTES) }),
]);
export type ReaderCall = z.infer<typeof Call>;
export type ReaderOp = ReaderCall['op'];

export const ToChild = z.discriminatedUnion('t', [
  /** Heartbeat: a child whose event loop runs answers `pong` at once. */
  z.object({ t: z.literal('ping'), id }),
  z.object({ t: z.literal('call'), id, reader: id, call: Call }),
  z.object({ t: z.literal('closeReader'), reader: id }),
]);
export type ToChild = z.infer<typeof ToChild>;

export const FromChild = z.discriminatedUnion('t', [
  /** The PC/SC context is up (`new NFC()` returned). */
  z.object({ t: z.literal('ready') }),
  /** nfc-pcsc could not be loaded or the context not made: the child exits after this. */
  z.object({ t: z.literal('fatal'), message }),
  z.object({ t: z.literal('pong'), id }),
  z.object({ t: z.literal('reader'), reader: id, name: z.string().max(256) }),
  /** What nfc-pcsc knows of the card (its automatic UID read is off in the child: no UID here). */
  z.object({
    t: z.literal('card'),
    reader: id,
    atr: hex.optional(),
    standard: z.enum(['TAG_ISO_14443_3', 'TAG_ISO_14443_4']).optional(),
  }),
  z.object({ t: z.literal('cardOff'), reader: id }),
  z.object({ t: z.literal('readerError'), reader: id, message }),
  z.object({ t: z.literal('end'), reader: id }),
  /** The context failed (pcscd stopped): the parent drops this child. */
  z.object({ t: z.literal('error'), message }),
  /** `data`: the answer of transmit/control; `error`: the call failed (nothing else is set). */
  z.object({ t: z.literal('result'), id, data: hex.optional(), error: message.optional() }),
]);
export type FromChild = z.infer<typeof FromChild>;

export const toHex = (b: Buffer): string => b.toString('hex');
export const fromHex = (s: string): Buffer => Buffer.from(s, 'hex');
