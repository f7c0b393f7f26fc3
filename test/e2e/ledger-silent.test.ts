// A ledger that stops answering (issue 26, item 2): the real reference ledger in a process of its
// own, stopped with SIGSTOP (hung: its connection stays open, so no will, and its retained status
// still says online), then stopped for good (its status offline). The real Terminal sells through
// it; what its status bar says is read from the screen model its display was given, drawn as the
// cashier sees it. The wall clock stands still where the test puts it, so "since 14:05" is exact.
import test from 'ava';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { spawnLedger, type LedgerProcess } from '../../bench/ledger-process.ts';
import { startBroker } from '../../sim/broker.ts';
import { DEMO_CLUB_ID } from '../../sim/demo-club.ts';
import { Terminal } from '../../firmware/terminal/terminal.ts';
import { parseConfig } from '../../firmware/config/load.ts';
import { createLogger } from '../../firmware/log.ts';
import { createSimHardware } from '../../hal/sim/index.ts';
import { renderFrame } from '../../firmware/ui/frame.ts';
import type { Clock } from '../../firmware/clock.ts';
import type { ScreenModel } from '../../contract/index.ts';
import { SimClient } from '../helpers/sim-client.ts';
import { logSink } from '../helpers/log-sink.ts';
import { until } from '../helpers/until.ts';
import { sellDirect } from '../helpers/cashier.ts';
import { systemTimers } from '../../lib/timers.ts';

/** Freja Nielsen: 150 kr, no parents' rules; item 1 (Juice) is 8 kr. */
const FREJA = '04A23B5C7D2E80';

test('a ledger that stops answering: "not answering since 14:05" after the first timeout, sales still asked online, "Online" once it answers; its status offline says so too', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'klubkort-silent-'));
  const broker = await startBroker({ port: 0 });
  const ledgerAt = (n: number) =>
    spawnLedger({
      brokerUrl: broker.url,
      dbPath: join(dir, 'ledger.db'),
      logFile: join(dir, `ledger-${n}.log`),
      terminals: ['kasse-1'],
    });
  let ledger: LedgerProcess = await ledgerAt(1);
  // Wall time: 13:05:30 UTC, 14:05 in the club's zone (Copenhagen, winter). It moves only when the test moves it.
  let wall = Date.parse('2026-11-24T13:05:30.000Z');
  const clock: Clock = {
    now: () => new Date(wall),
    mono: () => performance.now(),
    boot: () => null,
    wallTrusted: () => true,
    timers: systemTimers,
  };
  const config = parseConfig({
    terminalId: 'kasse-1',
    clubId: DEMO_CLUB_ID,
    broker: { url: broker.url },
    dataDir: join(dir, 'kasse-1'),
    hardware: 'sim',
    headless: true,
    lang: 'en',
    logLevel: 'debug',
    sale: { replyTimeoutMs: 1500, resultScreenMs: 60000 },
  });
  const log = createLogger({ level: 'debug', destination: logSink('kasse-1') }).child({ test: 'ledger-silent' });
  const sim = await SimClient.connect(broker.url, 'kasse-1');
  const terminal = await Terminal.start({
    config,
    hardware: createSimHardware({ brokerUrl: broker.url, terminalId: 'kasse-1', log }),
    log,
    clock,
  });
  t.teardown(async () => {
    ledger.proc.kill('SIGCONT');
    await terminal.stop().catch(() => undefined);
    await sim.close().catch(() => undefined);
    await ledger.stop().catch(() => undefined);
    await broker.close().catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  });

  /** The status bar of a model as the cashier's screen draws it (80×24, the club's zone). */
  const bar = (m: ScreenModel) =>
    renderFrame(m, 80, 24, {
      lang: 'en',
      now: clock.now(),
      timeZone: config.timeZone,
      photo: () => ({ kind: 'missing' }),
    })
      .plain()[23]!
      .trim();
  const shown = () => bar(terminal.controller.screen!);
  /** One juice for Freja, approved by the cashier: the result screen, its status bar, and what was sent for it (false: online). */
  const sell = async () => {
    const r = await sellDirect(terminal, ['1'], FREJA);
    return {
      r,
      onResult: bar(r),
      sent: () => sim.tx.filter((m) => m.txId === r.result!.txId).map((m) => (m.type === 'sale' ? m.offline : m.type)),
    };
  };
  const queue = (n: number) => until(() => terminal.controller.screen?.view.queue === n, `queue ${n}`, 30_000);

  await sim.waitScreen('idle', (s) => s.online && (s.view.catalog?.items.length ?? 0) > 0);
  await until(async () => (await terminal.journal.cards.get(FREJA)) !== null, 'the card cached');

  const first = await sell();
  t.like(first.r.result, { status: 'approved' });
  t.is(first.r.message, 'Approved');
  t.regex(first.onResult, /^\* Online {3}Queue: 0/);

  // The ledger hangs: its connection stays open, its status still says online.
  ledger.proc.kill('SIGSTOP');
  const second = await sell();
  t.like(second.r.result, { status: 'approved' });
  t.is(second.r.message, 'Approved (offline)');
  t.true(second.r.online, "connected and the ledger's status online: the contract's screen.online");
  t.is(second.r.view.ledgerSilentSince, '2026-11-24T13:05:30.000Z');
  t.regex(second.onResult, /^\* Ledger not answering since 14:05 {3}Queue: /, 'the result already says it');
  await queue(1);
  t.regex(shown(), /^\* Ledger not answering since 14:05 {3}Queue: 1 /, 'and idle after it, with the queue');

  // Ten minutes on: the next sale is still asked of the ledger first (the contract decides offline
  // at once only while the ledger's status is offline); the silence is still since 14:05.
  wall += 10 * 60_000;
  const third = await sell();
  t.like(third.r.result, { status: 'approved' });
  await until(() => third.sent().length === 2, 'the third sale sent online, then offline');
  t.deepEqual(third.sent(), [false, true]);
  await queue(2);
  t.regex(shown(), /^\* Ledger not answering since 14:05 {3}Queue: 2 /);

  // The ledger goes on: its answers to the queue end the silence; the next sale is answered online.
  ledger.proc.kill('SIGCONT');
  await queue(0);
  t.regex(shown(), /^\* Online {3}Queue: 0/);
  const fourth = await sell();
  t.is(fourth.r.message, 'Approved');
  await until(() => fourth.sent().length > 0, 'the fourth sale seen sent');
  t.deepEqual(fourth.sent(), [false]);
  t.regex(fourth.onResult, /^\* Online {3}Queue: /);
  t.is(terminal.controller.screen!.view.ledgerSilentSince, null);
  await queue(0);

  // The ledger stops for good at 14:30 (its status offline, retained): not answering since the terminal was last live.
  wall = Date.parse('2026-11-24T13:30:10.000Z');
  await ledger.stop();
  await until(() => terminal.controller.screen?.online === false, "the ledger's status offline seen");
  wall += 10 * 60_000;
  t.regex(shown(), /^\* Ledger not answering since 14:30 {3}Queue: 0/, 'at 14:40');
  t.is(terminal.controller.screen!.view.offlineReason, 'ledger_offline');
  // It comes back (its status online): online again.
  ledger = await ledgerAt(2);
  await until(() => terminal.controller.screen?.online === true, "the ledger's status online again");
  t.regex(shown(), /^\* Online {3}Queue: 0/);
});
