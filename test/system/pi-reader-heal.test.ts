// A `hardware: "pi"` terminal's real reader driver (see pi-reader.test.ts) healing: pcscd
// killed and started again, and the reader gone from PC/SC and back, without restarting the
// terminal, while the status bar says what happened. This test found the driver closing a reader
// inside its own 'end' event, where @pokusew/pcsclite holds the reader's mutex: the daemon froze.
import test from 'ava';
import { startVirtualPcsc, type VirtualPcsc } from '../helpers/pcscd.ts';
import { uidCard, VirtualCard } from '../helpers/vpcd-card.ts';
import { piTerminal, readerStatuses } from '../helpers/pi-terminal.ts';
import { until } from '../helpers/until.ts';
import { demoChildren, DEMO_CLUB_ID } from '../../sim/demo-club.ts';

const C = DEMO_CLUB_ID;
const UID_CHILD = demoChildren().find((c) => c.auth === 'uid')!.uid;

let pcsc: VirtualPcsc;
test.before(async () => {
  pcsc = await startVirtualPcsc();
  process.env.PCSCLITE_CSOCK_NAME = pcsc.socket;
});
test.after.always(async () => {
  await pcsc?.close();
});

test.serial(
  'pcscd killed and started again, then the reader gone and back: the status bar says so and the terminal sells again, never restarted',
  async (t) => {
    const { w, terminal, sim, sell } = await piTerminal(t, pcsc);
    const balance = w.ledger.card(C, UID_CHILD)!.balance;
    const from = sim.screens.length;
    await pcsc.kill();
    await sim.waitFor(() => sim.screen?.view.reader === 'unplugged', 'status bar: reader not connected', 15_000);
    await pcsc.start();
    await sim.waitFor(() => sim.screen?.view.reader === 'ready', 'status bar: reader ready again', 20_000);
    t.like(await sell(new VirtualCard(pcsc.port, uidCard(UID_CHILD))), { result: { status: 'approved' } });

    // The reader vanishes from PC/SC (pcscd back without it, as after a boot with the reader out) and returns.
    const gone = sim.screens.length;
    await pcsc.stop();
    await pcsc.start({ reader: false });
    await sim.waitFor(
      () => sim.screens.slice(gone).some((s) => s.view.reader === 'unplugged'),
      'status bar: reader not connected',
      20_000,
    );
    // pcscd is up: the terminal gets a PC/SC context, finds no reader in it (3 s), and stays unplugged.
    await new Promise((r) => setTimeout(r, 4000));
    t.is(sim.screen?.view.reader, 'unplugged');
    t.is((await terminal.snapshot()).reader, 'unplugged', 'klubkort status says so too');
    await pcsc.stop();
    await pcsc.start();
    await sim.waitFor(() => sim.screen?.view.reader === 'ready', 'status bar: reader ready again', 25_000);
    t.like(await sell(new VirtualCard(pcsc.port, uidCard(UID_CHILD))), { result: { status: 'approved' } });
    t.deepEqual(readerStatuses(sim.screens.slice(from - 1)), ['ready', 'unplugged', 'ready', 'unplugged', 'ready']);
    await until(() => w.ledger.card(C, UID_CHILD)!.balance < balance, 'both sales booked');
  },
);
