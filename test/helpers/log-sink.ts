// Collects every log line the test suite's daemons write, into one file per test process, so the
// privacy test can scan the whole suite's logs for names and whole UIDs.
import { createWriteStream, mkdirSync, type WriteStream } from 'node:fs';
import { join } from 'node:path';

export const LOG_DIR = join(process.cwd(), '.tmp', 'test-logs');
let stream: WriteStream | null = null;

export function logSink(_source: string): NodeJS.WritableStream {
  if (!stream) {
    mkdirSync(LOG_DIR, { recursive: true });
    stream = createWriteStream(join(LOG_DIR, `${process.pid}.log`), { flags: 'a' });
  }
  return stream;
}
