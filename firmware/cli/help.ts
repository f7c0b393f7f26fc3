// `klubkort <command> --help` for the commands whose options main.ts parses (provision, card,
// sim and ledger print their own).
import { DEFAULT_CONFIG } from './selftest-cmd.ts';

export const DEFAULT_DATA_DIR = '/var/lib/klubkort';

const STATUS = (cmd: 'status' | 'forward', what: string) => `usage: klubkort ${cmd} [--data-dir DIR] [--json]
  ${what}
  --data-dir DIR  the daemon's data directory; without it: ${DEFAULT_DATA_DIR} (the installed
                  terminal) or a running simulator's terminal under ./data/sim (npm run sim)
  --json          the daemon's answer as JSON
Exit 0: answered; 1: no daemon found or it refused.`;

export const HELP: Record<string, string> = {
  run: `usage: klubkort run --config FILE [flags…]
       klubkort run --sim --headless --broker URL --terminal-id ID --club-id ID --data-dir DIR
  Runs the terminal daemon (the systemd unit runs klubkort run --config ${DEFAULT_CONFIG}).
  Flags set or override the config file's values:
  --config FILE          the config file (firmware/config/schema.ts is its schema)
  --sim                  simulated hardware: reader and keys on the klubkort/v1/sim/{terminalId}/… topics
  --headless             no cashier screen (with --sim the screen goes to the sim screen topic)
  --broker URL           e.g. mqtts://broker.example:8883
  --terminal-id ID, --club-id ID, --data-dir DIR, --lang da|en, --log-level LEVEL
Exit codes of a start that fails: 78 config, 73 data directory, 69 hardware, 65 journal, 75 data
directory in use by another daemon.`,
  status: STATUS('status', "The running daemon's state: online or offline, queue, last sync, reader, lights, screen."),
  forward: STATUS('forward', 'Asks the running daemon to send its unanswered queue to the ledger now; prints its state.'),
  selftest: `usage: klubkort selftest [--config FILE] [--wait-card SECONDS]
  Checks this terminal's LEDs and buzzer (watch and listen), card reader (tap a card when asked),
  screen and broker, on a Pi also its system set-up, and prints a PASS/FAIL table. Stop the
  daemon first (sudo systemctl stop klubkort): it holds the devices.
  --config FILE          the terminal's config file (default ${DEFAULT_CONFIG})
  --wait-card SECONDS    how long to wait for the card tap (default 15)
Exit 0: every check passed; 1: a check failed; 64: bad usage; 78: the config cannot be used.`,
  'outputs-off': `usage: klubkort outputs-off [--config FILE]
  Drives the LEDs and buzzer low (the systemd unit's ExecStopPost, after a crash or a kill);
  nothing to do for simulated hardware.
  --config FILE  the terminal's config file (default ${DEFAULT_CONFIG})`,
};

/** `--help` or `-h` anywhere among the arguments of a command without free text. */
export const asksHelp = (argv: string[]): boolean => argv.includes('--help') || argv.includes('-h');
