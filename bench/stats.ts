// Figures of the bench: sample statistics, one printed line per figure, and the results file.

/** One measured figure. `value` is the median for latencies; `p99` only for latencies. */
export interface Figure {
  id: string;
  label: string;
  unit: 'ms' | 's' | '/s' | 'MB';
  value: number;
  p99?: number;
  max?: number;
  samples?: number;
  /** e.g. "p99 < 50 ms"; `met` says whether this run met it. */
  target?: string;
  met?: boolean;
  /** Ratios of this figure to references given for context (a budget, a competitor). */
  ratios?: { to: string; ratio: number }[];
  note?: string;
}

export const now = (): bigint => process.hrtime.bigint();
export const msSince = (t0: bigint, t1: bigint = now()): number => Number(t1 - t0) / 1e6;

/** Nearest-rank percentile (p in 0..100) of unsorted samples. */
export function percentile(samples: readonly number[], p: number): number {
  if (samples.length === 0) throw new Error('no samples');
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

export const median = (samples: readonly number[]): number => percentile(samples, 50);

/** A latency figure: median and p99 of the samples, target checked on the p99. */
export function latency(id: string, label: string, samples: readonly number[], p99Below: number,
  refs: { to: string; ms: number }[] = [], note?: string): Figure {
  const p99 = percentile(samples, 99);
  return {
    id, label, unit: 'ms', value: median(samples), p99, max: Math.max(...samples), samples: samples.length,
    target: `p99 < ${p99Below} ms`, met: p99 < p99Below,
    ratios: refs.length ? refs.map((r) => ({ to: r.to, ratio: p99 / r.ms })) : undefined, note,
  };
}

const num = (v: number): string => (Math.abs(v) >= 100 ? v.toFixed(0) : Math.abs(v) >= 10 ? v.toFixed(1) : v.toFixed(2));

export function formatFigure(f: Figure): string {
  const value = f.p99 !== undefined ? `p50 ${num(f.value)} ${f.unit}  p99 ${num(f.p99)} ${f.unit}` : `${num(f.value)} ${f.unit}`;
  const parts = [f.label.padEnd(58), value.padEnd(28)];
  if (f.target) parts.push(`target ${f.target} ${f.met ? 'met' : 'MISSED'}`);
  for (const r of f.ratios ?? []) parts.push(`${r.ratio < 0.1 ? r.ratio.toFixed(3) : r.ratio.toFixed(2)}× ${r.to}`);
  if (f.samples) parts.push(`n=${f.samples}`);
  return parts.join('  ');
}
