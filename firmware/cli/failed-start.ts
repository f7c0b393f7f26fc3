// A start that cannot succeed until a technician acts: a broken config, a data directory the
// journal cannot live in, a journal of another terminal, a missing system package. Exiting would
// have systemd restart the daemon every 2 s forever (the kiosk's cage exits 1 whatever the daemon
// said, so RestartPreventExitStatus= cannot tell these apart), the Pi's CPU busy with starts and
// the screen flashing. Under systemd the daemon waits instead: the message stays on the screen and
// in `systemctl status` (STATUS=), the watchdog is fed, and it exits, to be started again, once one
// of the files the fix would touch changes, or after an hour.
import { statSync } from 'node:fs';
import { createNotifier, type Notifier } from '../systemd/notify.ts';
import type { Logger } from '../log.ts';
import type { Intervals } from '../../lib/timers.ts';

/** How often the files are looked at; how long at most before a start is tried again anyway. */
export const HOLD_POLL_MS = 2000;
export const HOLD_MAX_MS = 3_600_000;

export interface HoldOptions {
  /** Files whose change may be the fix (the config file, the journal). */
  watch: readonly string[];
  log: Logger;
  env?: NodeJS.ProcessEnv;
  pollMs?: number;
  maxMs?: number;
  notifier?: (log: Logger, timers: Intervals, env: NodeJS.ProcessEnv) => Notifier;
  /** The watchdog's and the poll's. */
  timers: Intervals;
}

const stamp = (path: string): string => {
  try {
    const s = statSync(path);
    return `${s.mtimeMs}:${s.size}:${s.ino}`;
  } catch {
    return 'absent';
  }
};

/**
 * Resolves with `code` at once outside systemd (NOTIFY_SOCKET unset: a technician's shell or a
 * test sees the exit); under systemd once a watched file changes or `maxMs` passed.
 */
export async function holdFailedStart(message: string, code: number, o: HoldOptions): Promise<number> {
  const env = o.env ?? process.env;
  const notifier = (o.notifier ?? createNotifier)(o.log, o.timers, env);
  if (!notifier.active) return code;
  // The cashier reads this on the kiosk screen (stderr is foot's terminal there).
  process.stderr.write(
    '\nTerminalen kan ikke starte. Kontakt teknikeren. / The terminal cannot start: call the technician.\n',
  );
  notifier.ready(`klubkort cannot start (exit ${code}): ${message}`.replace(/\s+/g, ' ').slice(0, 400));
  o.log.error(
    { code, reason: message, watch: o.watch },
    'start failed: waiting for the config or journal to change before exiting (no restart loop)',
  );
  const before = o.watch.map(stamp);
  const started = performance.now();
  await new Promise<void>((resolve) => {
    const timer = o.timers.setInterval(() => {
      const changed = o.watch.some((p, i) => stamp(p) !== before[i]);
      if (changed || performance.now() - started >= (o.maxMs ?? HOLD_MAX_MS)) {
        o.timers.clearInterval(timer);
        resolve();
      }
    }, o.pollMs ?? HOLD_POLL_MS);
  });
  notifier.close();
  return code;
}
