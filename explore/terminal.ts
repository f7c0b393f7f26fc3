// Spawns and kills the terminal process (terminal-process.ts) on the same data dir, as systemd
// restarts a daemon after a power cut. Node's flags and environment are the systemd unit's; the
// log goes into the suite's log dir (the privacy test scans it) and is scanned by the explorer.
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, mkdirSync, openSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { TerminalConfigInput } from '../firmware/config/schema.ts';
import { LOG_DIR } from '../test/helpers/log-sink.ts';
import { serviceLaunch } from '../test/helpers/unit-file.ts';
import type { Exit } from '../test/helpers/daemon-process.ts';
import { ENV, type ClockState } from './clock.ts';

const ENTRY = join(import.meta.dirname, 'terminal-process.ts');

export interface TerminalSpec {
  terminalId: string;
  clubId: string;
  dataDir: string;
  /** Where the config file goes (outside the data dir: the disk there may be full). */
  configFile: string;
  logFile: string;
  brokerUrl: string;
  simBrokerUrl: string;
  config: Partial<TerminalConfigInput>;
}

export class TerminalProcess {
  readonly exited: Promise<Exit>;
  #exit: Exit | null = null;

  private constructor(readonly proc: ChildProcess) {
    this.exited = new Promise((resolve) =>
      proc.once('exit', (code, signal) => {
        this.#exit = { code, signal };
        resolve(this.#exit);
      }),
    );
    proc.on('error', () => undefined); // an IPC send to a process that just died
  }

  static spawn(spec: TerminalSpec, clock: ClockState): TerminalProcess {
    const launch = serviceLaunch();
    mkdirSync(LOG_DIR, { recursive: true });
    writeFileSync(
      spec.configFile,
      JSON.stringify({
        terminalId: spec.terminalId,
        clubId: spec.clubId,
        broker: { url: spec.brokerUrl },
        dataDir: spec.dataDir,
        hardware: 'sim',
        headless: true,
        logLevel: 'debug',
        ...spec.config,
      }),
    );
    const fd = openSync(spec.logFile, 'a');
    const proc = spawn(
      process.execPath,
      [...launch.nodeArgs, '--import', 'tsx', ENTRY, spec.configFile, spec.simBrokerUrl],
      { stdio: ['ignore', fd, fd, 'ipc'], env: { ...process.env, ...launch.env, [ENV]: JSON.stringify(clock) } },
    );
    closeSync(fd);
    return new TerminalProcess(proc);
  }

  get alive(): boolean {
    return this.#exit === null;
  }
  get exit(): Exit | null {
    return this.#exit;
  }

  setClock(s: ClockState): void {
    if (this.alive && this.proc.connected) this.proc.send(s);
  }

  async kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<Exit> {
    if (this.alive) this.proc.kill(signal);
    return this.exited;
  }
}

export const explorerLogFile = (runId: string): string => join(LOG_DIR, `explore-${runId}.log`);
