// Contract § Conventions: ids, money, times, and how a payload is read. Imports nothing of the project.
import { z } from 'zod';

export const CLUB_ID = /^[a-z0-9-]{1,32}$/;
export const TERMINAL_ID = /^[a-z0-9-]{1,64}$/;
/** ISO 14443 UID, upper-case hex, 4, 7 or 10 bytes. */
export const CARD_UID = /^([0-9A-F]{8}|[0-9A-F]{14}|[0-9A-F]{20})$/;
export const SHA256_HEX = /^[0-9a-f]{64}$/;

export const ClubId = z.string().regex(CLUB_ID);
export const TerminalId = z.string().regex(TERMINAL_ID);
export const CardUid = z.string().regex(CARD_UID);
export const Sha256 = z.string().regex(SHA256_HEX);
/** Integer øre; the contract forbids floats and strings. */
export const Ore = z.number().int().safe();
export const NonNegOre = Ore.nonnegative();
export const Version = z.number().int().nonnegative().safe();
/** ISO 8601 UTC with milliseconds. */
export const IsoTime = z.string().datetime({ offset: false, precision: 3 });
export const TxId = z.string().uuid();

/** Parses a JSON payload and validates it; returns a readable error instead of throwing. */
export function parsePayload<T>(
  schema: z.ZodType<T>,
  payload: Buffer | string,
): { ok: true; value: T } | { ok: false; error: string } {
  let json: unknown;
  try {
    json = JSON.parse(typeof payload === 'string' ? payload : payload.toString('utf8'));
  } catch {
    return { ok: false, error: 'not JSON' };
  }
  const r = schema.safeParse(json);
  if (r.success) return { ok: true, value: r.data };
  // Paths and messages only: never echo the payload's values (they may carry names).
  return {
    ok: false,
    error: r.error.issues
      .slice(0, 3)
      .map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`)
      .join('; '),
  };
}
