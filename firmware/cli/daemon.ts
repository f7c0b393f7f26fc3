// Starts the terminal daemon for a config: logger, hardware, terminal, control socket, signals.
import { accessSync, constants, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { TerminalConfig } from '../config/schema.ts';
import { createLogger, openLogFile, type Logger } from '../log.ts';
import { Terminal } from '../terminal/terminal.ts';
import { serveControl } from '../control/socket.ts';
import { createHardware, type HardwareOptions } from './hardware.ts';
import { stopHardware } from '../../hal/types.ts';
import { createNotifier } from '../systemd/notify.ts';
import { errorCode } from '../error-code.ts';
import { lockDataDir, type DataDirLock } from './data-dir-lock.ts';
import { checkDataDirStorage, VOLATILE_FIX } from './data-dir-storage.ts';
import type { Clock } from '../clock.ts';

export interface Daemon { terminal: Terminal; log: Logger; stop(): Promise<void> }

export interface DaemonOptions extends Partial<Omit<HardwareOptions, 'photos'>> {
  /** Log to this file instead of stderr (a TUI owns the terminal). */
  logFile?: string;
  /** Why the data directory would not survive a reboot, or null (default: read /proc/self/mountinfo). */
  storageCheck?: (dir: string) => string | null;
  /** The terminal's clock (default: the system's); the explorer steps its wall clock and its boot. */
  clock?: Clock;
}

/** The data directory or the journal in it cannot be used: a message for the technician, exit 73 (EX_CANTCREAT). */
export class DataDirError extends Error {
  override name = 'DataDirError';
}

export async function startDaemon(cfg: TerminalConfig, opts: DaemonOptions = {}): Promise<Daemon> {
  try {
    mkdirSync(cfg.dataDir, { recursive: true, mode: 0o700 });
    accessSync(cfg.dataDir, constants.W_OK | constants.X_OK);
  } catch (e) {
    throw new DataDirError(`data directory ${cfg.dataDir} is not usable (${errorCode(e)}): it must be a directory the daemon can write`);
  }
  // A terminal's journal holds money; a simulator's may live in a tmpfs /tmp.
  const volatile = cfg.hardware === 'pi' ? (opts.storageCheck ?? checkDataDirStorage)(cfg.dataDir) : null;
  if (volatile) throw new DataDirError(`refusing to keep the journal of sales where a reboot erases it: ${volatile}; ${VOLATILE_FIX}`);
  // Before anything in the data dir is touched (log file, journal, control socket).
  const lock = await lockDataDir(cfg.dataDir);
  try {
    return await startLocked(cfg, opts, lock);
  } catch (e) {
    await lock.release();
    throw e;
  }
}

async function startLocked(cfg: TerminalConfig, opts: DaemonOptions, lock: DataDirLock): Promise<Daemon> {
  // Log lines on the cashier's screen would garble it: with the console on a terminal that is also
  // stderr, they go to a file. Under systemd stderr is the journal (which rotates), not the tty.
  const logFile = opts.logFile ?? (!cfg.headless && process.stderr.isTTY ? join(cfg.dataDir, 'klubkort.log') : undefined);
  const log = createLogger({ level: cfg.logLevel, destination: logFile ? openLogFile(logFile) : undefined });
  let terminal: Terminal | null = null;
  const hw = await createHardware(cfg, log, {
    ...opts,
    // The console draws photos from the journal, which opens with the terminal below.
    photos: (sha) => terminal ? terminal.journal.cards.photo(sha) : Promise.resolve(null),
  });
  try {
    terminal = await Terminal.start({ config: cfg, hardware: hw, log, clock: opts.clock });
  } catch (e) {
    await stopHardware(hw);
    // SQLITE_CANTOPEN, SQLITE_NOTADB, SQLITE_CORRUPT, SQLITE_FULL…: never deleted or repaired here, it holds money.
    if (/^SQLITE_/.test(errorCode(e))) throw new DataDirError(`the journal in ${cfg.dataDir} cannot be opened (${(e as Error).message}); it is left as it is`);
    throw e;
  }
  const t = terminal;
  const control = await serveControl(cfg.dataDir, async (cmd) => {
    if (cmd === 'forward') await t.forwardNow();
    return t.snapshot();
  });
  // systemd (Type=notify): serving from here; a no-op outside systemd.
  const notifier = createNotifier(log);
  notifier.ready(`terminal ${cfg.terminalId}`);
  let stopping: Promise<void> | null = null;
  return {
    terminal: t, log,
    stop() {
      stopping ??= (async () => {
        notifier.stopping();
        control.close();
        await t.stop();
        await lock.release();
        notifier.close();
        log.info('terminal stopped');
      })();
      return stopping;
    },
  };
}

/** SIGTERM/SIGINT stop the daemon cleanly (outputs off, journal closed); stray rejections are logged. */
export function handleSignals(d: Daemon, onStopped: () => void = () => process.exit(0)): void {
  const stop = (sig: string) => {
    d.log.info({ sig }, 'stopping');
    d.stop().then(onStopped, () => process.exit(1));
  };
  process.once('SIGTERM', () => stop('SIGTERM'));
  process.once('SIGINT', () => stop('SIGINT'));
  process.on('unhandledRejection', (err) => d.log.error({ err: String(err) }, 'unhandled rejection'));
}
