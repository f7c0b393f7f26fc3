// The terminal's own commands: run, status, forward, provision, selftest. `bin/commands.ts` adds the
// simulator's (sim, ledger), so that firmware never imports sim/.
import { ConfigError } from '../config/load.ts';
import { configFromArgs, runConfigFile } from './args.ts';
import { holdFailedStart } from './failed-start.ts';
import { processLog } from './daemon-log.ts';
import { takeNotifyEnv } from '../systemd/notify.ts';
import { join } from 'node:path';
import { startDaemon, handleSignals, DataDirError } from './daemon.ts';
import { askControl } from '../control/socket.ts';
import { DataDirLockedError } from './data-dir-lock.ts';
import { JournalOwnerError } from '../journal/journal.ts';
import { JournalTooNewError } from '../journal/migrations.ts';
import { parseArgs } from 'node:util';
import { formatStatus } from './status-format.ts';
import type { TerminalSnapshot } from '../terminal/terminal.ts';
import { asksHelp, DEFAULT_DATA_DIR, HELP } from './help.ts';
import { findDaemon } from './find-daemon.ts';
import { systemTimers } from '../../lib/timers.ts';

export const USAGE = `usage: klubkort <command> [options]
  run --config FILE                      run the terminal daemon from a config file
  run --sim --headless --broker URL --terminal-id ID --club-id ID --data-dir DIR
                                         run with simulated hardware (flags override the file)
  sim [--port N] [--headless]            broker, reference ledger and a simulated terminal together
  status [--data-dir DIR] [--json]       the running daemon's state, queue, last sync and reader
  forward [--data-dir DIR]               send the unanswered queue to the ledger now
  ledger --broker URL <cmd> …            the simulator's ledger admin (top up, block, close…)
  provision [--config FILE] [flags…]     set up or edit this terminal's config (asks; --help)
  provision --boot-dir DIR [flags…]      the same, as the first-boot files of a flashed card
  firstboot [--boot-dir DIR]             take in the first-boot files (the image's unit runs it)
  selftest [--config FILE]               check LEDs, buzzer, card reader, screen and broker
  outputs-off [--config FILE]            drive the LEDs and buzzer low (the unit's ExecStopPost)
  card personalise --master-key-file F --url URL   make a blank NTAG 424 DNA a sun card (--help)
  update --bundle FILE                   install a signed release bundle and switch to it
  commit | rollback                      mark the current release proved; go back from an unproved one (systemd runs them)
  release keygen --out DIR               make a release signing key (for the release machine)
  fleet --broker URL [--check] [update]  every terminal from its retained status; announce an update
Every command answers --help.`;

export interface MainOptions {
  /** More data dirs where `status` and `forward` look for a daemon without --data-dir (a simulator's terminals). */
  dataDirs?: () => string[];
}

export async function main(argv: string[], usage = USAGE, o: MainOptions = {}): Promise<number> {
  const [cmd, ...rest] = argv;
  if (cmd !== undefined && HELP[cmd] !== undefined && asksHelp(rest)) {
    process.stdout.write(HELP[cmd] + '\n');
    return 0;
  }
  switch (cmd) {
    case 'run': {
      // systemd's NOTIFY_SOCKET and watchdog are the daemon's alone: no child process inherits them.
      const notifyEnv = takeNotifyEnv();
      // What a fix of a failed start would change: the config file (if any) and the journal.
      const configFile = runConfigFile(rest);
      const failed = (e: Error, code: number, dataDir?: string) => {
        process.stderr.write(`klubkort: ${e.message}\n`);
        const watch = [configFile, dataDir && join(dataDir, 'journal.db')].filter((p): p is string => !!p);
        // In the kiosk stderr is the screen (the message above is for the cashier): the log goes to the journal.
        return holdFailedStart(e.message, code, {
          watch,
          env: notifyEnv,
          log: processLog('info', { headless: true }),
          timers: systemTimers,
        });
      };
      let cfg;
      try {
        cfg = configFromArgs(rest);
      } catch (e) {
        if (e instanceof ConfigError) return failed(e, 78);
        throw e;
      }
      let d;
      try {
        d = await startDaemon(cfg, { notifyEnv });
      } catch (e) {
        // e.g. hardware "pi" on a machine without pcsclite or GPIO: say which package is missing.
        if ((e as Error).name === 'PiHardwareError') return failed(e as Error, 69, cfg.dataDir);
        if (e instanceof DataDirError) return failed(e, 73, cfg.dataDir);
        // Another daemon holds the data dir: it may stop, so this start is simply tried again.
        if (e instanceof DataDirLockedError) {
          process.stderr.write(`klubkort: ${e.message}\n`);
          return 75;
        }
        if (e instanceof JournalOwnerError || e instanceof JournalTooNewError) return failed(e, 65, cfg.dataDir);
        throw e;
      }
      handleSignals(d);
      return -1; // keep running
    }
    case 'status':
    case 'forward': {
      let values;
      try {
        values = parseArgs({
          args: rest,
          options: { 'data-dir': { type: 'string' }, json: { type: 'boolean' } },
        }).values;
      } catch (e) {
        process.stderr.write(`klubkort ${cmd}: ${(e as Error).message}\n${HELP[cmd]}\n`);
        return 64;
      }
      const found =
        values['data-dir'] !== undefined
          ? { dir: values['data-dir'] }
          : await findDaemon([DEFAULT_DATA_DIR, ...(o.dataDirs?.() ?? [])], systemTimers);
      if ('error' in found) {
        process.stderr.write(`klubkort ${cmd}: ${found.error}\n`);
        return 1;
      }
      try {
        const r = await askControl(found.dir, cmd, systemTimers);
        const readable = r.ok && !values.json && r.data !== undefined;
        process.stdout.write(
          (readable
            ? formatStatus(r.data as TerminalSnapshot, new Date(), found.dir)
            : JSON.stringify(r.data ?? r, null, 2)) + '\n',
        );
        return r.ok ? 0 : 1;
      } catch (e) {
        process.stderr.write(`klubkort: ${(e as Error).message}\n`);
        return 1;
      }
    }
    case 'provision': {
      const { provisionCommand } = await import('./provision.ts');
      return provisionCommand(rest);
    }
    case 'firstboot': {
      const { firstbootCommand } = await import('./firstboot-cmd.ts');
      return firstbootCommand(rest);
    }
    case 'selftest': {
      const { selftestCommand } = await import('./selftest-cmd.ts');
      return selftestCommand(rest);
    }
    case 'card': {
      const { cardCommand } = await import('./card.ts');
      return cardCommand(rest);
    }
    case 'update': {
      const { updateCommand } = await import('./update.ts');
      return updateCommand(rest);
    }
    case 'commit':
    case 'rollback': {
      const { commitCommand, rollbackCommand } = await import('./rollback.ts');
      return cmd === 'commit' ? commitCommand(rest) : rollbackCommand(rest);
    }
    case 'release': {
      const { releaseCommand } = await import('./release.ts');
      return releaseCommand(rest);
    }
    case 'fleet': {
      const { fleetCommand } = await import('./fleet.ts');
      return fleetCommand(rest);
    }
    case 'outputs-off': {
      const { outputsOffCommand } = await import('./outputs-off.ts');
      return outputsOffCommand(rest);
    }
    case undefined:
    case 'help':
    case '--help':
      process.stdout.write(usage + '\n');
      return cmd === undefined ? 64 : 0;
    default:
      process.stderr.write(`klubkort: unknown command ${cmd}\n${usage}\n`);
      return 64;
  }
}
