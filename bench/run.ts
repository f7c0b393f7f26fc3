// `npm run bench [-- CASE…]`: runs the cases one after another on loopback, prints one line per
// figure and writes them, with the machine they ran on, to bench/results.json. Every loop is
// bounded and every process it starts is stopped, so it ends by itself in a few minutes.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os, { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describeMachine } from './machine.ts';
import { formatFigure, type Figure } from './stats.ts';
import { BenchLog, BROKER_KIND, closeAll } from './world.ts';
import { saleLatency } from './sale-latency.ts';
import { journalThroughput } from './journal-rate.ts';
import { cardSync } from './card-sync.ts';
import { forwardQueue } from './forward.ts';
import { daemonFootprint } from './daemon.ts';
import { photoPaths } from './photo.ts';
import { sunTap } from './sun-tap.ts';
import { loopBudget, piColumn, sdColumn } from './loop.ts';

type Case = (dir: string, log: BenchLog) => Promise<Figure[]>;

const CASES: Record<string, Case> = {
  journal: journalThroughput,
  sale: saleLatency,
  sync: cardSync,
  forward: forwardQueue,
  daemon: daemonFootprint,
  photo: photoPaths,
  sun: sunTap,
  loop: loopBudget,
  pi: piColumn,
  sd: sdColumn,
};

async function main(argv: string[]): Promise<number> {
  const names = argv.length ? argv : Object.keys(CASES);
  const unknown = names.filter((n) => !CASES[n]);
  if (unknown.length) {
    process.stderr.write(`unknown case ${unknown.join(', ')}; cases: ${Object.keys(CASES).join(', ')}\n`);
    return 64;
  }
  // On the disk the journal would use in a test run: the temp dir (its filesystem is in results.json).
  const root = mkdtempSync(join(tmpdir(), 'klubkort-bench-'));
  const log = new BenchLog(join(root, 'logs'));
  const machine = describeMachine(root, BROKER_KIND);
  process.stdout.write(
    `klubkort bench on ${machine.nproc}× ${machine.cpu}, ${machine.ramGiB} GiB, Node ${machine.node}, disk ${machine.disk}, broker ${machine.broker}\n`,
  );
  const figures: Figure[] = [];
  const started = process.hrtime.bigint();
  // Other work on the machine shows in the tails: the 1-minute load average before and after.
  const load = () => +os.loadavg()[0].toFixed(2);
  const loadBefore = load();
  try {
    for (const name of names) {
      const dir = join(root, name);
      mkdirSync(dir);
      for (const f of await CASES[name](dir, log)) {
        figures.push(f);
        process.stdout.write(formatFigure(f) + '\n');
      }
    }
  } finally {
    await log.close();
    if (process.env.KLUBKORT_BENCH_KEEP) process.stdout.write(`kept ${root}\n`);
    else rmSync(root, { recursive: true, force: true });
  }
  const missed = `${figures.filter((f) => f.met === false).length} of ${figures.filter((f) => f.target).length} targets missed`;
  // Only a whole run replaces the committed figures: they are one table from one machine and moment.
  if (names.length < Object.keys(CASES).length) {
    process.stdout.write(`${missed}; a subset of the cases: bench/results.json left as it was\n`);
    return 0;
  }
  const seconds = Math.round(Number(process.hrtime.bigint() - started) / 1e9);
  const out = fileURLToPath(new URL('./results.json', import.meta.url));
  writeFileSync(
    out,
    JSON.stringify(
      {
        ranAt: new Date().toISOString(),
        seconds,
        loadAverage: { before: loadBefore, after: load() },
        machine,
        figures,
      },
      null,
      2,
    ) + '\n',
  );
  process.stdout.write(`${missed}; ${seconds} s; written to bench/results.json\n`);
  return 0;
}

for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.once(sig, () => {
    process.stderr.write(`bench: ${sig}, stopping what it started\n`);
    void closeAll().finally(() => process.exit(130));
  });
}
process.exitCode = await main(process.argv.slice(2));
