// The import rule of the README's layout, checked with dependency-cruiser: imports only point down
// the layers (lib → contract → hal → firmware → sim → bin), no module cycles, and no cycle between folders
// (a folder is a part; two parts that need each other are one part in two places).
import test from 'ava';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { readdirSync, readFileSync } from 'node:fs';
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

// Every wait runs on the injected Clock.timers (lib/timers.ts), so a test can step it and the
// composition roots (the daemon, a CLI command) choose the clock: no module calls the global timers.
const TIMER_ROOTS = ['lib', 'hal', 'firmware', 'bin'];
/** Where a global timer must stay, and why. */
const GLOBAL_TIMERS_ALLOWED: Record<string, string> = {
  'lib/timers.ts': 'the system timers themselves',
  'firmware/release/test-pause.ts': 'a timer that never fires, only keeps the loop alive for a power-cut test',
};

/** The lines of `source` that call the global setTimeout or setInterval (comments left out). */
function globalTimerCalls(source: string): string[] {
  return source
    .split('\n')
    .filter((line) => !/^\s*(\/\/|\/?\*)/.test(line))
    .filter((line) => /(^|[^.\w#$])(setTimeout|setInterval)\s*\(|globalThis\.(setTimeout|setInterval)\b/.test(line))
    .map((line) => line.trim());
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((f) => /\.(ts|js)$/.test(f) && !f.endsWith('.d.ts'))
    .map((f) => `${dir}/${f}`);
}

test('no module calls the global setTimeout or setInterval: waits run on the injected timers', (t) => {
  const files = TIMER_ROOTS.flatMap(sourceFiles);
  t.true(files.length > 100, `scanned ${files.length} files`);
  const found = files
    .filter((f) => GLOBAL_TIMERS_ALLOWED[f] === undefined)
    .flatMap((f) => globalTimerCalls(readFileSync(f, 'utf8')).map((line) => `${f}: ${line}`));
  t.deepEqual(found, []);
});

test('the global-timer check finds a call (it can fail)', (t) => {
  const src = [
    '// setTimeout(x, 1) in a comment',
    'const a = setTimeout(fn, 10);',
    'this.timers.setTimeout(fn, 10);',
    'sock.setTimeout(10, fn);',
    '  timer = setInterval(() => send(), 5);',
    'globalThis.setTimeout(fn, 1);',
  ].join('\n');
  t.deepEqual(globalTimerCalls(src), [
    'const a = setTimeout(fn, 10);',
    'timer = setInterval(() => send(), 5);',
    'globalThis.setTimeout(fn, 1);',
  ]);
});
