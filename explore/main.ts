// `npm run explore -- --seed N --steps K --minutes M [--runs R] [--shrink-minutes S] [--path P --replay-path Q]`:
// random club days with faults against the real terminal, each history printed; on a failure the
// seed, the shrunk history and the broken invariants, and the command that replays it. Exit 1 then.
import { parseArgs } from 'node:util';
import { explore } from './runner.ts';
import { openWorlds } from './world.ts';

const { values } = parseArgs({
  options: {
    seed: { type: 'string' },
    steps: { type: 'string', default: '40' },
    minutes: { type: 'string', default: '5' },
    runs: { type: 'string', default: '100000' },
    'shrink-minutes': { type: 'string', default: '20' },
    path: { type: 'string' },
    'replay-path': { type: 'string' },
  },
});
const num = (name: string, v: string | undefined): number => {
  const n = Number(v);
  if (!Number.isSafeInteger(n) || n < 0) {
    process.stderr.write(`explore: --${name} must be a whole number\n`);
    process.exit(64);
  }
  return n;
};
const seed = values.seed === undefined ? Date.now() % 2 ** 31 : num('seed', values.seed);
const log = (line: string) => process.stdout.write(line + '\n');
for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.once(sig, () => {
    void Promise.all([...openWorlds].map((w) => w.close())).finally(() => process.exit(130));
  });
}
log(`explore: seed ${seed}`);
const r = await explore({
  seed,
  steps: num('steps', values.steps),
  minutes: Number(values.minutes),
  runs: num('runs', values.runs),
  shrinkMinutes: Number(values['shrink-minutes']),
  path: values.path,
  replayPath: values['replay-path'],
  log,
});
log(
  `histories=${r.totals.histories} set_aside=${r.totals.setAside} steps=${r.totals.steps} ${Math.round(r.ms / 1000)} s`,
);
log(`faults: ${JSON.stringify(r.totals.faults)}`);
const decided = Object.values(r.totals.decided).reduce((a, b) => a + b, 0);
log(
  `decided: ${JSON.stringify(r.totals.decided)} = ${decided} (${(decided / Math.max(1, r.totals.histories)).toFixed(1)} per history, ${((decided * 60_000) / Math.max(1, r.ms)).toFixed(1)} per minute)`,
);
log(`seconds by step: ${JSON.stringify(r.totals.stepSeconds)}`);
log(`invariants checked: ${JSON.stringify(r.totals.checks)}`);
if (r.failure) {
  log(`FAILED (seed ${r.seed}, first found after ${Math.round(r.failure.foundAfterMs / 1000)} s)`);
  log(`broken:\n${r.failure.broken}`);
  log(`shrunk history (${r.failure.steps} steps): ${r.failure.history}`);
  log(`replay: ${r.failure.replay}`);
}
process.exit(r.ok ? 0 : 1);
