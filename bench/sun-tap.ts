// Genuine cards (contract 1.1): tap → confirm and Enter → approved online for a `sun` card against a
// `uid` card, alternating in the same run. The sun card is a simulated NTAG 424 DNA: its tap includes
// reading the NDEF file through the emulator's APDUs (select application, select file, read the
// length, read the record), and its approval the ledger's AES-CMAC check. The count of APDUs a real
// card's read takes is printed too (docs/hardware.md turns it into an estimate for the ACR122U).
import { join } from 'node:path';
import { demoChildren, DEMO_CARD_URL, DEMO_CLUB_ID, DEMO_SUN_KEYS } from '../sim/demo-club.ts';
import { DemoCards } from '../sim/demo-cards.ts';
import { runAdmin } from '../sim/admin.ts';
import { Ntag424Card, personalise, readSun } from '../hal/ntag424/index.ts';
import { topics } from '../contract/index.ts';
import { timedSale } from './sale-latency.ts';
import { until } from '../test/helpers/until.ts';
import { latency, latencyVsFloor, msSince, now, type Figure } from './stats.ts';
import { startBenchBroker, startDrivenTerminal, using, type BenchLog, type DrivenTerminal } from './world.ts';
import { spawnLedger } from './ledger-process.ts';

const WARMUP = 10;
const RUNS = Number(process.env.BENCH_SUN_RUNS ?? 150);
const TERMINAL = 'bench-sun';

interface Samples {
  tap: number[];
  tapProc: number[];
  enter: number[];
}

/** One sale; the tap's clock starts when the card enters the field (before a sun card is read). */
async function sale(b: DrivenTerminal, hand: DemoCards, uid: string, s: Samples | null): Promise<void> {
  const t = await timedSale(b, async () =>
    b.sim.publish(topics.simReader(TERMINAL), JSON.stringify(await hand.tap(uid))),
  );
  if (!s) return;
  s.tap.push(t.tapMqtt);
  s.tapProc.push(t.tapProc);
  s.enter.push(t.enterMqtt);
}

/** APDUs one tap's SUN read sends, and the emulator's time for them (the chip's own time is not modelled). */
async function readCost(): Promise<{ apdus: number; ms: number[] }> {
  const chip = new Ntag424Card({ uid: '04BE0C4000A001' });
  chip.powerOn();
  await personalise(async (a) => chip.transmit(a), { ...DEMO_SUN_KEYS, baseUrl: DEMO_CARD_URL });
  let apdus = 0;
  const ms: number[] = [];
  for (let i = 0; i < 500; i++) {
    chip.powerOn();
    apdus = 0;
    const t0 = now();
    await readSun(async (a) => {
      apdus++;
      return chip.transmit(a);
    });
    ms.push(msSince(t0));
  }
  return { apdus, ms };
}

export async function sunTap(dir: string, log: BenchLog): Promise<Figure[]> {
  return using(async (defer) => {
    const broker = await startBenchBroker();
    defer(() => broker.close());
    const uidCard = demoChildren().find((c) => c.auth === 'uid' && c.name.startsWith('Freja'))!.uid;
    const sunCard = demoChildren().find((c) => c.auth === 'sun')!.uid;
    const ledger = await spawnLedger({
      brokerUrl: broker.url,
      dbPath: join(dir, 'ledger.db'),
      logFile: join(log.dir, 'ledger-sun.log'),
      terminals: [TERMINAL],
    });
    defer(() => ledger.stop());
    const quiet = { out: () => undefined, err: (l: string) => void process.stderr.write(l + '\n') };
    for (const uid of [uidCard, sunCard]) await runAdmin(['--broker', broker.url, 'topup', uid, '100000'], quiet);
    const b = await startDrivenTerminal({ dir, id: TERMINAL, clubId: DEMO_CLUB_ID, linkUrl: broker.url, log });
    defer(() => b.stop());
    await b.sim.waitScreen('idle', (m) => m.online && (m.view.catalog?.items.length ?? 0) > 0);
    await until(
      async () =>
        (await b.terminal.journal.cards.get(sunCard))?.auth === 'sun' &&
        ((await b.terminal.journal.cards.get(uidCard))?.balance ?? 0) > 10_000_000,
      'cards cached',
    );
    const hand = await DemoCards.issue(demoChildren(), DEMO_SUN_KEYS, DEMO_CARD_URL);

    const uidS: Samples = { tap: [], tapProc: [], enter: [] };
    const sunS: Samples = { tap: [], tapProc: [], enter: [] };
    for (let i = 0; i < WARMUP; i++) {
      await sale(b, hand, uidCard, null);
      await sale(b, hand, sunCard, null);
    }
    for (let i = 0; i < RUNS; i++) {
      await sale(b, hand, uidCard, uidS);
      await sale(b, hand, sunCard, sunS);
    }
    const cost = await readCost();
    // p50 is the figure; p99 of a few hundred samples is one neighbour's burst on a shared machine.
    const vsUid = (s: readonly number[]) => ({ name: 'the uid card (alternating)', samples: s });
    return [
      latency('tap_confirm_uid', 'tap → confirm, uid card (sim topics)', uidS.tap, Infinity),
      latencyVsFloor(
        'tap_confirm_sun',
        'tap → confirm, sun card incl. emulated SUN read (sim topics)',
        sunS.tap,
        vsUid(uidS.tap),
        { p50: 1.5, p99: 3 },
      ),
      latencyVsFloor(
        'tap_confirm_sun_inproc',
        'tap → confirm, sun card (in-process)',
        sunS.tapProc,
        vsUid(uidS.tapProc),
        { p50: 1.2, p99: 3 },
        [],
        "the terminal's own checks (no SUN, other uid): nothing measurable",
      ),
      latencyVsFloor(
        'enter_approved_sun',
        'Enter → approved online, sun card (ledger checks the cmac)',
        sunS.enter,
        vsUid(uidS.enter),
        { p50: 1.2, p99: 3 },
      ),
      {
        ...latency('sun_read_emulated', `SUN read of the emulated card: ${cost.apdus} APDUs`, cost.ms, Infinity),
        target: undefined,
        met: undefined,
        note: `a real NTAG 424 DNA on an ACR122U needs ${cost.apdus} APDUs more than a uid card's one GET DATA (docs/hardware.md)`,
      },
    ].map((f) => (f.target === 'p99 < Infinity ms' ? { ...f, target: undefined, met: undefined } : f));
  });
}
