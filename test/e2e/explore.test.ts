// The explorer's bounded run (issue 25): random club days with faults against the real terminal,
// a fresh seed each run (printed: rerun with KLUBKORT_EXPLORE_SEED), then every history in
// test/explore-seeds.json that once found a defect, replayed as a regression case. The long run is
// `npm run explore -- --minutes 60` (README).
import test from 'ava';
import { readFileSync } from 'node:fs';
import { explore, type ExploreReport } from '../../explore/runner.ts';

interface KeptSeed {
  seed: number;
  path?: string;
  replayPath?: string;
  steps: number;
  defect: string;
}
const SEEDS = JSON.parse(readFileSync(new URL('../explore-seeds.json', import.meta.url), 'utf8')) as KeptSeed[];
const MINUTES = Number(process.env.KLUBKORT_EXPLORE_MINUTES ?? 2);

function failureText(r: ExploreReport): string {
  const f = r.failure;
  return f ? `seed ${r.seed}: ${f.broken}\nshrunk history (${f.steps} steps): ${f.history}\nreplay: ${f.replay}` : '';
}

test('random club days with faults break no money or privacy rule', async (t) => {
  t.timeout((MINUTES + 10) * 60_000); // the last history started within MINUTES runs to its end
  const seed =
    process.env.KLUBKORT_EXPLORE_SEED === undefined ? Date.now() % 2 ** 31 : Number(process.env.KLUBKORT_EXPLORE_SEED);
  t.log(
    `seed ${seed} (rerun: KLUBKORT_EXPLORE_SEED=${seed} npx ava test/e2e/explore.test.ts, or npm run explore -- --seed ${seed} --steps 30)`,
  );
  const r = await explore({ seed, steps: 20, runs: 1000, minutes: MINUTES, shrinkMinutes: 3, log: () => undefined });
  t.log(`histories=${r.totals.histories} steps=${r.totals.steps} faults=${JSON.stringify(r.totals.faults)}`);
  t.log(`invariants checked: ${JSON.stringify(r.totals.checks)}`);
  t.log(`decided: ${JSON.stringify(r.totals.decided)}`);
  t.true(r.totals.histories > 0 && r.totals.steps > 0, 'it ran');
  t.true(r.ok, failureText(r));
});

for (const k of SEEDS) {
  test(`kept seed ${k.seed}: ${k.defect}`, async (t) => {
    t.timeout(6 * 60_000);
    const r = await explore({
      seed: k.seed,
      path: k.path,
      replayPath: k.replayPath,
      steps: k.steps,
      runs: 1,
      minutes: 5,
      shrinkMinutes: 0,
      log: (l) => t.log(l),
    });
    t.is(r.totals.histories, 1, 'the kept history ran, alone');
    t.true(r.ok, failureText(r));
  });
}
