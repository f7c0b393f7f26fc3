// Where the daemon's log lines go (firmware/cli/daemon-log.ts), and the journal path's fallback.
// That the lines really reach `journalctl -u klubkort` from inside the kiosk is shown under a real
// systemd: test/system/unit-nspawn.test.ts.
import test from 'ava';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { logTarget } from '../../firmware/cli/daemon-log.ts';
import { journaldDestination, syslogPriority } from '../../firmware/systemd/journald.ts';
import { openLogFile } from '../../firmware/log.ts';
import { until } from '../helpers/until.ts';

test('the journal in the kiosk, a file under a screen of our own, stderr otherwise', (t) => {
  const dataDir = '/var/lib/klubkort';
  // The kiosk: stderr is foot's terminal, the cashier's screen.
  t.deepEqual(logTarget({ headless: false, stderrIsTTY: true, kiosk: true, dataDir }), {
    to: 'journal',
    fallback: `${dataDir}/klubkort.log`,
  });
  // A broken config in the kiosk: no data dir known, the journal or else stderr.
  t.deepEqual(logTarget({ headless: true, stderrIsTTY: true, kiosk: true }), { to: 'journal', fallback: null });
  // Run by hand on a terminal with its screen there.
  t.deepEqual(logTarget({ headless: false, stderrIsTTY: true, kiosk: false, dataDir }), {
    to: 'file',
    path: `${dataDir}/klubkort.log`,
  });
  t.deepEqual(logTarget({ headless: true, stderrIsTTY: true, kiosk: false, dataDir }), { to: 'stderr' });
  // stderr that is no terminal: systemd's journal (the bare console unit), a pipe, a file.
  t.deepEqual(logTarget({ headless: false, stderrIsTTY: false, kiosk: true, dataDir }), { to: 'stderr' });
  t.deepEqual(logTarget({ headless: false, stderrIsTTY: false, kiosk: false, dataDir }), { to: 'stderr' });
});

test('pino levels become syslog priorities (journalctl -p)', (t) => {
  const line = (level: number) => `${JSON.stringify({ level, time: 1, msg: 'x' })}\n`;
  t.deepEqual(
    [10, 20, 30, 40, 50, 60].map((l) => syslogPriority(line(l))),
    [7, 7, 6, 4, 3, 2],
  );
  t.is(syslogPriority('not json\n'), 6);
});

test('a journal that cannot be reached: the lines go to the fallback file, after a line saying why', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'klubkort-journald-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'klubkort.log');
  // The real systemd-cat, told to use a journal namespace that no journald serves.
  const out = journaldDestination({
    identifier: 'klubkort',
    fallback: () => openLogFile(file),
    command: ['systemd-cat', '--namespace=klubkort-test-absent'],
  });
  out.write('{"level":30,"time":1,"msg":"first"}\n');
  out.write('{"level":50,"time":2,"msg":"second"}\n');
  await until(() => {
    try {
      return readFileSync(file, 'utf8').includes('"second"');
    } catch {
      return false;
    }
  }, 'the lines in the file');
  const lines = readFileSync(file, 'utf8').trim().split('\n');
  t.is(lines.length, 3);
  t.regex(
    JSON.parse(lines[0]!).msg as string,
    /^the journal cannot take the log: systemd-cat failed: .+; logging here instead$/,
  );
  t.deepEqual(
    lines.slice(1),
    ['{"level":30,"time":1,"msg":"first"}', '{"level":50,"time":2,"msg":"second"}'],
    'as written, no priority prefix',
  );
});
