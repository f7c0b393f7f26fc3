// Structured logs for drivers and daemon alike. Personal data never goes in: names and photos are
// not logged at all, and a card UID is logged only through maskUid().
import { pino, type Logger } from 'pino';

export type { Logger };

export function createLogger(
  opts: { level?: string; name?: string; destination?: NodeJS.WritableStream } = {},
): Logger {
  const level = opts.level ?? process.env.KLUBKORT_LOG_LEVEL ?? 'info';
  return pino(
    { level, name: opts.name ?? 'klubkort', base: undefined },
    (opts.destination ?? pino.destination(2)) as pino.DestinationStream,
  );
}

/** Keeps the last 4 hex digits, enough for a technician to tell cards apart, not to clone one. */
export function maskUid(uid: string): string {
  return uid.length <= 4 ? '****' : '*'.repeat(uid.length - 4) + uid.slice(-4);
}
