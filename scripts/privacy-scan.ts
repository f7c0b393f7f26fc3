// The log-privacy scan, a step after the test suite (`npm test`): every log line the suite's daemons
// wrote under .tmp/test-logs (test/helpers/log-sink.ts) is searched for what must never be in a log:
// a demo child's name (whole and each part), holder id, note, a whole card UID in any case, a staff
// member's name or UID, photo bytes. Run alone: `node --import tsx scripts/privacy-scan.ts [dir]`.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { demoClub, demoStaff } from '../sim/demo-club.ts';

/** What must never be in a log line, each with what it is. */
export function forbidden(): [string, RegExp][] {
  const out: [string, RegExp][] = [];
  for (const c of demoClub().cards) {
    out.push([`name of ${c.holderId}`, new RegExp(c.name)]);
    for (const part of c.name.split(' ')) out.push([`name part of ${c.holderId}`, new RegExp(`\\b${part}\\b`)]);
    out.push([`holder id ${c.holderId}`, new RegExp(c.holderId)]);
    out.push([`UID of ${c.holderId}`, new RegExp(c.cardUid, 'i')]);
    // The parent's note is personal data like the name.
    if (c.rules?.note) out.push([`note of ${c.holderId}`, new RegExp(c.rules.note)]);
  }
  for (const s of demoStaff()) {
    out.push([`staff name ${s.staffId}`, new RegExp(s.name)], [`staff UID ${s.staffId}`, new RegExp(s.cardUid, 'i')]);
  }
  out.push(
    ['PNG bytes (base64)', /iVBORw0KGgo/],
    ['PNG bytes (hex)', /89504e470d0a1a0a/i],
    ['a Buffer', /"type":"Buffer"/],
  );
  return out;
}

export type ScanResult = { files: string[]; lines: number; leaks: string[] };

/** Every `.log` file in `dir`: how many lines, and each kind of leak per file (count and a sample). */
export function scanLogs(dir: string): ScanResult {
  const files = readdirSync(dir).filter((f) => f.endsWith('.log'));
  const rules = forbidden();
  const leaks = new Map<string, { n: number; sample: string }>();
  let lines = 0;
  for (const f of files) {
    for (const line of readFileSync(join(dir, f), 'utf8').split('\n')) {
      lines++;
      for (const [what, re] of rules) {
        if (!re.test(line)) continue;
        const key = `${f}: ${what}`;
        const seen = leaks.get(key) ?? { n: 0, sample: line.slice(0, 300) };
        seen.n++;
        leaks.set(key, seen);
      }
    }
  }
  return { files, lines, leaks: [...leaks].map(([key, { n, sample }]) => `${key} (${n}×): ${sample}`) };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const dir = process.argv[2] ?? join(process.cwd(), '.tmp', 'test-logs');
  const r = scanLogs(dir);
  if (r.files.length === 0) {
    console.error(`privacy scan: no log files in ${dir} (the suite writes them; npm test deletes them first)`);
    process.exit(1);
  }
  for (const leak of r.leaks) console.error(`privacy scan: ${leak}`);
  console.log(`privacy scan: ${r.files.length} log files, ${r.lines} lines, ${r.leaks.length} kinds of leak`);
  process.exit(r.leaks.length > 0 ? 1 : 0);
}
