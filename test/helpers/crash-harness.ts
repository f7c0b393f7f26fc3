// The crash test: the terminal runs as a real child process against a real broker and the
// reference ledger (in this process), sells through the simulator topics, and is killed with
// SIGKILL at random moments — while starting, right after Enter on confirm, while the sale is
// being committed and sent, just after the result — and restarted. At the end the ledger is
// audited against the result screens the cashier saw (audit.ts). Used by test/e2e/crash.test.ts
// (short run) and scripts/crashtest.ts (long run).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startBroker } from '../../sim/broker.ts';
import { startLedger, type Ledger } from '../../sim/reference-ledger/ledger.ts';
import { demoChildren, demoClub, DEMO_CLUB_ID } from '../../sim/demo-club.ts';
import { createLogger } from '../../firmware/log.ts';
import { Db } from '../../firmware/journal/db.ts';
import type { KeyName } from '../../contract/index.ts';
import type { TerminalConfigInput } from '../../firmware/config/schema.ts';
import type { ScreenModel } from '../../contract/index.ts';
import { SimClient } from './sim-client.ts';
import { DaemonProcess, readJournal } from './daemon-process.ts';
import { until } from './until.ts';
import { logSink } from './log-sink.ts';
import { audit, journalSales, topUp, type Audit, type SeenResult } from './audit.ts';
import { rng, sleep, type Rng } from './random.ts';

const C = DEMO_CLUB_ID;
const TERMINAL = 'kasse-crash';
/** Fast answers and resends, so a cycle of start, sale and kill takes about a second. */
const CONFIG: Partial<TerminalConfigInput> = {
  sale: { replyTimeoutMs: 400, maxPurchase: 19999, resultScreenMs: 60000 },
  outbox: { resendAfterMs: 1000 },
};

/** When, in a cycle, the daemon is killed. */
type KillAt = 'startup' | 'enter' | 'soon' | 'busy' | 'result';
const KILL_AT: readonly [KillAt, number][] = [
  ['startup', 0.1],
  ['enter', 0.2],
  ['soon', 0.3],
  ['busy', 0.2],
  ['result', 0.2],
];

export interface CrashOptions {
  kills: number;
  seed?: number;
  progress?: (line: string) => void;
}

export interface CrashReport extends Audit {
  kills: number;
  seed: number;
  /** Sales confirmed with Enter (killed or not). */
  sales: number;
  killsAt: Record<KillAt, number>;
  ms: number;
}

/** The final line of a run; `kills=1000 approved=… booked_once=… lost=0 double=0`. */
export const crashLine = (r: CrashReport): string =>
  `kills=${r.kills} approved=${r.approved} booked_once=${r.bookedOnce} lost=${r.lost} double=${r.double}`;

export async function runCrashTest(o: CrashOptions): Promise<CrashReport> {
  const r = rng(o.seed);
  const progress = o.progress ?? (() => undefined);
  const t0 = Date.now();
  const dir = mkdtempSync(join(tmpdir(), 'klubkort-crash-'));
  const log = createLogger({ level: 'debug', destination: logSink('crash') }).child({ run: 'crash', seed: r.seed });
  const broker = await startBroker();
  let ledger: Ledger | null = null;
  let sim: SimClient | null = null;
  let daemon: DaemonProcess | null = null;
  try {
    ledger = await startLedger({
      brokerUrl: broker.url,
      dbPath: join(dir, 'ledger.db'),
      clubs: [demoClub([TERMINAL])],
      logger: log,
    });
    sim = await SimClient.connect(broker.url, TERMINAL);
    const world: CrashWorld = {
      ledger,
      sim,
      r,
      topUps: new Map(),
      dataDir: join(dir, TERMINAL),
      brokerUrl: broker.url,
    };
    const start = new Map(cardsOf(ledger).map((c) => [c.cardUid, c.balance]));
    // Two children with plenty of money, the rest as seeded: a little, almost none, none, blocked.
    for (const uid of [...start.keys()].slice(0, 2)) await topUp(ledger, C, world.topUps, uid, 50000);

    const killsAt: Record<KillAt, number> = { startup: 0, enter: 0, soon: 0, busy: 0, result: 0 };
    let sales = 0;
    for (let kills = 0; kills < o.kills; ) {
      const at = pickWeighted(r, KILL_AT);
      daemon = await restart(world, daemon);
      if (at === 'startup') {
        await sleep(r.int(30, 900));
      } else {
        await ready(world);
        for (let n = r.int(0, 1); n > 0; n--)
          if (await sell(world)) {
            sales++;
            await finish(world);
          }
        if (await sell(world)) {
          sales++;
          await killMoment(world, at);
        }
      }
      if (!daemon.alive)
        throw new Error(`the daemon exited by itself: ${JSON.stringify(await daemon.exited)}; see ${daemon.logFile}`);
      await daemon.kill();
      kills++;
      killsAt[at]++;
      if (r.chance(0.15))
        await topUp(ledger, C, world.topUps, r.pick([...start.keys()].slice(0, 3)), r.int(1, 40) * 100);
      if (kills % 25 === 0) progress(`kills=${kills} sales=${sales} (${Math.round((Date.now() - t0) / 1000)} s)`);
    }

    // The last start runs undisturbed until every queued message is answered.
    daemon = await restart(world, daemon);
    await ready(world);
    await outboxDrained(world.dataDir);
    const exit = await daemon.kill('SIGTERM');
    if (exit.code !== 0) throw new Error(`the daemon did not stop cleanly on SIGTERM: ${JSON.stringify(exit)}`);
    daemon = null;
    await sleep(50); // the last screens on their way through the broker

    const db = await Db.open(join(world.dataDir, 'journal.db'));
    const [journal, integrity] = await Promise.all([
      journalSales(db),
      db.get<{ integrity_check: string }>('PRAGMA integrity_check'),
    ]).finally(() => db.close());
    const a = audit({ seen: seenResults(sim.screens), sales: journal, ledger, clubId: C, start, topUps: world.topUps });
    if (integrity?.integrity_check !== 'ok') a.conflicts.push(`journal integrity_check: ${integrity?.integrity_check}`);
    return { ...a, kills: o.kills, seed: r.seed, sales, killsAt, ms: Date.now() - t0 };
  } finally {
    await daemon?.kill();
    await sim?.close().catch(() => undefined);
    await ledger?.stop().catch(() => undefined);
    await broker.close().catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  }
}

