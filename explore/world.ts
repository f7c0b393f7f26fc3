// The world one history runs in, all real: a mosquitto for the club (two listeners: the terminal's,
// which the nemesis can make refuse, and the ledger's), the reference ledger on its own SQLite file,
// the terminal's data dir on a small tmpfs of its own (filled and freed for a full disk), the
// terminal in a process of its own, and the simulated devices on an embedded broker that no fault
// touches (the cashier keeps working while the club's broker is down). Each fault is a method.
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { startBroker, type EmbeddedBroker } from '../sim/broker.ts';
import { startLedger, type Ledger } from '../sim/reference-ledger/ledger.ts';
import { demoClub, DEMO_CLUB_ID, DEMO_SUN_KEYS } from '../sim/demo-club.ts';
import { createLogger } from '../firmware/log.ts';
import type { TerminalConfigInput } from '../firmware/config/schema.ts';
import { freePort, startMosquittoConf, type Mosquitto } from '../test/helpers/mosquitto.ts';
import { smallDisk, type SmallDisk } from '../test/helpers/small-disk.ts';
import { SimClient } from '../test/helpers/sim-client.ts';
import { logSink } from '../test/helpers/log-sink.ts';
import { readJournal } from '../test/helpers/daemon-process.ts';
import { freshClockState, rebooted, steppedWall, type ClockState } from './clock.ts';
import { TerminalProcess, explorerLogFile } from './terminal.ts';

export const CLUB = DEMO_CLUB_ID;
export const TERMINAL = 'kasse-x';

/** Fast answers and resends, so a history of fifty steps takes a minute. */
export const TERMINAL_CONFIG: Partial<TerminalConfigInput> = {
  sale: { replyTimeoutMs: 600, maxPurchase: 19999, resultScreenMs: 60000 },
  outbox: { resendAfterMs: 1000 },
};

/** The world itself failed (not the terminal): the history proves nothing either way. */
export class WorldError extends Error {
  override name = 'WorldError';
}

/** Worlds not closed yet: closed on SIGINT/SIGTERM of the explorer (unmounts, stops mosquitto). */
export const openWorlds = new Set<World>();

export class World {
  readonly runId: string;
  readonly dataDir: string;
  readonly logFile: string;
  ledger: Ledger | null = null;
  /** The last ledger that ran: its mirror is the booked truth while the ledger is stopped. */
  lastLedger: Ledger | null = null;
  terminal: TerminalProcess | null = null;
  clock: ClockState = freshClockState();
  brokerUp = true;
  refusing = false;
  ledgerPaused = false;
  diskFull = false;
  readonly #teardowns: (() => void | Promise<void>)[] = [];

