// Structured logs. Personal data never goes in: names and photos are not logged at all, and a
// card UID is logged only through maskUid().
import { createWriteStream, renameSync, statSync } from 'node:fs';
import { pino, type Logger } from 'pino';

export type { Logger };

export function createLogger(opts: { level?: string; name?: string; destination?: NodeJS.WritableStream } = {}): Logger {
  const level = opts.level ?? process.env.KLUBKORT_LOG_LEVEL ?? 'info';
  return pino({ level, name: opts.name ?? 'klubkort', base: undefined }, (opts.destination ?? pino.destination(2)) as pino.DestinationStream);
}

/** Keeps the last 4 hex digits, enough for a technician to tell cards apart, not to clone one. */
export function maskUid(uid: string): string {
  return uid.length <= 4 ? '****' : '*'.repeat(uid.length - 4) + uid.slice(-4);
}

/** A URL as logged: a password in it (mqtt://user:secret@host) is replaced by ***. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (!u.password) return url;
    u.password = '***';
    return u.toString();
  } catch {
    return '(unparsable URL)';
  }
}

/** Past this size at start, the log file becomes `<file>.1` (replacing the one before) and a new one begins. */
export const LOG_FILE_MAX_BYTES = 10 * 1024 * 1024;

/** A log file for when the console owns the terminal; kept to two files of about `maxBytes`, turned over at start. */
export function openLogFile(path: string, maxBytes = LOG_FILE_MAX_BYTES): NodeJS.WritableStream {
  try {
    if (statSync(path).size > maxBytes) renameSync(path, `${path}.1`);
  } catch {
    // no file yet
  }
  return createWriteStream(path, { flags: 'a', mode: 0o600 });
}
