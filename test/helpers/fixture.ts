// Builds a whole test world on loopback: embedded broker, reference ledger with the demo club,
// and terminals with simulated hardware and their own SQLite journals in a temp dir.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ExecutionContext } from 'ava';
import { startBroker, type EmbeddedBroker } from '../../sim/broker.ts';
import { startLedger, type Ledger } from '../../sim/reference-ledger/ledger.ts';
import { demoChildren, demoClub, DEMO_CLUB_ID, DEMO_SUN_KEYS } from '../../sim/demo-club.ts';
import { until } from './until.ts';
import { Terminal, type ReleaseFacts } from '../../firmware/terminal/terminal.ts';
import { parseConfig } from '../../firmware/config/load.ts';
import type { TerminalConfig, TerminalConfigInput } from '../../firmware/config/schema.ts';
import type { CardReader } from '../../hal/types.ts';
import { createLogger, type Logger } from '../../firmware/log.ts';
import { createSimHardware } from '../../hal/sim/index.ts';
import { SimClient } from './sim-client.ts';
import type { Clock } from '../../firmware/clock.ts';
import { logSink } from './log-sink.ts';

export type ReaderFactory = (config: TerminalConfig, log: Logger) => CardReader | Promise<CardReader>;

export interface World {
  dir: string;
  broker: EmbeddedBroker;
  ledger: Ledger;
  /**
   * `log`: the terminal's logger (default: debug level into the suite's log sink); `clock`: its clock;
   * `reader`: a real reader driver for this config instead of the simulated one (the rest stays simulated).
   */
  startTerminal(
    id?: string,
    cfg?: Partial<TerminalConfigInput>,
    opts?: { brokerDown?: boolean; log?: Logger; clock?: Clock; reader?: ReaderFactory; release?: ReleaseFacts },
  ): Promise<{ terminal: Terminal; sim: SimClient; stop(): Promise<void> }>;
}

/**
 * `brokerUrl`: use that broker (e.g. a mosquitto a test stops and starts) instead of the embedded one;
 * `ledgerNow`: the ledger's clock (its local day for 1.1 `spent` and daily limits).
 */
export async function world(
  t: ExecutionContext,
  opts: { brokerUrl?: string; ledgerNow?: () => Date } = {},
): Promise<World> {
  const dir = mkdtempSync(join(tmpdir(), 'klubkort-test-'));
  const broker = await startBroker();
  const url = opts.brokerUrl ?? broker.url;
  const ledger = await startLedger({
    brokerUrl: url,
    dbPath: join(dir, 'ledger.db'),
    clubs: [demoClub()],
    sun: DEMO_SUN_KEYS,
    now: opts.ledgerNow,
    logger: createLogger({ level: 'debug', destination: logSink('ledger') }).child({ test: t.title.slice(0, 40) }),
  });
  const stops: (() => Promise<void>)[] = [];
  t.teardown(async () => {
    for (const s of stops.reverse()) await s().catch(() => undefined);
    await ledger.stop().catch(() => undefined);
    await broker.close().catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  });
  return {
    dir,
    broker,
    ledger,
    async startTerminal(id = 'kasse-1', cfg = {}, opts = {}) {
      // The club office registers the terminal with the ledger (contract § Access), as at provisioning.
      // Once: a terminal restarted while the ledger is stopped is registered already.
      if (!ledger.terminals(DEMO_CLUB_ID).includes(id)) await ledger.addTerminal(DEMO_CLUB_ID, id);
      const config = parseConfig({
        terminalId: id,
        clubId: DEMO_CLUB_ID,
        // Tests stop and start brokers and wait for the terminal: a 2 s longest wait keeps that short
        // (the 30 s default is e2e/broker-refusal.test.ts's).
        broker: { url, reconnectMaxSeconds: 2 },
        dataDir: join(dir, id),
        hardware: 'sim',
        headless: true,
        logLevel: 'debug',
        ...cfg,
      });
      const log =
        opts.log ?? createLogger({ level: 'debug', destination: logSink(id) }).child({ test: t.title.slice(0, 40) });
      const sim = await SimClient.connect(url, id, !opts.brokerDown);
      const simHardware = createSimHardware({ brokerUrl: url, terminalId: id, log });
      const hardware = opts.reader ? { ...simHardware, reader: await opts.reader(config, log) } : simHardware;
      const terminal = await Terminal.start({ config, hardware, log, clock: opts.clock, release: opts.release });
      let stopped = false;
      const stop = async () => {
        if (stopped) return;
        stopped = true;
        await terminal.stop();
        await sim.close();
      };
      stops.push(stop);
      return { terminal, sim, stop };
    },
  };
}

/** Waits until `terminal` is online with every demo card at the ledger's version and the catalog (in the journal and on the till). */
export async function inStep(w: World, terminal: Terminal): Promise<void> {
  await until(() => terminal.offlineClock.online, 'online');
  await until(async () => {
    for (const d of demoChildren())
      if ((await terminal.journal.cards.get(d.uid))?.version !== w.ledger.card(DEMO_CLUB_ID, d.uid)?.version)
        return false;
    // The controller reads the catalog after the journal stored it: a key before that adds nothing.
    return (await terminal.journal.cards.catalog()) !== null && terminal.controller.catalog.length > 0;
  }, 'card cache in step with the ledger');
}
