// `node --import tsx bench/table.ts [results.json]`: the table of docs/benchmarks.md, from a results file.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { formatRatio, type Figure } from './stats.ts';
import type { Machine } from './machine.ts';

interface Results {
  ranAt: string;
  seconds: number;
  loadAverage?: { before: number; after: number };
  machine: Machine;
  figures: Figure[];
}

const n = (v: number) => (v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2));

export function markdownTable(r: Results): string {
  const m = r.machine;
  const rows = r.figures.map((f) => {
    const value = f.p99 !== undefined ? `${n(f.value)} / ${n(f.p99)} ${f.unit}` : `${n(f.value)} ${f.unit}`;
    const target = f.target ? `${f.target}: ${f.met ? 'met' : '**missed**'}` : '';
    const ratios = (f.ratios ?? []).map(formatRatio).join('; ');
    return `| ${f.label} | ${value} | ${target} | ${[ratios, f.note].filter(Boolean).join('; ')} |`;
  });
  return [
    `Run ${r.ranAt.slice(0, 16).replace('T', ' ')} UTC (${r.seconds} s) on ${m.nproc}× ${m.cpu}, ${m.ramGiB} GiB RAM, Node ${m.node}, ` +
      `${m.os}, disk ${m.disk}, broker ${m.broker}` +
      (r.loadAverage ? `; load average ${r.loadAverage.before} → ${r.loadAverage.after}` : '') +
      '.',
    '',
    '| figure | median (/ p99) | target | context |',
    '|---|---|---|---|',
    ...rows,
  ].join('\n');
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const file = process.argv[2] ?? fileURLToPath(new URL('./results.json', import.meta.url));
  process.stdout.write(markdownTable(JSON.parse(readFileSync(file, 'utf8')) as Results) + '\n');
}
