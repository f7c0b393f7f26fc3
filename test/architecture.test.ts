// The import rule of the README's layout, checked with dependency-cruiser: imports only point down
// the layers (contract → hal → firmware → sim → bin), no module cycles, and no cycle between folders
// (a folder is a part; two parts that need each other are one part in two places).
import test from 'ava';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type { ICruiseResult } from 'dependency-cruiser';

const LAYERS = ['contract', 'hal', 'firmware', 'sim', 'bin'];

/** The depcruise command line with the project's rule set (its own process: no TypeScript loader in the way). */
async function cruiseProject(): Promise<ICruiseResult> {
  const { stdout } = await promisify(execFile)(process.execPath,
    ['node_modules/dependency-cruiser/bin/dependency-cruise.mjs', ...LAYERS, '--config', '.dependency-cruiser.cjs', '--output-type', 'json'],
    { maxBuffer: 64 * 1024 * 1024 }).catch((e: { stdout?: string }) => ({ stdout: e.stdout ?? '' }));
  return JSON.parse(stdout) as ICruiseResult;
}

const folder = (path: string): string => path.slice(0, path.lastIndexOf('/'));

/** Strongly connected components of more than one folder (Tarjan). */
export function folderCycles(edges: Map<string, Set<string>>): string[][] {
  let index = 0;
  const idx = new Map<string, number>(), low = new Map<string, number>(), stack: string[] = [], on = new Set<string>();
  const out: string[][] = [];
  const visit = (v: string): void => {
    idx.set(v, index); low.set(v, index); index++; stack.push(v); on.add(v);
    for (const w of edges.get(v) ?? []) {
      if (!idx.has(w)) { visit(w); low.set(v, Math.min(low.get(v)!, low.get(w)!)); } else if (on.has(w)) low.set(v, Math.min(low.get(v)!, idx.get(w)!));
    }
    if (low.get(v) === idx.get(v)) {
      const scc: string[] = [];
      let w: string;
      do { w = stack.pop()!; on.delete(w); scc.push(w); } while (w !== v);
      if (scc.length > 1) out.push(scc.sort());
    }
  };
  for (const v of edges.keys()) if (!idx.has(v)) visit(v);
  return out;
}

test('imports point down the layers, with no module cycle and nothing unresolved', async (t) => {
  const r = await cruiseProject();
  t.true(r.summary.totalCruised > 100, `cruised ${r.summary.totalCruised} modules`);
  const violations = r.summary.violations.map((v) => `${v.rule.name}: ${v.from} → ${v.to}${v.cycle ? ` (${v.cycle.map((c) => c.name).join(' → ')})` : ''}`);
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
  const g = new Map([['a', new Set(['b'])], ['b', new Set(['c'])], ['c', new Set(['a'])], ['d', new Set(['a'])]]);
  t.deepEqual(folderCycles(g), [['a', 'b', 'c']]);
});
