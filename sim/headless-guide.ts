// What `npm run sim -- --headless` prints on stdout (its logs go to files): how to drive the
// terminal with MQTT.js's own command-line client, which `npm install` brings (no mosquitto-clients).
import { KEY_NAMES, topics } from '../contract/index.ts';
import type { SimCard } from '../firmware/ui/sim-panel.ts';

export interface GuideFacts {
  brokerUrl: string;
  port: number;
  clubId: string;
  terminalId: string;
  /** The cards to tap, as the ledger has them now (demo-cards.ts cardsInHand). */
  cards: SimCard[];
  /** The log files, each with what logs to it. */
  logs: { path: string; what: string }[];
  /** The command that asks the terminal for its status. */
  status: string;
}

/** What the cashier's keys do (the rest of the key names do nothing on the sale screens). */
const KEY_USES =
  "1-9 the item on the page, enter pay/approve, escape clear/cancel, backspace undo the last item, up/down turn pages, f2 last sale (void), f3 day's report, f5 forward the queue";

function cardLine(c: SimCard): string {
  const uid = `  ${c.uid.padEnd(14)}  `;
  if (c.unknown) return `${uid}a card the club never issued (refused: unknown card)`;
  if (c.role) return `${uid}${c.label}, staff card (${c.role}): on the idle screen it signs in and out`;
  const notes = [
    c.blocked ? 'blocked' : '',
    c.sun ? 'genuine: a tap needs its chip\'s "sun" (the TUI\'s panel reads it), without it is refused as a clone' : '',
  ].filter(Boolean);
  return `${uid}${c.label}${notes.length ? `, ${notes.join(', ')}` : ''}`;
}

export function headlessGuide(f: GuideFacts): string[] {
  const pub = (topic: string, msg: object) =>
    `npx mqtt pub -h 127.0.0.1 -p ${f.port} -t ${topic} -m '${JSON.stringify(msg)}'`;
  const reader = topics.simReader(f.terminalId);
  const child = f.cards.find((c) => !c.role && !c.unknown && !c.sun && !c.blocked) ?? f.cards[0];
  const example = child?.uid ?? '04A23B5C7D2E80';
  return [
    `klubkort simulator, headless: broker ${f.brokerUrl}, club ${f.clubId}, terminal ${f.terminalId}`,
    '',
    "Drive it with MQTT.js's client, which npm install brought (run these in this project's folder):",
    `  press a key:  ${pub(topics.simKeys(f.terminalId), { key: '1' })}`,
    `                key names: ${KEY_NAMES.join(' ')}`,
    `                (${KEY_USES})`,
    `  tap a card:   ${pub(reader, { action: 'tap', uid: example })}`,
    `  the reader:   ${pub(reader, { action: 'remove' })}`,
    '                (actions: tap with a uid, remove the card, unplug and plug the reader)',
    `  watch it:     npx mqtt sub -h 127.0.0.1 -p ${f.port} -t ${topics.simScreen(f.terminalId)}`,
    `                (the screen as JSON; LEDs and buzzer on ${topics.simIndicators(f.terminalId)})`,
    '',
    'Cards to tap (as the ledger has them now; npx klubkort ledger list and staff show them later):',
    ...f.cards.map(cardLine),
    '',
    `Parents' portal: npx klubkort ledger --broker ${f.brokerUrl} topup ${example} 50   (--help lists every command)`,
    `The terminal:    ${f.status}`,
    `Logs:            ${f.logs.map((l) => `${l.path} (${l.what})`).join(', ')}`,
    'Ctrl+C stops the simulator.',
  ];
}