interface CrashWorld {
  ledger: Ledger;
  sim: SimClient;
  r: Rng;
  topUps: Map<string, number>;
  dataDir: string;
  brokerUrl: string;
}

const cardsOf = (ledger: Ledger) =>
  demoChildren()
    .map((d) => ledger.card(C, d.uid)!)
    .filter((c) => c.status === 'active');

function pickWeighted<T>(r: Rng, choices: readonly [T, number][]): T {
  let x = r.next() * choices.reduce((s, [, w]) => s + w, 0);
  for (const [v, w] of choices) {
    x -= w;
    if (x < 0) return v;
  }
  return choices[choices.length - 1]![0];
}

async function restart(w: CrashWorld, old: DaemonProcess | null): Promise<DaemonProcess> {
  if (old) await old.kill();
  await sleep(20); // screens the killed daemon published may still be on their way
  w.sim.screen = null;
  return DaemonProcess.spawn({
    brokerUrl: w.brokerUrl,
    terminalId: TERMINAL,
    clubId: C,
    dataDir: w.dataDir,
    config: CONFIG,
  });
}

/** Waits for the idle screen of the new daemon, online with its catalog; a result recovered after the restart is read and left. */
async function ready(w: CrashWorld): Promise<void> {
  const { sim } = w;
  for (;;) {
    const s = await sim.waitFor(
      () => {
        const s = sim.screen;
        if (!s?.online) return null;
        return (s.screen === 'idle' && (s.view.catalog?.items.length ?? 0) > 0) || s.screen === 'result' ? s : null;
      },
      'the restarted daemon ready',
      30000,
    );
    if (s.screen === 'idle') return;
    await sim.key('escape');
    await sim.waitFor(() => sim.screen !== s, 'the recovered result left', 30000).catch(() => undefined);
  }
}

const DIGITS: KeyName[] = ['1', '2', '3', '4', '5', '6', '7', '8', '9'];

/**
 * Rings up one to three items for a random card and waits for the confirm screen; false when the
 * card is refused on tap (blocked, unknown), which sends nothing.
 */
async function sell(w: CrashWorld): Promise<boolean> {
  const { sim, r } = w;
  const keys = Array.from({ length: r.int(1, 3) }, () => r.pick(DIGITS));
  await sim.keys(...keys);
  await sim.waitScreen('basket', (s) => s.basket!.items.reduce((n, l) => n + l.qty, 0) === keys.length);
  await sim.key('enter');
  await sim.waitScreen('tap');
  const children = demoChildren();
  const uid = r.chance(0.05) ? 'DEADBEEF' : r.pick(children).uid;
  await sim.tap(uid);
  const s = await sim.waitFor(
    () =>
      (sim.screen?.screen === 'confirm' && !sim.screen.view.busy) || sim.screen?.screen === 'result'
        ? sim.screen
        : null,
    'confirm or refusal',
  );
  if (s.screen === 'result') {
    await sim.leave();
    return false;
  }
  await sim.key('enter');
  return true;
}

/** Reads the result and goes back to idle. */
async function finish(w: CrashWorld): Promise<void> {
  await w.sim.waitScreen('result');
  await w.sim.leave();
}

async function killMoment(w: CrashWorld, at: KillAt): Promise<void> {
  const { sim, r } = w;
  switch (at) {
    case 'enter':
      return; // Enter may not even have reached the daemon
    case 'soon':
      return sleep(r.int(0, 40));
    case 'busy':
      await sim.waitFor(() => (sim.screen?.view.busy || sim.screen?.screen === 'result') && sim.screen, 'busy');
      return sleep(r.int(0, 10));
    case 'result':
      await sim.waitScreen('result');
      return sleep(r.int(0, 10));
    case 'startup':
      return;
  }
}

/** Polls the journal read-only (the daemon keeps writing it) until the outbox is empty. */
async function outboxDrained(dataDir: string, ms = 60000): Promise<void> {
  await until(
    async () => (await readJournal<{ n: number }>(dataDir, 'SELECT count(*) AS n FROM outbox'))[0]!.n === 0,
    'every queued message answered',
    ms,
  );
}

/** The result screens the cashier saw (a result without txId sent nothing). */
export function seenResults(screens: readonly ScreenModel[]): SeenResult[] {
  return screens
    .filter((s) => s.screen === 'result' && s.result?.txId)
    .map((s) => ({ status: s.result!.status, txId: s.result!.txId }));
}
