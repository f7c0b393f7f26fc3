// The terminal as the explorer runs it: the real daemon (startDaemon: data-dir lock, journal,
// terminal, control socket) in a process of its own that the nemesis kills with SIGKILL, with the
// explorer's clock and the simulated devices on the simulator's own broker. Arguments: the config
// file and the simulator broker's URL; the clock's state in the environment, updates over IPC.
import { loadConfigFile } from '../firmware/config/load.ts';
import { startDaemon, handleSignals } from '../firmware/cli/daemon.ts';
import { explorerClock, ENV, type ClockState } from './clock.ts';

const [configFile, simBrokerUrl] = process.argv.slice(2);
if (!configFile || !simBrokerUrl) {
  process.stderr.write('usage: terminal-process.ts CONFIG SIM_BROKER_URL\n');
  process.exit(64);
}
const clock = explorerClock(JSON.parse(process.env[ENV] ?? 'null') as ClockState);
process.on('message', (m) => clock.update(m as ClockState));
const d = await startDaemon(loadConfigFile(configFile), { clock, simBrokerUrl });
handleSignals(d);
