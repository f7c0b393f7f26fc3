// Long SQLite jobs cut into chunks (a roster's erasure, the retention purge) rest between chunks
// as long as the chunk took (at most MAX_REST_MS): their thread-pool work then takes at most about
// half of the CPU the process may use. On a Pi the pool runs on other cores; under a CPU quota for
// the whole process (systemd's CPUQuota, the bench's Pi-class column) every thread's CPU is taken
// from the event loop's, and a burst of chunks froze the keys for 200 ms at a time.
import type { Timers } from '../../lib/timers.ts';

const MAX_REST_MS = 50;

/** Waits as long as has passed since `since` (performance.now()), at most MAX_REST_MS; monotonic. */
export function restAfter(since: number, timers: Timers): Promise<void> {
  const ms = Math.min(MAX_REST_MS, Math.max(0, performance.now() - since));
  return new Promise((resolve) => timers.setTimeout(resolve, ms));
}
