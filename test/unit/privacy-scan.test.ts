// The log-privacy scan that runs after the suite (scripts/privacy-scan.ts): it finds a planted name,
// UID, note or photo in any log file, passes clean logs, and as a command fails on a leak or on no logs.
import test from 'ava';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { scanLogs } from '../../scripts/privacy-scan.ts';
import { demoClub, demoStaff } from '../../sim/demo-club.ts';
import { maskUid } from '../../firmware/log.ts';

function logDir(t: { teardown(f: () => void): void }, files: Record<string, string[]>): string {
  const dir = mkdtempSync(join(tmpdir(), 'klubkort-scan-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  for (const [name, lines] of Object.entries(files)) writeFileSync(join(dir, name), `${lines.join('\n')}\n`);
  return dir;
}

const line = (o: object) => JSON.stringify({ level: 30, time: 1, ...o });
const kid = demoClub().cards[0];
const clean = [
  line({ msg: 'sale approved', uid: maskUid(kid.cardUid), total: 1500 }),
  line({ msg: 'terminal started' }),
];

test('clean logs pass, and every line is counted', (t) => {
  const r = scanLogs(logDir(t, { 'a.log': clean, 'b.log': clean, 'notes.txt': [kid.name] }));
  t.deepEqual(r.leaks, []);
  t.deepEqual(r.files.sort(), ['a.log', 'b.log']);
  t.is(r.lines, 6);
});

test('a planted name, first name, whole UID (any case), staff name or photo bytes is found, by file', (t) => {
  const staff = demoStaff()[0];
  const first = kid.name.split(' ')[0];
  const r = scanLogs(
    logDir(t, {
      'clean.log': clean,
      'name.log': [...clean, line({ msg: `card of ${kid.name}` })],
      'first.log': [line({ msg: `hello ${first}` })],
      'uid.log': [line({ msg: 'tap', uid: kid.cardUid.toLowerCase() })],
      'staff.log': [line({ msg: 'signed in', who: staff.name })],
      'photo.log': [line({ photo: 'iVBORw0KGgoAAAANSUhEUg' })],
    }),
  );
  const files = new Set(r.leaks.map((l) => l.split(':')[0]));
  t.deepEqual([...files].sort(), ['first.log', 'name.log', 'photo.log', 'staff.log', 'uid.log']);
  t.true(r.leaks.some((l) => l.startsWith(`name.log: name of ${kid.holderId} (1×)`)));
  t.true(r.leaks.some((l) => l.startsWith(`uid.log: UID of ${kid.holderId}`)));
});

test('the command fails on a leak and on an empty log directory, and passes clean logs', (t) => {
  const run = (dir: string) =>
    spawnSync(process.execPath, ['--import', 'tsx', 'scripts/privacy-scan.ts', dir], { encoding: 'utf8' });
  const ok = run(logDir(t, { 'a.log': clean }));
  t.is(ok.status, 0, ok.stderr);
  const leak = run(logDir(t, { 'a.log': [...clean, line({ msg: kid.name })] }));
  t.is(leak.status, 1);
  t.regex(leak.stderr, new RegExp(`a\\.log: name of ${kid.holderId}`));
  t.is(run(logDir(t, {})).status, 1);
});
