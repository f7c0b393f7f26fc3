// Starts the terminal daemon for a config: logger, hardware, terminal, control socket, signals.
import { accessSync, constants, existsSync, mkdirSync, watch, type FSWatcher } from 'node:fs';
import type { TerminalConfig } from '../config/schema.ts';
import { createLogger, openLogFile, type Logger } from '../log.ts';
import { processLog } from './daemon-log.ts';
import { Terminal } from '../terminal/terminal.ts';
import { serveControl } from '../control/socket.ts';
import { createHardware, type HardwareOptions } from './hardware.ts';
import { stopHardware } from '../../hal/types.ts';
import { storeOnceOpen } from '../journal/prepared-photos.ts';
import { createNotifier } from '../systemd/notify.ts';
import { awaitLinkGate } from '../systemd/ready-gate.ts';
import { layoutOf, releaseOf, rolledBackVersions, updateReportOf } from '../release/releases.ts';
import { loadTrustedKeys, RELEASE_KEYS_DIR } from '../release/signing.ts';
import { testPause } from '../release/test-pause.ts';
import { join } from 'node:path';
import { errorCode } from '../error-code.ts';
import { lockDataDir, type DataDirLock } from './data-dir-lock.ts';
import { checkDataDirStorage, VOLATILE_FIX } from './data-dir-storage.ts';
import { systemClock, type Clock } from '../clock.ts';
import { processEnd, type ProcessEnd } from './stdio-terminals.ts';

export interface Daemon {
  terminal: Terminal;
  log: Logger;
  stop(): Promise<void>;
}

export interface DaemonOptions extends Partial<Omit<HardwareOptions, 'photos' | 'prepared'>> {
  /** Log to this file instead of stderr (a TUI owns the terminal). */
  logFile?: string;
  /** systemd's variables for sd_notify (default: this process's environment; notify.ts takeNotifyEnv). */
  notifyEnv?: NodeJS.ProcessEnv;
  /** Why the data directory would not survive a reboot, or null (default: read /proc/self/mountinfo). */
  storageCheck?: (dir: string) => string | null;
  /** The terminal's clock (default: the system's); the explorer steps its wall clock and its boot. */
  clock?: Clock;
  /** The script node runs (default process.argv[1]): which release this is, and whether it is on trial. */
  mainFile?: string;
  /** Where /opt/klubkort is (default /). */
  root?: string;
  /** The health gate failed (a release on trial the broker refuses): default stopUnhealthy. */
  onUnhealthy?: (d: Daemon) => void;
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
    throw new DataDirError(
      `data directory ${cfg.dataDir} is not usable (${errorCode(e)}): it must be a directory the daemon can write`,
    );
  }
  // A terminal's journal holds money; a simulator's may live in a tmpfs /tmp.
  const volatile = cfg.hardware === 'pi' ? (opts.storageCheck ?? checkDataDirStorage)(cfg.dataDir) : null;
  if (volatile)
    throw new DataDirError(
      `refusing to keep the journal of sales where a reboot erases it: ${volatile}; ${VOLATILE_FIX}`,
    );
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
  // Which of its stdio are terminals is known now, before any of them can hang up.
  const end = processEnd();
  // Log lines on the cashier's screen would garble it: the journal or a file (daemon-log.ts).
  const log = opts.logFile
    ? createLogger({ level: cfg.logLevel, destination: openLogFile(opts.logFile) })
    : processLog(cfg.logLevel, { headless: cfg.headless, dataDir: cfg.dataDir });
  let terminal: Terminal | null = null;
  // The composition root: every wait of the daemon runs on this clock's timers.
  const clock = opts.clock ?? systemClock();
  // Photos prepared ahead, in the journal too (which opens with the terminal below).
  const prepared = storeOnceOpen();
  const hw = await createHardware(cfg, log, {
    ...opts,
    timers: clock.timers,
    // The console draws photos from the journal, which opens with the terminal below.
    photos: (sha) => (terminal ? terminal.journal.cards.photo(sha) : Promise.resolve(null)),
    prepared,
  });
  const layout = layoutOf(opts.root ?? '/');
  const release = releaseOf(layout, opts.mainFile ?? process.argv[1] ?? '');
  try {
    const keysDir = join(opts.root ?? '/', RELEASE_KEYS_DIR);
    terminal = await Terminal.start({
      config: cfg,
      hardware: hw,
      log,
      clock,
      update: () => updateReportOf(layout, release.version),
      release: {
        running: release.version,
        rolledBack: () => rolledBackVersions(layout),
        trusted: () => {
          const { keys, problems } = loadTrustedKeys(keysDir);
          for (const p of problems) log.warn({ part: 'update' }, p);
          return keys;
        },
      },
    });
  } catch (e) {
    await stopHardware(hw);
    // SQLITE_CANTOPEN, SQLITE_NOTADB, SQLITE_CORRUPT, SQLITE_FULL…: never deleted or repaired here, it holds money.
    if (/^SQLITE_/.test(errorCode(e)))
      throw new DataDirError(
        `the journal in ${cfg.dataDir} cannot be opened (${(e as Error).message}); it is left as it is`,
      );
    throw e;
  }
  const t = terminal;
  prepared.open(t.journal.prepared);
  // The release layout changes under the daemon (its commit after READY, a rollback): the status
  // says so at once, not at its next count.
  const layoutWatch = watchLayout(layout.app, () => void t.status.refresh(), log);
  const control = await serveControl(cfg.dataDir, async (cmd) => {
    if (cmd === 'idle') return { idle: t.idle() };
    if (cmd === 'forward') await t.forwardNow();
    return t.snapshot();
  });
  // systemd (Type=notify): READY=1 once the health gate passes (ready-gate.ts); a no-op outside systemd.
  const notifier = createNotifier(log, clock.timers, opts.notifyEnv);
  let stopping: Promise<void> | null = null;
  const daemon: Daemon = {
    terminal: t,
    log,
    stop() {
      stopping ??= (async () => {
        notifier.stopping();
        layoutWatch?.close();
        control.close();
        await t.stop();
        await lock.release();
        notifier.close();
        log.info('terminal stopped');
      })();
      return stopping;
    },
  };
  if (notifier.active) {
    notifier.watchdog();
    void awaitLinkGate(t.link, release.trial, clock.timers).then(async (v) => {
      if (stopping !== null) return;
      if (v.verdict === 'ready') {
        await testPause('before-ready', (line) => log.warn(line));
        log.info({ release: release.version, trial: release.trial, why: v.why }, 'health gate passed: READY');
        notifier.ready(`terminal ${cfg.terminalId}`);
      } else {
        log.error(
          { release: release.version, why: v.why },
          'health gate failed: this release does not say READY and stops (the previous one is put back)',
        );
        (opts.onUnhealthy ?? ((d) => stopUnhealthy(d, end)))(daemon);
      }
    });
  }
  return daemon;
}

