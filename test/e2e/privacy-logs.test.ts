// Logs never hold a child's name, photo or whole card UID. Self-contained: it first runs a workload
// that makes every kind of log line (sales of every outcome, offline, voids, refusals, a closed
// card, hostile input, a `klubkort run` child at debug level), then scans every log under
// .tmp/test-logs with scripts/privacy-scan.ts. The scan of the whole suite's logs is a step of its
// own after the suite (`npm test`), so it sees every line whatever order ava runs the files in.
import test from 'ava';
import { join } from 'node:path';
import { world } from '../helpers/fixture.ts';
import { until } from '../helpers/until.ts';
import { sellDirect, voidLast } from '../helpers/cashier.ts';
import { LOG_DIR, logSink } from '../helpers/log-sink.ts';
import { SimClient } from '../helpers/sim-client.ts';
import { DaemonProcess } from '../helpers/daemon-process.ts';
import { hostilePayloads } from '../helpers/hostile.ts';
import { rng } from '../helpers/random.ts';
import { demoChildren, demoStaff, DEMO_CLUB_ID } from '../../sim/demo-club.ts';
import { scanLogs } from '../../scripts/privacy-scan.ts';
import { topics } from '../../contract/index.ts';
import type { TerminalConfigInput } from '../../firmware/config/schema.ts';

const C = DEMO_CLUB_ID;
const FAST: Partial<TerminalConfigInput> = { sale: { replyTimeoutMs: 300, maxPurchase: 19999, resultScreenMs: 60000 } };

test('no log line holds a name, a photo or a whole card UID', async (t) => {
  t.timeout(5 * 60_000);
  const w = await world(t);
  const { terminal, sim } = await w.startTerminal('kasse-1', FAST);
  const daemon = DaemonProcess.spawn({
    brokerUrl: w.broker.url,
    terminalId: 'kasse-2',
    clubId: C,
    dataDir: join(w.dir, 'kasse-2'),
    config: FAST,
  });
  t.teardown(() => daemon.kill().then(() => undefined));
  const sim2 = await SimClient.connect(w.broker.url, 'kasse-2');
  t.teardown(() => sim2.close());
  await until(
    async () => terminal.link.connected && (await terminal.journal.cards.count()) === demoChildren().length,
    'kasse-1 synced',
  );
  await sim2.waitScreen('idle', (s) => s.online && (s.view.catalog?.items.length ?? 0) > 0);
  const kids = demoChildren();

  // kasse-1, in process: every outcome of a sale, balance looks, a void, the report, offline.
  for (const kid of kids) await sellDirect(terminal, ['1', '4'], kid.uid);
  await sellDirect(terminal, ['1'], 'DEADBEEF');
  for (const kid of kids) {
    await terminal.controller.onCard({ uid: kid.uid, sun: null });
    terminal.controller.onKey('escape');
  }
  await voidLast(terminal);
  // Cashiers sign in and out, and sell.
  for (const s of demoStaff()) await terminal.controller.onCard({ uid: s.cardUid, sun: null });
  await sellDirect(terminal, ['1'], kids[0]!.uid);
  await terminal.controller.onCard({ uid: demoStaff()[1]!.cardUid, sun: null });
  terminal.controller.onKey('f3');
  terminal.controller.onKey('escape');
  await w.ledger.pause();
  await sellDirect(terminal, ['2'], kids[0]!.uid);
  await w.ledger.resume();
  await sim.reader('unplug');
  await sim.reader('plug');

  // kasse-2, a real daemon, through the simulator topics.
  for (const uid of [kids[0]!.uid, kids[4]!.uid]) {
    await sim2.key('1');
    await sim2.waitScreen('basket');
    await sim2.key('enter');
    await sim2.waitScreen('tap');
    await sim2.tap(uid);
    const s = await sim2.waitFor(
      () =>
        (sim2.screen?.screen === 'confirm' && !sim2.screen.view.busy) || sim2.screen?.screen === 'result'
          ? sim2.screen
          : null,
      'confirm',
    );
    if (s.screen === 'confirm') {
      await sim2.key('enter');
      await sim2.waitScreen('result');
    }
    await sim2.leave();
  }

  // Hostile input, some of it carrying real UIDs and names where they do not belong.
  const cards = w.ledger.cards(C);
  const r = rng(1);
  const hostile = hostilePayloads(
    r,
    {
      clubId: C,
      terminalId: 'kasse-1',
      cards,
      catalog: (await terminal.journal.cards.catalog())!,
      queuedOfflineTxId: crypto.randomUUID(),
    },
    400,
  );
  for (const p of hostile) await sim.publish(p.topic, p.payload);
  for (const kid of kids) {
    await sim.publish(topics.card(C, kid.name), JSON.stringify({ name: kid.name }));
    await sim.publish(topics.card(C, kid.uid.toLowerCase()), JSON.stringify({ cardUid: kid.uid, name: kid.name }));
    await sim.publish(`${topics.card(C, kid.uid)}/${kid.name}`, JSON.stringify({ name: kid.name }));
    await sim.publish(
      topics.card(C, kid.uid),
      JSON.stringify({ cardUid: kid.uid, name: kid.name, balance: 'all of it' }),
    );
  }

  // A top-up, a block and a closed card.
  await w.ledger.topUp(C, kids[1]!.uid, 500);
  await w.ledger.block(C, kids[2]!.uid);
  await w.ledger.closeCard(C, kids[0]!.uid);
  await until(async () => (await terminal.journal.cards.get(kids[0]!.uid)) === null, 'closed card erased');
  await terminal.sync.idle();
  const exit = await daemon.kill('SIGTERM');
  t.is(exit.code, 0);
  await new Promise<void>((resolve) => logSink('flush').write('', () => resolve()));

  const { files, lines, leaks } = scanLogs(LOG_DIR);
  t.true(files.includes(`child-kasse-2-${process.pid}.log`), 'the child daemon logged');
  t.log(`${files.length} log files, ${lines} lines scanned`);
  t.true(lines > 1000);
  // Logs of earlier runs stay in .tmp/test-logs until deleted (rm -r .tmp/test-logs).
  t.deepEqual(leaks, []);
});
