// The long turns of a V8 CPU profile (bench/loop.ts's BENCH_LOOP_PROFILE): runs of samples with
// no idle between them, longer than --ms, each with the functions that took most of it (self time)
// and the deepest frames of our own code under them. With --keys (the profile's `.keys.json`,
// written beside it), the keys slower than --ms instead: what the thread did from each key's due
// time until its screen was drawn, and how long it went unsampled (not running: waiting for a CPU).
//   node --import tsx bench/long-turns.ts <file.cpuprofile> [--ms 8] [--top 6] [--keys <file.keys.json>]
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { z } from 'zod';

const Frame = z.object({ functionName: z.string(), url: z.string(), lineNumber: z.number() });
const Node = z.object({ id: z.number(), callFrame: Frame, children: z.array(z.number()).optional() });
const Profile = z.object({
  nodes: z.array(Node),
  samples: z.array(z.number()),
  timeDeltas: z.array(z.number()),
  startTime: z.number(),
});
type Node = z.infer<typeof Node>;

/** A key pressed during a profiled job: due and drawn, µs of the monotonic clock (the profile's). */
export interface KeySpan {
  dueUs: number;
  drawnUs: number;
}

export interface Turn {
  startMs: number;
  ms: number;
  /** Self time by function, largest first. */
  self: [string, number][];
  /** Time by the innermost frame of the project's own code on the stack, largest first. */
  ours: [string, number][];
}

const label = (n: Node) => {
  const f = n.callFrame;
  const file = f.url.replace(/^.*\/(firmware|bench|hal|contract|sim|node_modules)\//, '$1/');
  return `${f.functionName || '(anonymous)'} ${file}:${f.lineNumber + 1}`;
};
const isOurs = (n: Node) => /\/(firmware|hal|contract)\//.test(n.callFrame.url);
const top = (m: Map<string, number>, k: number): [string, number][] => [...m].sort((a, b) => b[1] - a[1]).slice(0, k);
/** A gap between samples longer than this (the interval is 250 µs) is time the thread did not run. */
const UNSAMPLED_US = 1000;
const UNSAMPLED = '(not sampled: the thread was not running)';

export function longTurns(raw: unknown, minMs: number, k: number): Turn[] {
  const p = Profile.parse(raw);
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const innermostOurs = (id: number): string => {
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
      const n = byId.get(at)!;
      if (isOurs(n)) return label(n);
    }
    return '(none of ours)';
  };
  const turns: Turn[] = [];
  let t = 0;
  let run: { start: number; end: number; self: Map<string, number>; ours: Map<string, number> } | null = null;
  const close = () => {
    if (run && run.end - run.start >= minMs * 1000)
      turns.push({
        startMs: run.start / 1000,
        ms: (run.end - run.start) / 1000,
        self: top(run.self, k),
        ours: top(run.ours, k),
      });
    run = null;
  };
  for (let i = 0; i < p.samples.length; i++) {
    // A sample's delta is the time since the one before: that time belongs to this sample's stack.
    const dt = p.timeDeltas[i] ?? 0;
    t += dt;
    const n = byId.get(p.samples[i]!)!;
    if (n.callFrame.functionName === '(idle)') {
      close();
      continue;
    }
    run ??= { start: t - dt, end: t, self: new Map(), ours: new Map() };
    run.end = t;
    const l = label(n);
    run.self.set(l, (run.self.get(l) ?? 0) + dt / 1000);
    const o = innermostOurs(n.id);
    run.ours.set(o, (run.ours.get(o) ?? 0) + dt / 1000);
  }
  close();
  return turns;
}

/** The keys slower than `overMs`, each with what its wait was spent on (self time, and unsampled gaps). */
export function slowKeys(raw: unknown, keys: readonly KeySpan[], overMs: number, k: number): Turn[] {
  const p = Profile.parse(raw);
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  // A sample at time t stands for (t - delta, t]; for a key, the part of it inside the key's span.
  const at: { from: number; to: number; label: string }[] = [];
  let t = p.startTime;
  for (let i = 0; i < p.samples.length; i++) {
    const dt = p.timeDeltas[i] ?? 0;
    const n = byId.get(p.samples[i]!)!;
    if (dt > UNSAMPLED_US) at.push({ from: t, to: t + dt - UNSAMPLED_US / 4, label: UNSAMPLED });
    at.push({ from: Math.max(t, t + dt - UNSAMPLED_US / 4), to: t + dt, label: label(n) });
    t += dt;
  }
  const out: Turn[] = [];
  for (const key of keys) {
    const ms = (key.drawnUs - key.dueUs) / 1000;
    if (ms < overMs) continue;
    const self = new Map<string, number>();
    for (const s of at) {
      const overlap = Math.min(s.to, key.drawnUs) - Math.max(s.from, key.dueUs);
      if (overlap > 0) self.set(s.label, (self.get(s.label) ?? 0) + overlap / 1000);
    }
    out.push({ startMs: (key.dueUs - p.startTime) / 1000, ms, self: top(self, k), ours: [] });
  }
  return out;
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].replace(/^.*\//, '/'))) {
  const { values: v, positionals } = parseArgs({
    allowPositionals: true,
    options: { ms: { type: 'string', default: '8' }, top: { type: 'string', default: '6' }, keys: { type: 'string' } },
  });
  const file = positionals[0];
  if (!file)
    throw new Error('usage: bench/long-turns.ts <file.cpuprofile> [--ms 8] [--top 6] [--keys <file.keys.json>]');
  const profile: unknown = JSON.parse(readFileSync(file, 'utf8'));
  const turns = v.keys
    ? slowKeys(profile, JSON.parse(readFileSync(v.keys, 'utf8')) as KeySpan[], Number(v.ms), Number(v.top))
    : longTurns(profile, Number(v.ms), Number(v.top));
  for (const x of turns) {
    console.log(`\n${x.ms.toFixed(1)} ms at ${x.startMs.toFixed(0)} ms`);
    for (const [f, ms] of x.self) console.log(`  self ${ms.toFixed(1).padStart(6)} ms  ${f}`);
    for (const [f, ms] of x.ours) console.log(`  ours ${ms.toFixed(1).padStart(6)} ms  ${f}`);
  }
  console.log(`\n${turns.length} ${v.keys ? 'keys' : 'turns'} of ≥ ${v.ms} ms`);
}
