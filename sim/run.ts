// `npm run sim`: embedded broker, reference ledger with the demo club, and one terminal with
// simulated hardware — on the cashier TUI in this terminal, or headless on the sim topics.
import { parseArgs } from 'node:util';
import { join, relative, resolve } from 'node:path';
import { mkdirSync } from 'node:fs';
import mqtt from 'mqtt';
import { startBroker, type EmbeddedBroker } from './broker.ts';
import { startLedger } from './reference-ledger/ledger.ts';
import { demoClub, DEMO_CARD_URL, DEMO_CLUB_ID, DEMO_SUN_KEYS } from './demo-club.ts';
import { cardsInHand, DemoCards } from './demo-cards.ts';
import { SIM_DATA_DIR } from './data-dir.ts';
import { headlessGuide } from './headless-guide.ts';
import { parseConfig } from '../firmware/config/load.ts';
import { startDaemon } from '../firmware/cli/daemon.ts';
import { createLogger, openLogFile } from '../firmware/log.ts';
import { topics } from '../contract/index.ts';

export const SIM_USAGE = `usage: klubkort sim [--port N] [--headless] [--data-dir DIR] [--terminal-id ID] [--lang da|en]
       npm run sim -- [the same options]
  An embedded MQTT broker, the reference ledger with the demo club and one terminal with simulated
  hardware. The cashier screen opens in this terminal; its SIM line lists the simulator's own keys
  (k taps one of the club's cards, q quits).
  --port N          the broker's port (default 1883; another free one when it is taken; 0: any free one)
  --headless        no cashier screen: prints how to drive the terminal with npx mqtt pub/sub
  --data-dir DIR    the ledger's and the terminal's state (default ${SIM_DATA_DIR}; delete it to start over)
  --terminal-id ID  the simulated terminal's id (default kasse-1)
  --lang da|en      the cashier screen's language (default da)
Logs go to DIR/sim.log (the ledger) and DIR/ID/klubkort.log (the terminal). While it runs,
npx klubkort status shows the terminal's state and npx klubkort ledger plays the parents' portal.`;

export async function runSim(argv: string[]): Promise<number> {
  let values;
  try {
    values = parseArgs({
      args: argv,
      options: {
        port: { type: 'string', default: '1883' },
        headless: { type: 'boolean', default: false },
        'data-dir': { type: 'string', default: SIM_DATA_DIR },
        'terminal-id': { type: 'string', default: 'kasse-1' },
        lang: { type: 'string', default: 'da' },
        help: { type: 'boolean', short: 'h', default: false },
      },
    }).values;
  } catch (e) {
    process.stderr.write(`klubkort sim: ${(e as Error).message}\n${SIM_USAGE}\n`);
    return 64;
  }
  if (values.help) {
    process.stdout.write(SIM_USAGE + '\n');
    return 0;
  }
  const dataDir = resolve(values['data-dir']);
  mkdirSync(dataDir, { recursive: true });
  // Log lines go to files in both modes: the TUI owns the terminal, and headless mode's stdout is the guide.
  const ledgerLog = join(dataDir, 'sim.log');
  const logStream = openLogFile(ledgerLog);

  const broker = await startOnFreePort(Number(values.port));
  const terminalId = values['terminal-id'];
  // The simulator's terminal is registered with the demo club (another: `klubkort ledger terminal-add`).
  const ledger = await startLedger({
    brokerUrl: broker.url,
    dbPath: join(dataDir, 'ledger.db'),
    clubs: [demoClub([terminalId])],
    sun: DEMO_SUN_KEYS,
    logger: createLogger({ name: 'ledger', destination: logStream }),
  });
  const terminalDir = join(dataDir, terminalId);
  const cfg = parseConfig(
    {
      terminalId,
      clubId: DEMO_CLUB_ID,
      broker: { url: broker.url },
      dataDir: terminalDir,
      hardware: 'sim',
      headless: values.headless,
      lang: values.lang,
    },
    'simulator settings',
  );

  // The TUI's sim panel acts through the same sim topics an outside tool would use.
  const panelClient = values.headless ? null : await mqtt.connectAsync(broker.url, { clientId: `${terminalId}-panel` });
  const reader = (msg: object) =>
    void panelClient?.publish(topics.simReader(terminalId), JSON.stringify(msg), { qos: 1 });
  // Each `sun` card's emulated chip, issued as the desk would; it goes on from the ledger's counter.
  const counterOf = (uid: string) => ledger.card(DEMO_CLUB_ID, uid)?.sunCounter ?? 0;
  const club = ledger.cards(DEMO_CLUB_ID).map((c) => ({ uid: c.cardUid, auth: c.auth ?? ('uid' as const) }));
  const hand = await DemoCards.issue(club, DEMO_SUN_KEYS, DEMO_CARD_URL, counterOf);
  let plugged = true;
  let ledgerUp = true;

  const daemon = await startDaemon(cfg, {
    onQuit: () => void stop(),
    logFile: join(terminalDir, 'klubkort.log'),
    simPanel: values.headless
      ? undefined
      : {
          // The club's cards as the ledger has them now (the genuine ones read from their chips), one
          // it never issued, then the staff cards past the digits (↓, Enter).
          get cards() {
            return cardsInHand(ledger, DEMO_CLUB_ID);
          },
          tap: (uid) => void hand.tap(uid, ledger.card(DEMO_CLUB_ID, uid)?.auth === 'sun').then(reader),
          clone: (uid) => reader(hand.clone(uid)),
          replay: (uid) => {
            const m = hand.replay(uid);
            if (m) reader(m);
            return m !== null;
          },
          remove: () => reader({ action: 'remove' }),
          togglePlug: () => {
            plugged = !plugged;
            reader({ action: plugged ? 'plug' : 'unplug' });
          },
          quit: () => void stop(),
          toggleLedger: () => {
            ledgerUp = !ledgerUp;
            void (ledgerUp ? ledger.resume() : ledger.pause());
          },
          get ledgerRunning() {
            return ledgerUp;
          },
        },
  });

  if (values.headless) {
    const shown = (p: string) => relative(process.cwd(), p) || '.';
    const guide = headlessGuide({
      brokerUrl: broker.url,
      port: broker.port,
      clubId: DEMO_CLUB_ID,
      terminalId,
      cards: cardsInHand(ledger, DEMO_CLUB_ID),
      logs: [
        { path: shown(ledgerLog), what: 'ledger' },
        { path: shown(join(terminalDir, 'klubkort.log')), what: 'terminal' },
      ],
      status: `npx klubkort status${dataDir === resolve(SIM_DATA_DIR) ? '' : ` --data-dir ${shown(terminalDir)}`}`,
    });
    process.stdout.write(guide.join('\n') + '\n');
  }

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
