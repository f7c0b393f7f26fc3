// The import rule of the README's layout, checked with dependency-cruiser: imports only point down
// the layers (lib → contract → hal → firmware → sim → bin), no module cycles, and no cycle between folders
// (a folder is a part; two parts that need each other are one part in two places).
import test from 'ava';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type { ICruiseResult } from 'dependency-cruiser';
import { folderCycles } from '../helpers/folder-cycles.ts';

const LAYERS = ['lib', 'contract', 'hal', 'firmware', 'sim', 'bin'];

/** The depcruise command line with the project's rule set (its own process: no TypeScript loader in the way). */
async function cruiseProject(): Promise<ICruiseResult> {
  const { stdout } = await promisify(execFile)(
    process.execPath,
    [
      'node_modules/dependency-cruiser/bin/dependency-cruise.mjs',
      ...LAYERS,
      '--config',
      '.dependency-cruiser.cjs',
      '--output-type',
      'json',
    ],
    { maxBuffer: 64 * 1024 * 1024 },
  ).catch((e: { stdout?: string }) => ({ stdout: e.stdout ?? '' }));
  return JSON.parse(stdout) as ICruiseResult;
}

const folder = (path: string): string => path.slice(0, path.lastIndexOf('/'));

test('imports point down the layers, with no module cycle and nothing unresolved', async (t) => {
  const r = await cruiseProject();
  t.true(r.summary.totalCruised > 100, `cruised ${r.summary.totalCruised} modules`);
  const violations = r.summary.violations.map(
    (v) => `${v.rule.name}: ${v.from} → ${v.to}${v.cycle ? ` (${v.cycle.map((c) => c.name).join(' → ')})` : ''}`,
  );
  t.deepEqual(violations, []);
});

test('no cycle between folders', async (t) => {
  const r = await cruiseProject();
  const edges = new Map<string, Set<string>>();
  for (const m of r.modules) {
    if (!LAYERS.some((l) => m.source.startsWith(`${l}/`))) continue;
    const from = folder(m.source);
    if (!edges.has(from)) edges.set(from, new Set());
    for (const d of m.dependencies) {
      if (!LAYERS.some((l) => d.resolved.startsWith(`${l}/`))) continue;
      const to = folder(d.resolved);
      if (to !== from) edges.get(from)!.add(to);
    }
  }
  t.true(edges.size > 10);
  t.deepEqual(folderCycles(edges), []);
});

test('the folder-cycle check finds a cycle (it can fail)', (t) => {
  const g = new Map([
    ['a', new Set(['b'])],
    ['b', new Set(['c'])],
    ['c', new Set(['a'])],
    ['d', new Set(['a'])],
  ]);
  t.deepEqual(folderCycles(g), [['a', 'b', 'c']]);
});