/** Watches /opt/klubkort (its links) while it exists; null outside the release layout. */
function watchLayout(dir: string, changed: () => void, log: Logger): FSWatcher | null {
  if (!existsSync(dir)) return null;
  try {
    const w = watch(dir, { persistent: false }, changed);
    w.on('error', (e) => log.debug({ err: e.message }, 'watching the release layout ended'));
    return w;
  } catch (e) {
    log.debug({ err: (e as Error).message }, 'the release layout cannot be watched');
    return null;
  }
}

/**
 * A release that failed its health gate stops and exits 70, so that the unit fails and its rollback
 * runs. Its terminal may hang up during that stop as during any other (see processEnd).
 */
export function stopUnhealthy(d: Daemon, end: ProcessEnd = processEnd()): void {
  void d.stop().finally(() => end.exit(70));
}

/**
 * SIGTERM/SIGINT stop the daemon cleanly (outputs off, journal closed); so does SIGHUP, its terminal
 * gone: in the kiosk the unit's stop ends cage, foot closes the terminal, and the kernel's SIGHUP
 * would otherwise kill the daemon in the middle of its own stop. Stray rejections are logged.
 * The terminal may also hang up while the stop runs, its SIGHUP not yet handled when the stop ends
 * (the kiosk's stop ends cage and foot at the same time): processEnd's exit checks for that.
 */
export function handleSignals(d: Daemon, end: ProcessEnd = processEnd()): void {
  let hungUp = false;
  let stopping = false;
  const stopped = (code: number) => (hungUp ? end.hangUp() : end.exit(code));
  const stop = (sig: string) => {
    if (stopping) return;
    stopping = true;
    d.log.info({ sig }, 'stopping');
    d.stop().then(
      () => stopped(0),
      () => stopped(1),
    );
  };
  const onHangUp = () => {
    hungUp = true;
    // The screen is gone: drawing the last frame fails (EIO), which must not end the stop half way.
    for (const s of [process.stdout, process.stderr]) s.on('error', () => undefined);
    stop('SIGHUP');
  };
  process.once('SIGTERM', () => stop('SIGTERM'));
  process.once('SIGINT', () => stop('SIGINT'));
  process.on('SIGHUP', onHangUp);
  process.on('unhandledRejection', (err) => d.log.error({ err: String(err) }, 'unhandled rejection'));
}
