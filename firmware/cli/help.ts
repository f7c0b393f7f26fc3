// `klubkort <command> --help` for the commands whose options main.ts parses (provision, card,
// sim and ledger print their own).
import { DEFAULT_CONFIG } from './selftest-cmd.ts';
import { RELEASE_KEYS_DIR as RELEASE_KEYS } from '../release/signing.ts';

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
  forward: STATUS(
    'forward',
    'Asks the running daemon to send its unanswered queue to the ledger now; prints its state.',
  ),
  selftest: `usage: klubkort selftest [--config FILE] [--wait-card SECONDS]
  Checks this terminal's LEDs and buzzer (watch and listen), card reader (tap a card when asked),
  screen and broker, on a Pi also its system set-up, and prints a PASS/FAIL table. Stop the
  daemon first (sudo systemctl stop klubkort): it holds the devices.
  --config FILE          the terminal's config file (default ${DEFAULT_CONFIG})
  --wait-card SECONDS    how long to wait for the card tap (default 15)
Exit 0: every check passed; 1: a check failed; 64: bad usage; 78: the config cannot be used.`,
  update: `usage: klubkort update --bundle FILE [--root DIR] [--keys DIR] [--data-dir DIR]
       klubkort update --request FILE [--restart UNIT] [--root DIR] [--keys DIR]
  Installs a release bundle (klubkort-<version>-linux-<arch>.tar.gz, npm run release): verifies it
  whole before anything is unpacked (signed by a key in ${RELEASE_KEYS}, this architecture,
  this Node, a journal it can read, the SHA-256 of every file), unpacks it into
  /opt/klubkort/releases/<version> and switches /opt/klubkort/current to it (the release that was
  current becomes /opt/klubkort/previous). Restart the daemon afterwards.
  --root DIR      install under DIR instead of / (an image, a test)
  --keys DIR      the trusted public keys (default ROOT${RELEASE_KEYS})
  --data-dir DIR  the journal's directory (default: the config's dataDir, else ${DEFAULT_DATA_DIR})
  --request FILE  install the bundle the daemon's update agent downloaded and named in FILE
                  (DATA_DIR/update/request.json; klubkort-update.service runs this as root), answer
                  in result.json beside it, remove FILE, and restart UNIT when it switched
Exit 0: installed (or already current); 65: the bundle was refused; 73: it could not be unpacked
or switched (the current release is unchanged); 78: no trusted release key.`,
  commit: `usage: klubkort commit [--root DIR]
  Marks the current release as proved (/opt/klubkort/committed): a later failure of the unit no
  longer rolls it back. klubkort-commit.service runs it once the daemon said READY=1.
Exit 0: committed; 73: no current release.`,
  rollback: `usage: klubkort rollback [--root DIR] [--restart UNIT]
  After klubkort.service failed (klubkort-rollback.service, its OnFailure=): when the current
  release never proved itself (not committed), the previous one becomes current again, the
  version left is remembered in /opt/klubkort/rolled-back, and UNIT is restarted at once. A
  committed release is left as it is (the unit's Restart= restarts it).
Exit 0: done (or nothing to do, said why); 73: the switch failed.`,
  fleet: `usage: klubkort fleet --broker URL [--ca F --cert F --key F] [--json] [--state FILE]
                      [--check [--offline-minutes N] [--queue-minutes M] [--version V]]
       klubkort fleet update --broker URL [TLS…] (--terminal T… | --club C | --all)
                      (--version V --url URL --sha256 HEX --size BYTES | --bundle FILE --url URL | --clear)
  Lists every terminal from its retained status (klubkort/v1/terminals/+/status): club, state,
  version, since when, queue and its oldest sale, card reader, last update. A klubkort broker takes
  the certificate of make-ca.sh's "fleet" (listing) or "release" (announcing) on port 8883.
  --ca, --cert, --key FILE  TLS: the broker's CA, this tool's certificate and key
  --username U, --password-file F   a password login instead (the file's first line)
  --json                    the rows (and with --check the problems) as JSON
  --check                   exit 1 when a terminal is offline longer than --offline-minutes (30),
                            its oldest unanswered sale is older than --queue-minutes (60), or it
                            runs a version before --version (default: the newest any terminal runs)
  --state FILE              remembers when each terminal was first seen offline (for --check)
  update                    publishes the retained announcement to --terminal T (repeatable), every
                            terminal of --club C, or --all; --bundle FILE takes the version, SHA-256
                            and size from the bundle; --clear withdraws it. The terminal trusts the
                            bundle's signed manifest, never this message.
Exit 0: done (--check: all well); 1: --check found problems, or the broker failed; 64: bad usage.`,
  release: `usage: klubkort release keygen --out DIR
  Makes a release signing key (Ed25519) in DIR: klubkort-release-<id>.key, the private key (mode
  0600, never printed; it stays on the release machine) and klubkort-release-<id>.pub, which goes
  into ${RELEASE_KEYS}/ on every terminal. Bundles are made and signed by
  npm run release -- --arch arm64 --key DIR/klubkort-release-<id>.key (docs/deploy.md).`,
  'outputs-off': `usage: klubkort outputs-off [--config FILE]
  Drives the LEDs and buzzer low (the systemd unit's ExecStopPost, after a crash or a kill);
  nothing to do for simulated hardware.
  --config FILE  the terminal's config file (default ${DEFAULT_CONFIG})`,
};

/** `--help` or `-h` anywhere among the arguments of a command without free text. */
export const asksHelp = (argv: string[]): boolean => argv.includes('--help') || argv.includes('-h');
