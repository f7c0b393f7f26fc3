// `klubkort selftest [--config FILE] [--wait-card SECONDS]`: builds the configured reader and indicators (Pi or sim),
// runs the technician's selftest (selftest.ts) on them and the broker check, then releases them.
import { execFileSync } from 'node:child_process';
import { parseArgs } from 'node:util';
import { z } from 'zod';
import type { TerminalConfig } from '../config/schema.ts';
import { ConfigError, loadConfigFile } from '../config/load.ts';
import { askControl } from '../control/socket.ts';
import { createLogger } from '../log.ts';
import { piDevices, simDevices } from './hardware.ts';
import { runSelftest } from './selftest.ts';
import { systemChecks } from './selftest-system.ts';
import { checkBroker } from './provision/broker-check.ts';
import { systemTimers } from '../../lib/timers.ts';

export const DEFAULT_CONFIG = '/etc/klubkort/config.json';

export async function selftestCommand(argv: string[]): Promise<number> {
  let values;
  try {
    values = parseArgs({
      args: argv,
      options: { config: { type: 'string' }, 'wait-card': { type: 'string' } },
      strict: true,
    }).values;
  } catch (e) {
    process.stderr.write(`klubkort selftest: ${(e as Error).message}\n`);
    return 64;
  }
  const wait = z.coerce.number().positive().max(600).optional().safeParse(values['wait-card']);
  if (!wait.success) {
    process.stderr.write('klubkort selftest: --wait-card takes seconds (1–600)\n');
    return 64;
  }
  const waitCardMs = wait.data === undefined ? undefined : wait.data * 1000;
  let cfg: TerminalConfig;
  try {
    cfg = loadConfigFile(values.config ?? DEFAULT_CONFIG);
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    process.stderr.write(`klubkort selftest: ${e.message}\n`);
    return 78;
  }
  return (await selftestForConfig(cfg, (l) => process.stdout.write(l + '\n'), { waitCardMs })) ? 0 : 1;
}

export async function selftestForConfig(
  cfg: TerminalConfig,
  out: (line: string) => void,
  o: { waitCardMs?: number } = {},
): Promise<boolean> {
  // The selftest's composition root: its waits run on the system's timers.
  const timers = systemTimers;
  // The running daemon holds the reader and the GPIO pins.
  if (
    await askControl(cfg.dataDir, 'status', timers, 1000).then(
      () => true,
      () => false,
    )
  ) {
    out('the klubkort daemon is running and holds the devices: stop it first (sudo systemctl stop klubkort)');
    return false;
  }
  // Driver warnings (pcscd not running yet…) go to stderr; the table goes to `out`.
  const log = createLogger({ level: 'warn' });
  let devices;
  try {
    devices = cfg.hardware === 'sim' ? await simDevices(cfg, log, timers) : await piDevices(cfg, log);
  } catch (e) {
    if ((e as Error).name !== 'PiHardwareError') throw e;
    out(`cannot open the terminal's devices:\n${(e as Error).message}`);
    return false;
  }
  const { reader, indicators } = devices;
  try {
    await indicators.start();
    await reader.start();
    return await runSelftest({
      reader,
      indicators,
      out,
      timers,
      waitCardMs: o.waitCardMs,
      displaySize: () => displaySize(cfg.hardware),
      // The photo path is the Pi's screen's; a simulator on a laptop draws where it runs.
      ...(cfg.hardware === 'pi' ? { photoPath: () => photoPath(cfg) } : {}),
      checkBroker: async () => (await checkBroker(cfg, timers, { catalogWaitMs: 0 })).problem,
      systemChecks: cfg.hardware === 'pi' ? () => systemChecks(cfg.dataDir) : undefined,
    });
  } finally {
    await Promise.allSettled([reader.stop(), indicators.stop()]);
  }
}

/** The photo path of the terminal the selftest runs on (run it where the cashier screen runs). */
async function photoPath(cfg: TerminalConfig): Promise<[boolean, string]> {
  const [{ photoPathCheck }, { probeTerminal }] = await Promise.all([
    import('../ui/photo/photo-output.ts'),
    import('../ui/draw/terminal-probe.ts'),
  ]);
  let colors = 8;
  try {
    colors =
      Number(execFileSync('tput', ['colors'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim()) || 8;
  } catch {
    // no terminfo entry for TERM: assume the plain console
  }
  return photoPathCheck(cfg.display, colors, () => probeTerminal(process.stdin, process.stdout, systemTimers));
}

/** The size the cashier screen gets: the Pi's console (tty1), else the terminal this runs in. */
function displaySize(hardware: TerminalConfig['hardware']): { cols: number; rows: number } | null {
  if (hardware === 'pi') {
    try {
      const [rows, cols] = execFileSync('stty', ['-F', '/dev/tty1', 'size'], {
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'ignore'],
      })
        .trim()
        .split(/\s+/)
        .map(Number);
      if (rows && cols) return { cols, rows };
    } catch {
      // no tty1 here (over SSH without access): fall back to this terminal
    }
  }
  const s = process.stdout;
  return s.isTTY && s.columns && s.rows ? { cols: s.columns, rows: s.rows } : null;
}
