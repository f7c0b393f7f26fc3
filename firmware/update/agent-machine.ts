// The terminal's update agent (contract 1.2 § releases), its decisions pure: what the retained
// `update` announcement asks of this terminal, and each step from the download to the hand-over to
// the root side (klubkort-update.service). The runner (agent.ts) performs the effects and feeds
// their outcomes back as events.
import type { UpdateAnnouncement, UpdateReport } from '../../contract/release.ts';

/** What the agent knows of the terminal when it decides. */
export interface AgentFacts {
  /** The release this daemon runs; null outside the release layout (a checkout): updated by hand only. */
  running: string | null;
  /** process.arch. */
  arch: string;
  /** Versions this terminal rolled back from (/opt/klubkort/rolled-back): never installed again. */
  rolledBack: readonly string[];
  /** Announcements whose bundle was refused (signature, hash, arch, journal…): not fetched again. */
  refused: readonly Refusal[];
}

export interface Refusal {
  version: string;
  sha256: string;
  error: string;
}

export type Wanted = { act: true } | { act: false; why: string; refusal?: Refusal };

/** The architecture a bundle's file name says (`klubkort-<version>-linux-<arch>.tar.gz`), or null. */
export function archOfUrl(url: string): string | null {
  let path: string;
  try {
    path = new URL(url).pathname;
  } catch {
    return null;
  }
  return /-linux-([a-z0-9]+)\.tar\.gz$/.exec(path)?.[1] ?? null;
}

/** Whether this terminal should fetch and install the announced release. */
export function wanted(a: UpdateAnnouncement | null, f: AgentFacts): Wanted {
  if (a === null) return { act: false, why: 'no update is announced' };
  if (f.running === null)
    return { act: false, why: 'this daemon does not run from /opt/klubkort/releases: install releases by hand' };
  if (a.version === f.running) return { act: false, why: `release ${a.version} is the one running` };
  if (f.rolledBack.includes(a.version))
    return { act: false, why: `release ${a.version} was rolled back from on this terminal: not installed again` };
  const refusal = f.refused.find((r) => r.version === a.version && r.sha256 === a.sha256);
  if (refusal)
    return { act: false, why: `this bundle of release ${a.version} was refused before: ${refusal.error}`, refusal };
  const arch = archOfUrl(a.url);
  if (arch !== null && arch !== f.arch)
    return { act: false, why: `the bundle is for ${arch}, this terminal is ${f.arch}` };
  return { act: true };
}

export type AgentState =
  | { s: 'none' }
  | { s: 'downloading'; a: UpdateAnnouncement; attempt: number }
  | { s: 'retry_wait'; a: UpdateAnnouncement; attempt: number }
  | { s: 'verifying'; a: UpdateAnnouncement }
  /** Downloaded and verified: waits for an idle till. */
  | { s: 'verified'; a: UpdateAnnouncement }
  /** Handed to the root side, which installs it and restarts the daemon. */
  | { s: 'staged'; a: UpdateAnnouncement }
  | { s: 'failed'; a: UpdateAnnouncement; error: string };

export type AgentEvent =
  | { type: 'announced'; a: UpdateAnnouncement | null }
  | { type: 'downloaded' }
  /** `permanent`: the bytes are not the announced ones (not fetched again); else tried again later. */
  | { type: 'downloadFailed'; error: string; permanent: boolean }
  | { type: 'retry' }
  | { type: 'verified' }
  | { type: 'refused'; error: string }
  /** Polled: whether the till is idle now, and what the root side said of a hand-over (null: nothing yet). */
  | { type: 'tick'; tillIdle: boolean; rootFailed: string | null }
  | { type: 'handOverFailed'; error: string };

export type ReportState = 'downloading' | 'verified' | 'staged' | 'failed';

export type AgentEffect =
  | { type: 'download'; a: UpdateAnnouncement }
  | { type: 'abortDownload' }
  | { type: 'verify'; a: UpdateAnnouncement }
  | { type: 'handOver'; a: UpdateAnnouncement }
  | { type: 'retryAfter'; ms: number }
  | { type: 'cancelRetry' }
  | { type: 'rememberRefusal'; refusal: Refusal }
  /** Removes downloaded bundles but this version's (null: all). */
  | { type: 'keepOnly'; version: string | null }
  /** The agent's part of the status (null: the release layout tells it). */
  | { type: 'report'; report: Omit<UpdateReport, 'at'> | null }
  | { type: 'log'; level: 'info' | 'warn'; msg: string };

export interface Step {
  state: AgentState;
  effects: AgentEffect[];
}

const RETRY_MIN_MS = 2_000;
const RETRY_MAX_MS = 5 * 60_000;

/** The wait before download attempt `attempt + 1`: doubling from 2 s, at most 5 min. */
export function retryDelay(attempt: number): number {
  return Math.min(RETRY_MAX_MS, RETRY_MIN_MS * 2 ** Math.min(Math.max(attempt - 1, 0), 16));
}

