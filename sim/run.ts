// `npm run sim`: embedded broker, reference ledger with the demo club, and one terminal with
// simulated hardware — on the cashier TUI in this terminal, or headless on the sim topics.
import { parseArgs } from 'node:util';
import { join, resolve } from 'node:path';
import { mkdirSync } from 'node:fs';
import mqtt from 'mqtt';
import { startBroker, type EmbeddedBroker } from './broker.ts';
import { startLedger } from './ledger/ledger.ts';
import { demoClub, demoChildren, demoStaff, DEMO_CARD_URL, DEMO_CLUB_ID, DEMO_SUN_KEYS } from './demo-club.ts';
import { cardsInHand, DemoCards } from './demo-cards.ts';
import { parseConfig } from '../firmware/config/load.ts';
import { startDaemon } from '../firmware/cli/daemon.ts';
import { createLogger, openLogFile } from '../firmware/log.ts';
import { topics } from '../contract/index.ts';

export async function runSim(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      port: { type: 'string', default: '1883' },
      headless: { type: 'boolean', default: false },
      'data-dir': { type: 'string', default: 'data/sim' },
      'terminal-id': { type: 'string', default: 'kasse-1' },
      lang: { type: 'string', default: 'da' },
    },
  });
  const dataDir = resolve(values['data-dir']);
  mkdirSync(dataDir, { recursive: true });
  const say = (s: string) => { if (values.headless) process.stdout.write(s + '\n'); };
  const logStream = values.headless ? undefined : openLogFile(join(dataDir, 'sim.log'));

  const broker = await startOnFreePort(Number(values.port));
  const ledger = await startLedger({
    brokerUrl: broker.url, dbPath: join(dataDir, 'ledger.db'), clubs: [demoClub()], sun: DEMO_SUN_KEYS,
    logger: createLogger({ name: 'ledger', destination: logStream }),
  });
  const terminalId = values['terminal-id'];
  const cfg = parseConfig({
    terminalId, clubId: DEMO_CLUB_ID, broker: { url: broker.url }, dataDir: join(dataDir, terminalId),
    hardware: 'sim', headless: values.headless, lang: values.lang,
  }, 'simulator settings');

  // The TUI's sim panel acts through the same sim topics an outside tool would use.
  const panelClient = values.headless ? null : await mqtt.connectAsync(broker.url, { clientId: `${terminalId}-panel` });
  const reader = (msg: object) => void panelClient?.publish(topics.simReader(terminalId), JSON.stringify(msg), { qos: 1 });
  // Each `sun` card's emulated chip, issued as the desk would; it goes on from the ledger's counter.
  const counterOf = (uid: string) => ledger.card(DEMO_CLUB_ID, uid)?.sunCounter ?? 0;
  const club = ledger.cards(DEMO_CLUB_ID).map((c) => ({ uid: c.cardUid, auth: c.auth ?? 'uid' as const }));
  const hand = await DemoCards.issue(club, DEMO_SUN_KEYS, DEMO_CARD_URL, counterOf);
  let plugged = true;
  let ledgerUp = true;

  const daemon = await startDaemon(cfg, {
    onQuit: () => void stop(),
    simPanel: values.headless ? undefined : {
      // The club's cards as the ledger has them now (the genuine ones read from their chips), one
      // it never issued, then the staff cards past the digits (↓, Enter).
      get cards() { return cardsInHand(ledger, DEMO_CLUB_ID); },
      tap: (uid) => void hand.tap(uid, ledger.card(DEMO_CLUB_ID, uid)?.auth === 'sun').then(reader),
      clone: (uid) => reader(hand.clone(uid)),
      replay: (uid) => { const m = hand.replay(uid); if (m) reader(m); return m !== null; },
      remove: () => reader({ action: 'remove' }),
      togglePlug: () => { plugged = !plugged; reader({ action: plugged ? 'plug' : 'unplug' }); },
      quit: () => void stop(),
      toggleLedger: () => { ledgerUp = !ledgerUp; void (ledgerUp ? ledger.resume() : ledger.pause()); },
    },
  });

  say(`klubkort simulator: broker ${broker.url}, club ${DEMO_CLUB_ID}, terminal ${terminalId}`);
  say(`  drive it:  mosquitto_pub -h 127.0.0.1 -p ${broker.port} -t ${topics.simKeys(terminalId)} -m '{"key":"1"}'`);
  say(`             mosquitto_pub -h 127.0.0.1 -p ${broker.port} -t ${topics.simReader(terminalId)} -m '{"action":"tap","uid":"${demoChildren()[0]!.uid}"}'`);
  say(`  watch it:  mosquitto_sub -h 127.0.0.1 -p ${broker.port} -t '${topics.simScreen(terminalId)}'`);
  say(`  parents' portal:  npx klubkort ledger --broker ${broker.url} topup ${demoChildren()[0]!.uid} 50`);
  const sunNames = demoChildren().filter((c) => c.auth === 'sun').map((c) => c.name).join(', ');
  say(`  genuine cards (${sunNames}) need their chip's SUN: a tap without "sun" is a clone and is refused; the TUI's panel (k) reads their emulated chips`);
  say(`  sign a cashier in: mosquitto_pub -h 127.0.0.1 -p ${broker.port} -t ${topics.simReader(terminalId)} -m '{"action":"tap","uid":"${demoStaff()[0]!.cardUid}"}'`);

  const stop = async () => {
    await daemon.stop().catch(() => undefined);
    await panelClient?.endAsync().catch(() => undefined);
    await ledger.stop().catch(() => undefined);
    await broker.close().catch(() => undefined);
    process.exit(0);
  };
  process.once('SIGINT', () => void stop());
  process.once('SIGTERM', () => void stop());
  return -1;
}

/** The default port may be taken (a local mosquitto): then any free one, said out loud. */
async function startOnFreePort(port: number): Promise<EmbeddedBroker> {
  try {
    return await startBroker({ port });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw e;
    const b = await startBroker({ port: 0 });
    process.stderr.write(`port ${port} is in use; the embedded broker listens on ${b.port}\n`);
    return b;
  }
}