  private constructor(
    readonly dir: string,
    readonly disk: SmallDisk,
    readonly simBroker: EmbeddedBroker,
    readonly mosquitto: Mosquitto,
    readonly ledgerUrl: string,
    readonly sim: SimClient,
    teardowns: (() => void | Promise<void>)[],
  ) {
    this.runId = `${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
    this.dataDir = join(disk.dir, TERMINAL);
    this.logFile = explorerLogFile(this.runId);
    this.#teardowns = teardowns;
  }

  static async create(): Promise<World> {
    const teardowns: (() => void | Promise<void>)[] = [];
    const dir = mkdtempSync(join(tmpdir(), 'klubkort-explore-'));
    teardowns.push(() => rmSync(dir, { recursive: true, force: true }));
    try {
      const disk = smallDisk(
        {
          teardown: (fn: () => void) => {
            teardowns.push(fn);
          },
        },
        undefined,
        16,
      );
      const simBroker = await startBroker();
      teardowns.push(() => simBroker.close());
      const ledgerPort = await freePort();
      let confFile = '';
      const mosquitto = await startMosquittoConf((mdir, port) => {
        confFile = join(mdir, 'mosquitto.conf');
        return mosquittoConf(mdir, port, ledgerPort, false);
      });
      teardowns.push(() => mosquitto.close());
      const sim = await SimClient.connect(simBroker.url, TERMINAL);
      teardowns.push(() => sim.close());
      const w = new World(dir, disk, simBroker, mosquitto, `mqtt://127.0.0.1:${ledgerPort}`, sim, teardowns);
      w.#confFile = confFile;
      w.#ledgerPort = ledgerPort;
      await waitPort(ledgerPort);
      openWorlds.add(w);
      await w.startLedger();
      await w.startTerminal();
      return w;
    } catch (e) {
      for (const t of teardowns.reverse())
        await Promise.resolve()
          .then(t)
          .catch(() => undefined);
      throw e;
    }
  }

  #confFile = '';
  #ledgerPort = 0;

  async close(): Promise<void> {
    openWorlds.delete(this);
    await this.terminal?.kill().catch(() => undefined);
    await this.ledger?.stop().catch(() => undefined);
    for (const t of this.#teardowns.reverse())
      await Promise.resolve()
        .then(t)
        .catch(() => undefined);
  }

  // --- the terminal process ---

  async startTerminal(): Promise<void> {
    if (this.terminal?.alive) return;
    await new Promise((r) => setTimeout(r, 20)); // the killed daemon's last screens on their way
    this.terminal = TerminalProcess.spawn(this.#spec(), this.clock);
  }

  #spec() {
    return {
      terminalId: TERMINAL,
      clubId: CLUB,
      dataDir: this.dataDir,
      configFile: join(this.dir, 'terminal.json'),
      logFile: this.logFile,
      brokerUrl: this.mosquitto.url,
      simBrokerUrl: this.simBroker.url,
      config: TERMINAL_CONFIG,
    };
  }

  /**
   * A second daemon started on the same data dir (a unit started twice, a technician's manual run):
   * its exit, or null when it still ran after `ms` (then it is killed).
   */
  async secondDaemon(ms: number): Promise<{ code: number | null; signal: string | null } | null> {
    const second = TerminalProcess.spawn(this.#spec(), this.clock);
    const exit = await Promise.race([second.exited, new Promise<null>((r) => setTimeout(() => r(null), ms))]);
    if (!exit) await second.kill();
    return exit;
  }

  async killTerminal(): Promise<void> {
    await this.terminal?.kill();
  }

  /** Copies the journal's files (journal.db, -wal, -shm) aside, as a backup taken while the terminal is off. */
  backupJournal(): void {
    const to = join(this.dir, 'backup');
    rmSync(to, { recursive: true, force: true });
    mkdirSync(to);
    for (const f of readdirSync(this.dataDir).filter((n) => n.startsWith('journal')))
      copyFileSync(join(this.dataDir, f), join(to, f));
  }

  /** Puts the backup's journal in place of the current one (the terminal off): a journal restored from a backup. */
  restoreJournal(): void {
    const from = join(this.dir, 'backup');
    for (const f of readdirSync(this.dataDir).filter((n) => n.startsWith('journal')))
      rmSync(join(this.dataDir, f), { force: true });
    for (const f of readdirSync(from)) copyFileSync(join(from, f), join(this.dataDir, f));
  }

  // --- the disk ---

  fillDisk(): void {
    if (!this.diskFull) {
      this.disk.fill();
      this.diskFull = true;
    }
  }
  freeDisk(): void {
    if (this.diskFull) {
      this.disk.free();
      this.diskFull = false;
    }
  }

  // --- the club's broker ---

  async brokerStop(): Promise<void> {
    await this.mosquitto.stop();
    this.brokerUp = false;
  }

  /** Starts (or restarts) the broker; `refusing`: every connect on the terminal's listener is answered "not authorized". */
  async brokerStart(refusing = false): Promise<void> {
    if (this.brokerUp) await this.mosquitto.stop();
    writeFileSync(
      this.#confFile,
      mosquittoConf(join(this.#confFile, '..'), this.mosquitto.port, this.#ledgerPort, refusing),
    );
    await this.mosquitto.start();
    await waitPort(this.#ledgerPort);
    this.brokerUp = true;
    this.refusing = refusing;
  }

  /** Another connection takes the terminal's client id (persistent session kept): the broker drops the terminal. */
  async dropTerminal(): Promise<void> {
    if (!this.brokerUp) return;
    const c = mqtt.connect(this.ledgerUrl, {
      clientId: TERMINAL,
      clean: false,
      reconnectPeriod: 0,
      connectTimeout: 3000,
    });
    await new Promise<void>((resolve) => {
      c.once('connect', () => resolve());
      c.once('error', () => resolve());
      setTimeout(resolve, 3000);
    });
    await c.endAsync(true).catch(() => undefined);
  }

  /** Publishes raw payloads on the club's broker, as anything with the broker's password could. */
  async publish(msgs: { topic: string; payload: string | Buffer }[]): Promise<void> {
    if (!this.brokerUp) return;
    const c = mqtt.connect(this.ledgerUrl, {
      clientId: `explore-hostile-${Math.random().toString(16).slice(2, 8)}`,
      reconnectPeriod: 0,
    });
    try {
      await new Promise<void>((resolve, reject) => {
        c.once('connect', () => resolve());
        c.once('error', reject);
      });
      for (const m of msgs) await c.publishAsync(m.topic, m.payload, { qos: 1 });
    } catch {
      /* the broker went away meanwhile */
    } finally {
      await c.endAsync(true).catch(() => undefined);
    }
  }

  // --- the ledger ---

  async startLedger(): Promise<void> {
    if (this.ledger) return;
    this.ledger = await startLedger({
      brokerUrl: this.ledgerUrl,
      dbPath: join(this.dir, 'ledger.db'),
      clubs: [demoClub([TERMINAL])],
      sun: DEMO_SUN_KEYS,
      logger: createLogger({ level: 'info', destination: logSink('ledger') }).child({ explore: this.runId }),
    });
    this.lastLedger = this.ledger;
    this.ledgerPaused = false;
  }

  async stopLedger(): Promise<void> {
    const l = this.ledger;
    this.ledger = null;
    this.ledgerPaused = false;
    if (!l) return;
    await bounded(l.stop(), 'the reference ledger did not stop');
  }

  async pauseLedger(): Promise<void> {
    if (!this.ledger || this.ledgerPaused) return;
    this.ledgerPaused = true;
    await bounded(this.ledger.pause(), 'the reference ledger did not pause');
  }
  async resumeLedger(): Promise<void> {
    if (this.ledger && this.ledgerPaused) {
      await this.ledger.resume();
      this.ledgerPaused = false;
    }
  }

  // --- the terminal's clock ---

  stepClock(ms: number): void {
    this.clock = steppedWall(this.clock, ms);
    this.terminal?.setClock(this.clock);
  }

  /** A power cut and a new boot: the process killed, a new boot id, the boot clock from about zero. */
  async reboot(): Promise<void> {
    await this.killTerminal();
    this.clock = rebooted(this.clock);
  }

  /** Heals every fault: disk freed, broker up and accepting, ledger running and connected, terminal running. */
  async heal(): Promise<void> {
    this.freeDisk();
    if (!this.brokerUp || this.refusing) await this.brokerStart(false);
    await this.resumeLedger();
    await this.startLedger();
    await this.startTerminal();
  }

  async outboxSize(): Promise<number | null> {
    try {
      return (await readJournal<{ n: number }>(this.dataDir, 'SELECT count(*) AS n FROM outbox'))[0].n;
    } catch {
      return null; // no journal yet, or locked for a moment
    }
  }
}

/** The reference ledger's stop and pause wait for its client's in-flight publishes, which after some broker restarts never end: not the terminal's doing, the history is set aside. */
async function bounded(p: Promise<void>, what: string): Promise<void> {
  const done = await Promise.race([
    p.then(() => true),
    new Promise<boolean>((r) => setTimeout(() => r(false), 20_000)),
  ]);
  if (!done) throw new WorldError(`${what} within 20 s`);
}

function mosquittoConf(dir: string, port: number, ledgerPort: number, refusing: boolean): string {
  return (
    [
      'per_listener_settings true',
      'persistence true',
      `persistence_location ${dir}/`,
      'autosave_interval 1',
      `log_dest file ${join(dir, 'mosquitto.log')}`,
      `listener ${port} 127.0.0.1`,
      `allow_anonymous ${refusing ? 'false' : 'true'}`,
      `listener ${ledgerPort} 127.0.0.1`,
      'allow_anonymous true',
    ].join('\n') + '\n'
  );
}

async function waitPort(port: number): Promise<void> {
  const net = await import('node:net');
  for (let i = 0; i < 200; i++) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = net.connect(port, '127.0.0.1');
      s.once('connect', () => {
        s.destroy();
        resolve(true);
      });
      s.once('error', () => resolve(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`nothing listens on ${port}`);
}
