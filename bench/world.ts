// The pieces a bench case is built from: brokers, a log file, and an in-process terminal whose
// devices are probed, so a case can time both what an MQTT client sees and what the firmware did.
import { createWriteStream, mkdirSync, readFileSync, type WriteStream } from 'node:fs';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { startBroker } from '../sim/broker.ts';
import { Terminal } from '../firmware/terminal/terminal.ts';
import { parseConfig } from '../firmware/config/load.ts';
import type { TerminalConfigInput } from '../firmware/config/schema.ts';
import { createLogger, type Logger } from '../firmware/log.ts';
import { createSimHardware } from '../hal/sim/index.ts';
import type { Display, Hardware, ScreenModel } from '../hal/types.ts';
import { startMosquitto } from '../test/helpers/mosquitto.ts';
import { SimClient } from '../test/helpers/sim-client.ts';
import { now } from './stats.ts';

/** `pid`: the broker's own process (mosquitto); none when it runs in this one (aedes). */
export interface Broker {
  url: string;
  pid?: number;
  close(): Promise<void>;
}

/** Which broker the bench runs on: mosquitto (what a club runs) when installed, else the embedded aedes. */
export const BROKER_KIND = (() => {
  try {
    execFileSync('mosquitto', ['-h'], { stdio: 'ignore' });
  } catch (e) {
    // `mosquitto -h` exits non-zero after printing its help: only a missing binary means absent.
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return 'aedes (embedded)';
  }
  return 'mosquitto';
})();

export async function startBenchBroker(): Promise<Broker> {
  if (BROKER_KIND !== 'mosquitto') return startBroker();
  // Persistence as on a club's broker, saved rarely so the save does not compete with the figures;
  // queue limits and TCP_NODELAY as in the example production config (without its TLS and ACL).
  const example = readFileSync(join(process.cwd(), 'systemd/mosquitto/klubkort.conf'), 'utf8');
  const tuning = example.match(/^(max_queued_messages|max_queued_bytes|set_tcp_nodelay) .*$/gm) ?? [];
  if (tuning.length !== 3) throw new Error('systemd/mosquitto/klubkort.conf: queue limits or set_tcp_nodelay missing');
  const m = await startMosquitto(['autosave_interval 3600', ...tuning].join('\n'));
  return { url: m.url, pid: m.pid, close: () => m.close() };
}

