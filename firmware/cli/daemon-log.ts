// Where the daemon's log lines go. The journal is where a technician looks (docs/deploy.md): under
// systemd stderr is the journal (StandardError=journal), except in the kiosk, where stderr is
// foot's terminal, the cashier's screen: there the lines go to the journal through systemd-cat. A
// daemon run by hand with its screen on the terminal writes them to a file in the data dir, so
// they never garble the screen; headless, to stderr.
import { join } from 'node:path';
import { createLogger, openLogFile, type Logger } from '../log.ts';
import { journaldDestination } from '../systemd/journald.ts';
import { inKiosk } from '../systemd/kiosk.ts';

export type LogTarget =
  | { to: 'stderr' }
  | { to: 'file'; path: string }
  /** `fallback`: the file when the journal cannot be reached (null: stderr). */
  | { to: 'journal'; fallback: string | null };

export interface LogSituation {
  /** No screen of our own on the terminal (config `headless`). */
  headless: boolean;
  stderrIsTTY: boolean;
  /** Run by klubkort.service inside its kiosk (systemd/kiosk.ts). */
  kiosk: boolean;
  /** The data directory, once known (a broken config has none). */
  dataDir?: string;
}

export function logTarget(s: LogSituation): LogTarget {
  if (!s.stderrIsTTY) return { to: 'stderr' };
  const file = s.dataDir === undefined ? null : join(s.dataDir, 'klubkort.log');
  if (s.kiosk) return { to: 'journal', fallback: file };
  return !s.headless && file ? { to: 'file', path: file } : { to: 'stderr' };
}

export function openLog(target: LogTarget, level?: string): Logger {
  const destination =
    target.to === 'file'
      ? openLogFile(target.path)
      : target.to === 'journal'
        ? journaldDestination({
            identifier: 'klubkort',
            fallback: () => (target.fallback ? openLogFile(target.fallback) : process.stderr),
          })
        : undefined;
  return createLogger({ level, destination });
}

/** The logger for this process: its stderr and environment decide the target. */
export function processLog(level: string | undefined, o: { headless: boolean; dataDir?: string }): Logger {
  return openLog(logTarget({ ...o, stderrIsTTY: !!process.stderr.isTTY, kiosk: inKiosk(process.env) }), level);
}
