// A daemon's signal handling (firmware/cli/daemon.ts handleSignals) on a terminal that hangs up
// while the stop runs: the stop ends the moment the terminal is gone, before the event loop could
// handle the SIGHUP (the race of the kiosk's stop, where cage and foot end with the daemon).
// Run on a pty by test/e2e/hangup-exit.test.ts: node --import tsx hangup-child.ts <marker file>
import { writeFileSync } from 'node:fs';
import { isatty } from 'node:tty';
import { handleSignals, type Daemon } from '../../firmware/cli/daemon.ts';
import { createLogger } from '../../firmware/log.ts';

const marker = process.argv[2]!;
// As blessed does: the terminal's modes are Node's to restore at exit.
process.stdin.setRawMode(true);
const daemon = {
  log: createLogger({ level: 'silent' }),
  stop: async () => {
    // Synchronous on purpose: the loop cannot run the SIGHUP handler before the stop resolves.
    while (isatty(0)) {}
    writeFileSync(marker, 'stopped');
  },
} as unknown as Daemon;
handleSignals(daemon);
process.stdout.write('ready\n');
setInterval(() => undefined, 1000);
