// `klubkort status` and `forward` without --data-dir: the daemon that answers among the places one
// usually runs (the installed terminal's data dir, a simulator's terminals).
import { askControl } from '../control/socket.ts';
import type { Timers } from '../../lib/timers.ts';

export type Found = { dir: string } | { error: string };

export async function findDaemon(candidates: string[], timers: Timers, timeoutMs = 2000): Promise<Found> {
  const answers = await Promise.all(
    candidates.map((d) =>
      askControl(d, 'status', timers, timeoutMs).then(
        (r) => r.ok,
        () => false,
      ),
    ),
  );
  const running = candidates.filter((_, i) => answers[i]);
  if (running.length === 1) return { dir: running[0] };
  if (running.length > 1)
    return { error: `several daemons are running (data dirs ${running.join(', ')}): give --data-dir DIR` };
  return {
    error: `no running daemon found in ${candidates.join(', ')}: start one (npm run sim, or the klubkort service), or give --data-dir DIR`,
  };
}
