// Starts the terminal daemon for a config: logger, hardware, terminal, control socket, signals.
import { createWriteStream } from 'node:fs';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { TerminalConfig } from '../config/schema.ts';
import { createLogger, type Logger } from '../log.ts';
import { Terminal } from '../terminal.ts';
import { serveControl } from '../control/socket.ts';
import type { Hardware } from '../../hal/types.ts';
import { createSimHardware } from '../../hal/sim/index.ts';

export interface Daemon { terminal: Terminal; log: Logger; stop(): Promise<void> }

export interface DaemonOptions {
  /** Extra devices layered on the configured ones (the simulator's TUI). */
  decorate?: (hw: Hardware, log: Logger) => Promise<Hardware> | Hardware;
  /** Log to this file instead of stderr (a TUI owns the terminal). */
  logFile?: string;
}

export async function startDaemon(cfg: TerminalConfig, opts: DaemonOptions = {}): Promise<Daemon> {
  mkdirSync(cfg.dataDir, { recursive: true, mode: 0o700 });
  const logFile = opts.logFile ?? (cfg.headless ? undefined : join(cfg.dataDir, 'klubkort.log'));
  const log = createLogger({ level: cfg.logLevel, destination: logFile ? createWriteStream(logFile, { flags: 'a' }) : undefined });
  let hw = await createHardware(cfg, log);
  if (opts.decorate) hw = await opts.decorate(hw, log);
  const terminal = await Terminal.start({ config: cfg, hardware: hw, log });
  const control = await serveControl(cfg.dataDir, async (cmd) => {
    if (cmd === 'forward') await terminal.forwardNow();
    return terminal.snapshot();
  });
  let stopping: Promise<void> | null = null;
  return {
    terminal, log,
    stop() {
      stopping ??= (async () => {
        control.close();
        await terminal.stop();
        log.info('terminal stopped');
      })();
      return stopping;
    },
  };
}

async function createHardware(cfg: TerminalConfig, log: Logger): Promise<Hardware> {
  if (cfg.hardware === 'sim') return createSimHardware({ brokerUrl: cfg.broker.url, terminalId: cfg.terminalId, log });
  throw new Error('hardware "pi" is not available in this build');
}

/** SIGTERM/SIGINT stop the daemon cleanly (outputs off, journal closed); bad luck elsewhere is logged. */
export function handleSignals(d: Daemon): void {
  const stop = (sig: string) => {
    d.log.info({ sig }, 'stopping');
    d.stop().then(() => process.exit(0), () => process.exit(1));
  };
  process.once('SIGTERM', () => stop('SIGTERM'));
  process.once('SIGINT', () => stop('SIGINT'));
  process.on('unhandledRejection', (err) => d.log.error({ err: String(err) }, 'unhandled rejection'));
}