/** Bench logs go to a file at the production level (info): logging is part of the cost. */
export class BenchLog {
  readonly #stream: WriteStream;
  constructor(readonly dir: string) {
    mkdirSync(dir, { recursive: true });
    this.#stream = createWriteStream(join(dir, 'bench.log'), { flags: 'a' });
  }
  logger(part: string): Logger {
    return createLogger({ level: 'info', destination: this.#stream }).child({ bench: part });
  }
  close(): Promise<void> {
    return new Promise((r) => this.#stream.end(() => r()));
  }
}

/**
 * In-process probes on a terminal's devices: when the last key and card event reached the
 * firmware, and the first draw that matches what a case waits for.
 */
export class Probe {
  lastKeyAt = 0n;
  lastCardAt = 0n;
  #waiters: { pred: (m: ScreenModel) => boolean; resolve: (at: bigint) => void }[] = [];
  #hw: Hardware | null = null;

  /**
   * Wraps `hw`; call before Terminal.start so these listeners run before the firmware's. `mirror`
   * draws every screen too (a kiosk display beside the headless one).
   */
  wrap(hw: Hardware, mirror?: Display): Hardware {
    hw.keypad.on('key', () => {
      this.lastKeyAt = now();
    });
    hw.reader.on('card', () => {
      this.lastCardAt = now();
    });
    this.#hw = hw;
    const inner = hw.display;
    const display: Display = {
      start: async () => {
        await inner.start();
        await mirror?.start();
      },
      stop: async () => {
        await mirror?.stop();
        await inner.stop();
      },
      draw: (m) => {
        this.#drawn(m, now());
        inner.draw(m);
        mirror?.draw(m);
      },
    };
    return { ...hw, display };
  }

  /** A key from the keypad device, in this process (the sim devices' own events, without the broker's round trip). */
  press(key: string): void {
    (this.#hw!.keypad as unknown as Emits).emit('key', key);
  }
  /** A uid card on the reader, in this process. */
  tap(uid: string): void {
    (this.#hw!.reader as unknown as Emits).emit('card', { uid, sun: null });
  }

  /** Resolves with the time of the next draw for which `pred` holds. */
  nextDraw(pred: (m: ScreenModel) => boolean): Promise<bigint> {
    return new Promise((resolve) => this.#waiters.push({ pred, resolve }));
  }

  /** The screen drawn last. */
  lastModel: ScreenModel | null = null;

  #drawn(m: ScreenModel, at: bigint): void {
    this.lastModel = m;
    const met = this.#waiters.filter((w) => w.pred(m));
    this.#waiters = this.#waiters.filter((w) => !met.includes(w));
    for (const w of met) w.resolve(at);
  }
}

/** A sim device's emitter (protected in TypedEmitter: the bench plays the device). */
interface Emits {
  emit(event: string, ...args: unknown[]): void;
}

export interface BenchTerminal {
  terminal: Terminal;
  probe: Probe;
  stop(): Promise<void>;
}
export interface DrivenTerminal extends BenchTerminal {
  sim: SimClient;
}

type BenchTerminalOptions = {
  dir: string;
  id: string;
  clubId: string;
  linkUrl: string;
  simUrl?: string;
  log: BenchLog;
  cfg?: Partial<TerminalConfigInput>;
  mirror?: Display;
};

/**
 * A terminal in this process with simulated devices. `simUrl` may name another broker than the
 * ledger link's, so a case can take the link down while still driving the devices.
 */
export async function startBenchTerminal(o: BenchTerminalOptions): Promise<BenchTerminal> {
  const simUrl = o.simUrl ?? o.linkUrl;
  const config = parseConfig({
    terminalId: o.id,
    clubId: o.clubId,
    broker: { url: o.linkUrl },
    dataDir: join(o.dir, o.id),
    hardware: 'sim',
    headless: true,
    ...o.cfg,
  });
  const log = o.log.logger(o.id);
  const probe = new Probe();
  const hardware = probe.wrap(createSimHardware({ brokerUrl: simUrl, terminalId: o.id, log }), o.mirror);
  const terminal = await Terminal.start({ config, hardware, log });
  let stopped: Promise<void> | null = null;
  return { terminal, probe, stop: () => (stopped ??= terminal.stop()) };
}

/**
 * The same, with a client that drives its devices over the sim topics as a test does. That client
 * also hears the terminal's tx and results: a case that drives nothing does without it (it doubled
 * the broker's deliveries while a queue was forwarded).
 */
export async function startDrivenTerminal(o: BenchTerminalOptions): Promise<DrivenTerminal> {
  const sim = await SimClient.connect(o.simUrl ?? o.linkUrl, o.id);
  const b = await startBenchTerminal(o).catch(async (err: unknown) => {
    await sim.close();
    throw err;
  });
  let stopped: Promise<void> | null = null;
  return { ...b, sim, stop: () => (stopped ??= b.stop().then(() => sim.close())) };
}

/** Every resource open now, newest last: closed by `using`, or by closeAll on a signal. */
const open: (() => Promise<unknown>)[] = [];

async function close(closers: (() => Promise<unknown>)[]): Promise<void> {
  for (const c of closers.reverse()) {
    const i = open.indexOf(c);
    if (i < 0) continue; // closed already (a signal came while the case was closing)
    open.splice(i, 1);
    await c().catch((e: Error) => process.stderr.write(`bench cleanup: ${e.message}\n`));
  }
}

/** Runs `body` with resources that are closed in reverse order however it ends. */
export async function using<T>(body: (defer: (close: () => Promise<unknown>) => void) => Promise<T>): Promise<T> {
  const closers: (() => Promise<unknown>)[] = [];
  try {
    return await body((c) => {
      closers.push(c);
      open.push(c);
    });
  } finally {
    await close(closers);
  }
}

/** Stops every broker, ledger and terminal still open (an interrupted run leaves no process behind). */
export const closeAll = (): Promise<void> => close([...open]);
