// The long crash test: `npm run crashtest -- --kills 1000 [--seed N]`. Kills the terminal daemon
// with SIGKILL that many times during sales, then audits the ledger against what the cashier saw.
// The last line is `kills=… approved=… booked_once=… lost=0 double=0`; the exit code is 1 when
// the contract was broken.
import { parseArgs } from 'node:util';
import { runCrashTest, crashLine } from '../test/helpers/crash-harness.ts';
import { auditLine, problems } from '../test/helpers/audit.ts';

const { values } = parseArgs({ options: { kills: { type: 'string', default: '1000' }, seed: { type: 'string' } } });
const kills = Number(values.kills);
if (!Number.isSafeInteger(kills) || kills < 1) {
  process.stderr.write('usage: npm run crashtest -- --kills N [--seed N]\n');
  process.exit(64);
}
const seed = values.seed === undefined ? undefined : Number(values.seed);
const log = (line: string) => process.stdout.write(line + '\n');

const report = await runCrashTest({ kills, seed, progress: log });
log(
  `seed=${report.seed} sales=${report.sales} kills_at=${JSON.stringify(report.killsAt)} ${Math.round(report.ms / 1000)} s`,
);
log(auditLine(report));
const bad = problems(report);
for (const p of bad) log(`PROBLEM: ${p}`);
log(crashLine(report));
process.exit(bad.length ? 1 : 0);
