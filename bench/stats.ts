// Figures of the bench: sample statistics, one printed line per figure, and the results file.

/** One measured figure. `value` is the median for latencies; `p99` only for latencies. */
export interface Figure {
  id: string;
  label: string;
  unit: 'ms' | 's' | '/s' | 'MB' | '%' | 'commits';
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
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

export const median = (samples: readonly number[]): number => percentile(samples, 50);

/** A latency figure: median and p99 of the samples, target checked on the p99. */
export function latency(
  id: string,
  label: string,
  samples: readonly number[],
  p99Below: number,
  refs: { to: string; ms: number }[] = [],
  note?: string,
): Figure {
  const p99 = percentile(samples, 99);
  return {
    id,
    label,
    unit: 'ms',
    value: median(samples),
    p99,
    max: Math.max(...samples),
    samples: samples.length,
    target: `p99 < ${p99Below} ms`,
    met: p99 < p99Below,
    ratios: refs.length ? refs.map((r) => ({ to: r.to, ratio: p99 / r.ms })) : undefined,
    note,
  };
}

const num = (v: number): string =>
  Math.abs(v) >= 100 ? v.toFixed(0) : Math.abs(v) >= 10 ? v.toFixed(1) : v.toFixed(2);

export function formatFigure(f: Figure): string {
  const value =
    f.p99 !== undefined ? `p50 ${num(f.value)} ${f.unit}  p99 ${num(f.p99)} ${f.unit}` : `${num(f.value)} ${f.unit}`;
  const parts = [f.label.padEnd(58), value.padEnd(28)];
  if (f.target) parts.push(`target ${f.target} ${f.met ? 'met' : 'MISSED'}`);
  for (const r of f.ratios ?? []) parts.push(formatRatio(r));
  if (f.samples) parts.push(`n=${f.samples}`);
  return parts.join('  ');
}

const x = (r: number): string => (r < 0.1 ? r.toFixed(3) : r.toFixed(2));

/**
 * A latency judged against a floor measured in the same run (the same disk, the same neighbours):
 * a busy machine slows both, so it does not flip the verdict. `max` holds the largest ratios allowed.
 */
export function latencyVsFloor(
  id: string,
  label: string,
  samples: readonly number[],
  floor: { name: string; samples: readonly number[] },
  max: { p50?: number; p99: number },
  refs: { to: string; ms: number }[] = [],
  note?: string,
): Figure {
  const f = latency(id, label, samples, Infinity, refs, note);
  const p50 = f.value / median(floor.samples);
  const p99 = f.p99! / percentile(floor.samples, 99);
  const met = p99 <= max.p99 && (max.p50 === undefined || p50 <= max.p50);
  const target =
    [max.p50 !== undefined ? `p50 ≤ ${max.p50}×` : '', `p99 ≤ ${max.p99}×`].filter(Boolean).join(', ') +
    ` ${floor.name}`;
  return {
    ...f,
    target,
    met,
    ratios: [
      { to: `(p50) of ${floor.name}`, ratio: p50 },
      { to: `(p99) of ${floor.name}`, ratio: p99 },
      ...(f.ratios ?? []),
    ],
  };
}

/**
 * A duration judged against the same work's floor, in alternated rounds of the same run: the
 * figure is the median duration, the verdict the median of the rounds' ratios.
 */
export function durationVsFloor(
  id: string,
  label: string,
  rounds: readonly { seconds: number; floor: number }[],
  floorName: string,
  max: number,
  note: string,
): Figure {
  const ratios = rounds.map((r) => r.seconds / r.floor);
  const ratio = median(ratios);
  return {
    id,
    label,
    unit: 's',
    value: median(rounds.map((r) => r.seconds)),
    target: `≤ ${max}× ${floorName} (same round)`,
    met: ratio <= max,
    ratios: [{ to: `of ${floorName} (median of the rounds' ratios)`, ratio }],
    note: `rounds ${ratios.map((r) => r.toFixed(2)).join(', ')}; ${note}`,
  };
}

/** "1.23× of …" as printed. */
export const formatRatio = (r: { to: string; ratio: number }): string => `${x(r.ratio)}× ${r.to}`;
