// What the logging helpers keep out of logs and how the log file stays bounded.
import test from 'ava';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { maskUid, openLogFile, redactUrl } from '../../firmware/log.ts';

test('a broker URL is logged without its password', (t) => {
  t.is(redactUrl('mqtts://kasse-1:hemmeligt@broker.example:8883'), 'mqtts://kasse-1:***@broker.example:8883');
  t.is(redactUrl('mqtt://127.0.0.1:1883'), 'mqtt://127.0.0.1:1883');
  t.is(redactUrl('not a url :: secret'), '(unparsable URL)');
});

test('a UID keeps only its last four digits', (t) => {
  t.is(maskUid('04A23B5C7D2E80'), '**********2E80');
  t.is(maskUid('2E80'), '****');
});

test('a log file past its size at start becomes .1 and a new one begins; a small one is appended to', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'klubkort-log-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'klubkort.log');
  const write = (line: string) =>
    new Promise<void>((resolve) => {
      const s = openLogFile(file, 100);
      s.write(line);
      s.end(resolve);
    });
  await write('first\n');
  await write('second\n');
  t.is(readFileSync(file, 'utf8'), 'first\nsecond\n');
  t.false(existsSync(`${file}.1`));
  writeFileSync(file, 'x'.repeat(101));
  await write('third\n');
  t.is(readFileSync(file, 'utf8'), 'third\n');
  t.is(readFileSync(`${file}.1`, 'utf8'), 'x'.repeat(101));
});
