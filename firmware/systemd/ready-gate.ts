// When the daemon may tell systemd READY=1. The journal is open and migrated and the screen drawn
// before this is asked (Terminal.start); what is left is the link to the broker: connected within
// LINK_GATE_MS if the broker can be reached. A broker that cannot be reached (no network) is no
// reason to hold READY back: the till sells offline. A broker that answers but refuses the link
// (TLS, not authorised, refused, unavailable) is, for a release on trial (installed over one it
// can go back to, not yet committed): such a release exits, and the unit's failure puts the
// previous one back (klubkort rollback). A committed release is READY regardless: it proved it can
// link, and a till that must sell does not stop for the broker's reasons.
import type { LinkTrouble } from '../ledger/link.ts';
import type { Timers } from '../../lib/timers.ts';

export const LINK_GATE_MS = 20_000;

export type GateVerdict = { verdict: 'wait' } | { verdict: 'ready'; why: string } | { verdict: 'fail'; why: string };

export function linkGate(s: {
  connected: boolean;
  trouble: LinkTrouble | null;
  elapsedMs: number;
  trial: boolean;
  boundMs?: number;
}): GateVerdict {
  if (s.connected) return { verdict: 'ready', why: 'connected to the broker' };
  if (s.trouble === 'unreachable') return { verdict: 'ready', why: 'the broker cannot be reached: selling offline' };
  const over = s.elapsedMs >= (s.boundMs ?? LINK_GATE_MS);
  if (s.trouble !== null && !s.trial)
    return { verdict: 'ready', why: `the broker refuses the link (${s.trouble}): selling offline` };
  if (!over) return { verdict: 'wait' };
  if (s.trouble !== null)
    return {
      verdict: 'fail',
      why: `a release on trial that the broker refuses (${s.trouble}) within ${s.boundMs ?? LINK_GATE_MS} ms`,
    };
  return { verdict: 'ready', why: 'no answer from the broker in time: selling offline' };
}

interface LinkLike {
  readonly connected: boolean;
  readonly trouble: LinkTrouble | null;
  on(e: 'connected' | 'trouble', f: () => void): unknown;
  off(e: 'connected' | 'trouble', f: () => void): unknown;
}

/** Waits (monotonic) for linkGate's verdict on `link`: ready or fail. */
export function awaitLinkGate(
  link: LinkLike,
  trial: boolean,
  timers: Timers,
  boundMs = LINK_GATE_MS,
): Promise<Exclude<GateVerdict, { verdict: 'wait' }>> {
  const start = performance.now();
  return new Promise((resolve) => {
    const check = (timedOut = false) => {
      const elapsedMs = timedOut ? boundMs : performance.now() - start;
      const v = linkGate({ connected: link.connected, trouble: link.trouble, elapsedMs, trial, boundMs });
      if (v.verdict === 'wait') return;
      timers.clearTimeout(timer);
      link.off('connected', onEvent);
      link.off('trouble', onEvent);
      resolve(v);
    };
    const onEvent = () => check();
    const timer = timers.setTimeout(() => check(true), boundMs);
    link.on('connected', onEvent);
    link.on('trouble', onEvent);
    check();
  });
}