const same = (x: UpdateAnnouncement, y: UpdateAnnouncement | null): boolean =>
  y !== null && x.version === y.version && x.sha256 === y.sha256 && x.size === y.size && x.url === y.url;

const report = (a: UpdateAnnouncement, state: ReportState, error: string | null = null): AgentEffect => ({
  type: 'report',
  report: { version: a.version, state, error },
});

const failed = (a: UpdateAnnouncement, error: string): Step => ({
  state: { s: 'failed', a, error },
  effects: [
    { type: 'rememberRefusal', refusal: { version: a.version, sha256: a.sha256, error } },
    { type: 'keepOnly', version: null },
    report(a, 'failed', error),
    { type: 'log', level: 'warn', msg: `update to ${a.version} refused: ${error}` },
  ],
});

const stay = (state: AgentState): Step => ({ state, effects: [] });

function announced(state: AgentState, a: UpdateAnnouncement | null, f: AgentFacts): Step {
  // The root side is installing it: what comes next is decided by the release it restarts.
  if (state.s === 'staged') return stay(state);
  if (state.s !== 'none' && same(state.a, a)) return stay(state);
  const stop: AgentEffect[] =
    state.s === 'downloading' ? [{ type: 'abortDownload' }] : state.s === 'retry_wait' ? [{ type: 'cancelRetry' }] : [];
  const w = wanted(a, f);
  if (!w.act) {
    if (w.refusal && a)
      return {
        state: { s: 'failed', a, error: w.refusal.error },
        effects: [...stop, { type: 'keepOnly', version: null }, report(a, 'failed', w.refusal.error)],
      };
    return {
      state: { s: 'none' },
      effects: [
        ...stop,
        { type: 'keepOnly', version: null },
        { type: 'report', report: null },
        { type: 'log', level: 'info', msg: `no update: ${w.why}` },
      ],
    };
  }
  if (a === null) return stay(state); // wanted() acts on an announcement only
  return {
    state: { s: 'downloading', a, attempt: 1 },
    effects: [
      ...stop,
      { type: 'keepOnly', version: a.version },
      report(a, 'downloading'),
      { type: 'log', level: 'info', msg: `update to ${a.version} announced: downloading` },
      { type: 'download', a },
    ],
  };
}

/** One event: the next state and what to do. */
export function step(state: AgentState, ev: AgentEvent, f: AgentFacts): Step {
  switch (ev.type) {
    case 'announced':
      return announced(state, ev.a, f);
    case 'downloaded':
      if (state.s !== 'downloading') return stay(state);
      return { state: { s: 'verifying', a: state.a }, effects: [{ type: 'verify', a: state.a }] };
    case 'downloadFailed': {
      if (state.s !== 'downloading') return stay(state);
      if (ev.permanent) return failed(state.a, ev.error);
      const ms = retryDelay(state.attempt);
      return {
        state: { s: 'retry_wait', a: state.a, attempt: state.attempt },
        effects: [
          report(state.a, 'downloading', `${ev.error}; trying again in ${Math.round(ms / 1000)} s`),
          { type: 'retryAfter', ms },
          {
            type: 'log',
            level: 'warn',
            msg: `download of ${state.a.version} failed (attempt ${state.attempt}): ${ev.error}`,
          },
        ],
      };
    }
    case 'retry':
      if (state.s !== 'retry_wait') return stay(state);
      return {
        state: { s: 'downloading', a: state.a, attempt: state.attempt + 1 },
        effects: [{ type: 'download', a: state.a }],
      };
    case 'verified':
      if (state.s !== 'verifying') return stay(state);
      return {
        state: { s: 'verified', a: state.a },
        effects: [
          report(state.a, 'verified'),
          {
            type: 'log',
            level: 'info',
            msg: `release ${state.a.version} downloaded and verified: installed once the till is idle`,
          },
        ],
      };
    case 'refused':
      return state.s === 'verifying' ? failed(state.a, ev.error) : stay(state);
    case 'tick':
      if (state.s === 'verified' && ev.tillIdle) {
        return {
          state: { s: 'staged', a: state.a },
          effects: [
            { type: 'handOver', a: state.a },
            report(state.a, 'staged'),
            {
              type: 'log',
              level: 'info',
              msg: `the till is idle: release ${state.a.version} handed over for installation`,
            },
          ],
        };
      }
      if (state.s === 'staged' && ev.rootFailed !== null) return failed(state.a, ev.rootFailed);
      return stay(state);
    case 'handOverFailed':
      if (state.s !== 'staged') return stay(state);
      // Not the bundle's fault (a full disk): tried again at the next idle moment.
      return {
        state: { s: 'verified', a: state.a },
        effects: [
          report(state.a, 'verified', ev.error),
          { type: 'log', level: 'warn', msg: `handing ${state.a.version} over failed: ${ev.error}` },
        ],
      };
  }
}
