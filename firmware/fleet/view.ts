// The fleet as its retained statuses show it: one row per terminal, the checks a monitoring system
// runs on them, and the table a technician reads. Pure: the statuses and the time come in.
import { parsePayload, StatusMsg, type UpdateReport } from '../../contract/index.ts';
import { compareVersions } from '../release/manifest.ts';

export interface FleetRow {
  terminal: string;
  club: string | null;
  state: 'online' | 'offline' | 'invalid';
  version: string | null;
  /** Online: connected since (the terminal's clock). */
  since: string | null;
  queue: number | null;
  /** When the oldest unanswered sale or void was made (the terminal's clock). */
  queueOldest: string | null;
  reader: string | null;
  update: UpdateReport | null;
  /** Offline: since when this tool has seen it offline (its --state file), null if unknown. */
  offlineSince: string | null;
  /** Why the status could not be read (state `invalid`). */
  error?: string;
}

/** Rows from the retained statuses by terminal id (an empty payload is no terminal: a cleared status). */
export function fleetRows(
  statuses: ReadonlyMap<string, Buffer>,
  offlineSince: ReadonlyMap<string, string> = new Map(),
): FleetRow[] {
  const rows: FleetRow[] = [];
  for (const [terminal, payload] of [...statuses].sort(([a], [b]) => (a < b ? -1 : 1))) {
    if (payload.length === 0) continue;
    const base = {
      terminal,
      club: null,
      version: null,
      since: null,
      queue: null,
      queueOldest: null,
      reader: null,
      update: null,
      offlineSince: null,
    };
    const p = parsePayload(StatusMsg, payload);
    if (!p.ok) {
      rows.push({ ...base, state: 'invalid', error: p.error });
      continue;
    }
    const s = p.value;
    if (s.state === 'offline') {
      rows.push({
        ...base,
        state: 'offline',
        club: s.club ?? null,
        version: s.version ?? null,
        offlineSince: offlineSince.get(terminal) ?? null,
      });
    } else {
      rows.push({
        ...base,
        state: 'online',
        club: s.club ?? null,
        version: s.version,
        since: s.since,
        queue: s.queue,
        queueOldest: s.queueOldest ?? null,
        reader: s.reader ?? null,
        update: s.update ?? null,
      });
    }
  }
  return rows;
}

/** The monitoring state kept between runs: when each offline terminal was first seen offline. */
export function nextOfflineSince(
  rows: readonly FleetRow[],
  before: ReadonlyMap<string, string>,
  now: Date,
): Map<string, string> {
  return new Map(
    rows.filter((r) => r.state === 'offline').map((r) => [r.terminal, before.get(r.terminal) ?? now.toISOString()]),
  );
}

export interface FleetLimits {
  /** A terminal offline longer than this many minutes is a problem (one offline for an unknown time too). */
  offlineMinutes?: number;
  /** A terminal whose oldest unanswered sale is older than this many minutes is a problem. */
  queueMinutes?: number;
  /** The version every terminal should run (default: the newest any terminal reports). */
  version?: string;
}

export interface FleetProblem {
  terminal: string;
  problem: string;
}

const minutesSince = (iso: string, now: Date): number => (now.getTime() - Date.parse(iso)) / 60_000;

/** What `fleet --check` reports; empty when all is well. */
export function fleetProblems(rows: readonly FleetRow[], limits: FleetLimits, now: Date): FleetProblem[] {
  const out: FleetProblem[] = [];
  const versions = rows.map((r) => r.version).filter((v): v is string => v !== null);
  const expected = limits.version ?? versions.sort(compareVersions).at(-1);
  for (const r of rows) {
    if (r.state === 'invalid') {
      out.push({ terminal: r.terminal, problem: `unreadable status: ${r.error}` });
      continue;
    }
    if (r.state === 'offline' && limits.offlineMinutes !== undefined) {
      if (r.offlineSince === null)
        out.push({
          terminal: r.terminal,
          problem: 'offline (for how long is unknown: --state FILE remembers it between runs)',
        });
      else if (minutesSince(r.offlineSince, now) > limits.offlineMinutes) {
        out.push({
          terminal: r.terminal,
          problem: `offline for ${Math.floor(minutesSince(r.offlineSince, now))} min (limit ${limits.offlineMinutes})`,
        });
      }
    }
    if (
      limits.queueMinutes !== undefined &&
      r.queueOldest !== null &&
      minutesSince(r.queueOldest, now) > limits.queueMinutes
    ) {
      out.push({
        terminal: r.terminal,
        problem: `${r.queue} unanswered, the oldest for ${Math.floor(minutesSince(r.queueOldest, now))} min (limit ${limits.queueMinutes})`,
      });
    }
    if (expected !== undefined && r.version !== null && compareVersions(r.version, expected) < 0) {
      out.push({ terminal: r.terminal, problem: `runs ${r.version}, behind ${expected}` });
    }
  }
  return out;
}

/** A duration in the largest fitting unit (3 d, 5 h, 12 min, 40 s). */
export function ago(iso: string | null, now: Date): string {
  if (iso === null) return '-';
  const s = Math.max(0, Math.floor((now.getTime() - Date.parse(iso)) / 1000));
  if (s >= 86_400) return `${Math.floor(s / 86_400)} d`;
  if (s >= 3600) return `${Math.floor(s / 3600)} h`;
  if (s >= 60) return `${Math.floor(s / 60)} min`;
  return `${s} s`;
}

/** The technician's table: one line per terminal. */
export function fleetTable(rows: readonly FleetRow[], now: Date): string {
  const head = ['TERMINAL', 'CLUB', 'STATE', 'VERSION', 'SINCE', 'QUEUE', 'OLDEST', 'READER', 'UPDATE'];
  const lines = rows.map((r) => [
    r.terminal,
    r.club ?? '-',
    r.state,
    r.version ?? '-',
    r.state === 'online' ? ago(r.since, now) : r.state === 'offline' && r.offlineSince ? ago(r.offlineSince, now) : '-',
    r.queue === null ? '-' : String(r.queue),
    ago(r.queueOldest, now),
    r.reader ?? '-',
    r.update ? `${r.update.version} ${r.update.state}${r.update.error ? ` (${r.update.error})` : ''}` : '-',
  ]);
  const width = head.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i].length)));
  const fmt = (cols: string[]) =>
    cols
      .map((c, i) => (i === cols.length - 1 ? c : c.padEnd(width[i])))
      .join('  ')
      .trimEnd();
  return [fmt(head), ...lines.map(fmt)].join('\n') + (rows.length === 0 ? '\n(no terminal has a retained status)' : '');
}
