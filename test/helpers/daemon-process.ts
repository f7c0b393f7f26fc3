// Runs `klubkort run` as a real child process, as systemd would. Its stderr (the pino log) goes
// straight into a file under .tmp/test-logs, so the log survives a SIGKILL and the privacy test
// scans it with the rest of the suite's logs.
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, mkdirSync, openSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import sqlite3 from 'sqlite3';
import type { TerminalConfigInput } from '../../firmware/config/schema.ts';
import { askControl } from '../../firmware/control/socket.ts';
import type { TerminalSnapshot } from '../../firmware/terminal/terminal.ts';
import { LOG_DIR } from './log-sink.ts';
import { serviceLaunch, type Launch } from './unit-file.ts';
import { systemTimers } from '../../lib/timers.ts';

export const KLUBKORT_BIN = join(process.cwd(), 'bin', 'klubkort.js');

export interface DaemonSpec {
  brokerUrl: string;
  terminalId: string;
  clubId: string;
  dataDir: string;
  /** More settings, written to a config file passed with --config (the flags still name the ids). */
  config?: Partial<TerminalConfigInput>;
  /** Node's flags and environment; by default the systemd unit's, so every test runs the daemon as a terminal does. */
  launch?: Launch;
}

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export class DaemonProcess {
  readonly exited: Promise<Exit>;
  #exit: Exit | null = null;

  private constructor(
    readonly proc: ChildProcess,
    readonly spec: DaemonSpec,
    readonly logFile: string,
  ) {
    this.exited = new Promise((resolve) =>
      proc.once('exit', (code, signal) => {
        this.#exit = { code, signal };
        resolve(this.#exit);
      }),
    );
  }

  /** `node <the unit's flags> bin/klubkort.js run --config … --sim --headless --broker … --terminal-id … --club-id … --data-dir …` */
  static spawn(spec: DaemonSpec): DaemonProcess {
    const launch = spec.launch ?? serviceLaunch();
    mkdirSync(spec.dataDir, { recursive: true });
    mkdirSync(LOG_DIR, { recursive: true });
    const configFile = join(spec.dataDir, '..', `${spec.terminalId}.config.json`);
    writeFileSync(
      configFile,
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
    const logFile = join(LOG_DIR, `child-${spec.terminalId}-${process.pid}.log`);
    const fd = openSync(logFile, 'a');
    const proc = spawn(
      process.execPath,
      [
        ...launch.nodeArgs,
        KLUBKORT_BIN,
        'run',
        '--config',
        configFile,
        '--sim',
        '--headless',
        '--broker',
        spec.brokerUrl,
        '--terminal-id',
        spec.terminalId,
        '--club-id',
        spec.clubId,
        '--data-dir',
        spec.dataDir,
      ],
      { stdio: ['ignore', fd, fd], env: { ...process.env, ...launch.env } },
    );
    closeSync(fd);
    return new DaemonProcess(proc, spec, logFile);
  }

  get alive(): boolean {
    return this.#exit === null;
  }

  /** SIGKILL by default: no stop(), no flush, no last will sent cleanly — a power cut. */
  async kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<Exit> {
    if (this.alive) this.proc.kill(signal);
    return this.exited;
  }

  /** The running daemon's snapshot over its control socket (`klubkort status`). */
  async status(): Promise<TerminalSnapshot> {
    const r = await askControl(this.spec.dataDir, 'status', systemTimers);
    if (!r.ok) throw new Error(`status failed: ${r.error}`);
    return r.data as TerminalSnapshot;
  }
}

/** Reads a running daemon's journal through a read-only connection of its own (WAL lets both work). */
export async function readJournal<T>(dataDir: string, sql: string): Promise<T[]> {
  const db = await new Promise<sqlite3.Database>((resolve, reject) => {
    const d = new sqlite3.Database(join(dataDir, 'journal.db'), sqlite3.OPEN_READONLY, (err) =>
      err ? reject(err) : resolve(d),
    );
  });
  try {
    return await new Promise<T[]>((resolve, reject) =>
      db.all<T>(sql, (err, rows) => (err ? reject(err) : resolve(rows))),
    );
  } finally {
    await new Promise<void>((resolve) => db.close(() => resolve()));
  }
}

/** Runs `klubkort` with `args` to the end; for commands that exit (config errors, status). */
export function runCli(args: string[], timeoutMs = 30000): Promise<Exit & { stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, [KLUBKORT_BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    p.stdout.setEncoding('utf8').on('data', (d: string) => {
      stdout += d;
    });
    p.stderr.setEncoding('utf8').on('data', (d: string) => {
      stderr += d;
    });
    const timer = setTimeout(() => {
      p.kill('SIGKILL');
      reject(new Error(`klubkort ${args.join(' ')} did not exit; stderr: ${stderr}`));
    }, timeoutMs);
    // 'close', not 'exit': all output has been read by then.
    p.once('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}
