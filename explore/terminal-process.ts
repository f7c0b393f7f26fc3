// The terminal as the explorer runs it: the real daemon (startDaemon: data-dir lock, journal,
// terminal, control socket) in a process of its own that the nemesis kills with SIGKILL, with the
// explorer's clock and the simulated devices on the simulator's own broker. Arguments: the config
// file and the simulator broker's URL; the clock's state in the environment, updates over IPC.
import { loadConfigFile } from '../firmware/config/load.ts';
import { startDaemon, handleSignals, DataDirError } from '../firmware/cli/daemon.ts';
import { DataDirLockedError } from '../firmware/cli/data-dir-lock.ts';
import { explorerClock, ENV, type ClockState } from './clock.ts';

const [configFile, simBrokerUrl] = process.argv.slice(2);
if (!configFile || !simBrokerUrl) {
  process.stderr.write('usage: terminal-process.ts CONFIG SIM_BROKER_URL\n');
  process.exit(64);
}
const clock = explorerClock(JSON.parse(process.env[ENV] ?? 'null') as ClockState);
process.on('message', (m) => clock.update(m as ClockState));
// The explorer is gone (killed, interrupted): no terminal of a finished history stays behind.
process.on('disconnect', () => process.exit(0));
try {
  handleSignals(await startDaemon(loadConfigFile(configFile), { clock, simBrokerUrl }));
} catch (e) {
  // As `klubkort run` does: a data dir or journal that cannot be used (a full disk) ends the start
  // with 73, and systemd starts it again; the explorer does when the disk has room.
  // Another daemon holds the data dir: 75 (EX_TEMPFAIL), as `klubkort run` exits.
  if (e instanceof DataDirLockedError) {
    process.stderr.write(`klubkort: ${e.message}\n`);
    process.exit(75);
  }
  if (!(e instanceof DataDirError)) throw e;
  process.stderr.write(`klubkort: ${e.message}\n`);
  process.exit(73);
}
