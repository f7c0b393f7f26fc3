// The daemon in `pi` mode on a Pi whose GPIO cannot be reached (no sysfs, no /dev/gpiochip*):
// it starts, sells through the real ACR122U driver (nfc-pcsc replaced by a fake), and says what is
// missing on the status bar and in `klubkort status`. Broker and ledger are real, on loopback.
import test from 'ava';
import { EventEmitter } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startBroker } from '../../sim/broker.ts';
import { startLedger } from '../../sim/reference-ledger/ledger.ts';
import { demoChildren, demoClub, DEMO_CLUB_ID } from '../../sim/demo-club.ts';
import { parseConfig } from '../../firmware/config/load.ts';
import { startDaemon } from '../../firmware/cli/daemon.ts';
import { formatStatus } from '../../firmware/cli/status-format.ts';
import { createLogger } from '../../firmware/log.ts';
import type { NfcPcscModule } from '../../hal/pi/reader/acr122u-reader.ts';
import { fakeGpiod } from '../helpers/fake-gpiod.ts';
import { logSink } from '../helpers/log-sink.ts';
import { until } from '../helpers/until.ts';

const OK = Buffer.from([0x90, 0x00]);

/** nfc-pcsc's Reader for an ACR122U with a card that can be put on it. */
class FakeAcr122u extends EventEmitter {
  name = 'ACS ACR122U PICC Interface 00 00';
  autoProcessing = true;
  uid: Buffer | null = null;
  commands: string[] = [];
  async connect() {
    return {};
  }
  async disconnect() {
    return true;
  }
  async transmit(data: Buffer) {
    this.commands.push(`transmit ${data.toString('hex')}`);
    return data.toString('hex') === 'ffca000000' && this.uid ? Buffer.concat([this.uid, OK]) : OK;
  }
  async control(data: Buffer) {
    this.commands.push(`control ${data.toString('hex')}`);
    return OK;
  }
  close() {}
  tap(uid: string) {
    this.uid = Buffer.from(uid, 'hex');
    this.emit('card', { atr: Buffer.alloc(0), standard: 'TAG_ISO_14443_3' });
  }
  lift() {
    this.emit('card.off', {});
    this.uid = null;
  }
}

test('with no GPIO at all the daemon still starts, sells, and says what is missing', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'klubkort-nogpio-'));
  const broker = await startBroker();
  const ledger = await startLedger({
    brokerUrl: broker.url,
    dbPath: join(dir, 'ledger.db'),
    clubs: [demoClub(['kasse-pi'])],
    logger: createLogger({ level: 'warn', destination: logSink('ledger') }),
  });
  t.teardown(async () => {
    await ledger.stop().catch(() => undefined);
    await broker.close().catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  });
  const acr = new FakeAcr122u();
  const nfc = Object.assign(new EventEmitter(), { close() {} });
  const cfg = parseConfig({
    terminalId: 'kasse-pi',
    clubId: DEMO_CLUB_ID,
    broker: { url: broker.url },
    dataDir: join(dir, 'data'),
    hardware: 'pi',
    headless: true,
    logLevel: 'debug',
  });
  const daemon = await startDaemon(cfg, {
    logFile: join(dir, 'daemon.log'),
    pi: {
      importNfcPcsc: async () => ({ NFC: class {} }) as unknown as NfcPcscModule,
      createNfc: () => {
        setImmediate(() => nfc.emit('reader', acr));
        return nfc;
      },
      pcscdAvailable: async () => true,
      // A kernel without sysfs GPIO and a device policy that hides the chips: nothing to drive.
      sysfsRoot: join(dir, 'no-sysfs'),
      devRoot: join(dir, 'no-dev'),
      gpiod: fakeGpiod({ major: 2, chips: [] }).runner,
    },
  });
  t.teardown(() => daemon.stop());
  const { terminal } = daemon;
  const snap = await terminal.snapshot();
  t.like(snap.indicators, {
    problem: `GPIO not accessible: not a Raspberry Pi or user not in group gpio (no GPIO character device ${join(dir, 'no-dev')}/gpiochip*)`,
  });
  const fallback = snap.indicators!.fallback;
  t.regex(formatStatus(snap), /^lights {5}LEDs and buzzer MISSING, feedback on the screen.*: GPIO not accessible/m);

  await until(
    () => terminal.controller.screen?.online && terminal.controller.screen.view.catalog?.items.length,
    'online with a catalog',
  );
  const child = demoChildren()
    .map((d) => ledger.card(DEMO_CLUB_ID, d.uid)!)
    .find((c) => c.status === 'active' && c.balance >= 5000)!;
  await until(async () => (await terminal.journal.cards.count()) === demoChildren().length, 'cards synced');
  await until(() => terminal.controller.screen?.view.reader === 'ready', 'reader attached');
  t.is(terminal.controller.screen!.view.indicators, fallback, 'the status bar says it too');

  const c = terminal.controller;
  c.onKey('1');
  c.onKey('enter');
  await until(() => c.state.screen === 'tap', 'asking for the card');
  acr.tap(child.cardUid);
  await until(() => c.state.screen === 'confirm', 'the child shown');
  acr.lift();
  c.onKey('enter');
  await until(() => c.state.screen === 'result', 'the sale decided');
  t.like(c.screen!.result, { status: 'approved' });
  await until(() => ledger.card(DEMO_CLUB_ID, child.cardUid)!.balance < child.balance, 'the ledger booked the sale');
});
