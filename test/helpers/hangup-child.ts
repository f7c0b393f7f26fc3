// A daemon's end (firmware/cli/daemon.ts) on a terminal that hangs up while its stop runs: the stop
// ends the moment the terminal is gone, before the event loop could handle the SIGHUP (the race of
// the kiosk's stop, where cage and foot end with the daemon). Two ways into the stop: a SIGTERM
// (handleSignals), or a failed health gate (stopUnhealthy), which begins the stop by itself.
// Run on a pty by test/e2e/hangup-exit.test.ts: node --import tsx hangup-child.ts <marker> <signal|unhealthy>
import { writeFileSync } from 'node:fs';
import { isatty } from 'node:tty';
import { handleSignals, stopUnhealthy, type Daemon } from '../../firmware/cli/daemon.ts';
import { createLogger } from '../../firmware/log.ts';
import { processEnd } from '../../firmware/cli/stdio-terminals.ts';

const [marker, how] = process.argv.slice(2) as [string, 'signal' | 'unhealthy'];
const end = processEnd();
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
// As `klubkort run` does: the signals are handled whichever way the stop begins.
handleSignals(daemon, end);
process.stdout.write('ready\n');
if (how === 'unhealthy') stopUnhealthy(daemon, end);
setInterval(() => undefined, 1000);
