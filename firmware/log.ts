// The daemon's logs: the logger and UID mask of lib/log.ts, plus URL redaction and the log file.
import { createWriteStream, renameSync, statSync } from 'node:fs';

export { createLogger, maskUid, type Logger } from '../lib/log.ts';

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
