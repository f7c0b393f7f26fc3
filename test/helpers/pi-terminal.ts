// A `hardware: "pi"` terminal for tests: the real reader driver (createPiHardware, no GPIO) on a
// test's own pcscd + vpcd, keypad and screen on the sim topics, a real broker and reference ledger.
import type { ExecutionContext } from 'ava';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { world, type ReaderFactory } from './fixture.ts';
import type { VirtualPcsc } from './pcscd.ts';
import type { VirtualCard } from './vpcd-card.ts';
import { fakeGpiod } from './fake-gpiod.ts';
import { logSink } from './log-sink.ts';
import { until } from './until.ts';
import type { SimClient } from './sim-client.ts';
import { createPiHardware } from '../../hal/pi/index.ts';
import { probePcscd } from '../../hal/pi/reader/pcsc-session.ts';
import { createLogger } from '../../firmware/log.ts';
import { text } from '../../firmware/words.ts';
import { demoChildren } from '../../sim/demo-club.ts';
import type { ReaderStatus, ScreenModel } from '../../contract/index.ts';

export const READER = 'Virtual PCD 00 00';

/**
 * The reader the daemon builds for `hardware: "pi"` (createPiHardware), on this pcscd; no GPIO here.
 * `onLeft`: PC/SC saw the field empty (pcscd polls vpcd, so a card swapped between two polls would
 * be no change to it; a real card never comes back without an empty field between).
 */
const piReader =
  (pcsc: VirtualPcsc, dir: string, onLeft: () => void): ReaderFactory =>
  async (config) => {
    const sink = logSink('kasse-pi');
    const log = createLogger({
      level: 'debug',
      destination: new Writable({
        write(chunk, _enc, cb) {
          if (String(chunk).includes('"card left the field"')) onLeft();
          sink.write(chunk, cb);
        },
      }),
    });
    return (
      await createPiHardware(config.pi, {
        pcscdAvailable: () => probePcscd(pcsc.socket),
        restartPcscd: async () => {
          await pcsc.kill();
          await pcsc.start();
        },
        sysfsRoot: join(dir, 'no-sysfs'),
        devRoot: join(dir, 'no-dev'),
        gpiod: fakeGpiod({ major: 2, chips: [] }).runner,
        log,
      })
    ).reader;
  };

export async function piTerminal(t: ExecutionContext, pcsc: VirtualPcsc) {
  const w = await world(t);
  const cards: VirtualCard[] = [];
  t.teardown(() => {
    for (const c of cards) c.remove();
  });
  let left = 0;
  const { terminal, sim } = await w.startTerminal(
    'kasse-pi',
    {
      hardware: 'pi',
      pi: { reader: { name: READER } },
      sale: { replyTimeoutMs: 2000, maxPurchase: 19999, resultScreenMs: 60000 },
    },
    {
      reader: piReader(pcsc, w.dir, () => {
        left++;
      }),
    },
  );
  await sim.waitScreen(
    'idle',
    (s) => s.online && (s.view.catalog?.items.length ?? 0) > 0 && s.view.reader === 'ready',
    20_000,
  );
  await until(async () => (await terminal.journal.cards.count()) === demoChildren().length, 'cards synced');
  /** A virtual card the test's end takes away whatever happened. */
  const card = (c: VirtualCard) => {
    cards.push(c);
    return c;
  };
  /** Takes the card away (or it went by itself) and waits until PC/SC saw the field empty. */
  const lift = async (c: VirtualCard, n = left) => {
    c.remove();
    await until(() => left > n, 'the card seen leaving', 10_000);
  };
  const sell = (c: VirtualCard) => sellWith(sim, card(c), lift);
  return { w, terminal, sim, card, lift, sell, left: () => left };
}

/** The reader statuses the screen showed, in order, without repeats. */
export const readerStatuses = (screens: ScreenModel[]): ReaderStatus[] =>
  screens.map((s) => s.view.reader).filter((r, i, a) => i === 0 || r !== a[i - 1]);

/** Rings up item 1, puts `card` on the reader, confirms, takes it away: the result screen. */
async function sellWith(
  sim: SimClient,
  card: VirtualCard,
  lift: (c: VirtualCard) => Promise<void>,
): Promise<ScreenModel> {
  const seen = sim.screens.length;
  await sim.key('1');
  await sim.waitScreen('basket');
  await sim.key('enter');
  await sim.waitScreen('tap');
  let next: ScreenModel | undefined;
  // A read that failed (the first after PC/SC came back can, on a busy machine) says so on the tap
  // screen: the cashier has the card tapped again, as here, at most twice more.
  for (let attempt = 0; !next; attempt++) {
    const from = sim.screens.length;
    await card.insert();
    const seenNow = await sim.waitFor(
      () =>
        sim.screens
          .slice(from)
          .find(
            (s) =>
              s.screen === 'confirm' ||
              s.screen === 'result' ||
              (attempt < 2 && s.screen === 'tap' && s.message === text(s.view.lang, 'readError')),
          ),
      'confirm or result',
      15_000,
    );
    await lift(card);
    if (seenNow.screen !== 'tap') next = seenNow;
  }
  if (next.screen === 'confirm') await sim.key('enter');
  const result = await sim.waitFor(
    () => sim.screens.slice(seen).find((s) => s.screen === 'result' && s.result?.status !== undefined && !s.view.busy),
    'result',
    15_000,
  );
  await sim.leave();
  return result;
}
