// 10,000 sales approved offline and queued, forwarded when the terminal starts with the ledger
// reachable, until the reference ledger has answered every one and the journal's queue is empty.
// For reference, the same 10,000 sales straight from a bare MQTT client: the ledger's own time.
import { join } from 'node:path';
import mqtt from 'mqtt';
import { demoChildren, DEMO_CLUB_ID } from '../sim/demo-club.ts';
import { topics } from '../contract/index.ts';
import { benchSale, fillJournal } from './journal-rate.ts';
import { spawnLedger } from './ledger-process.ts';
import { durationVsFloor, msSince, now, type Figure } from './stats.ts';
import { startBenchBroker, startBenchTerminal, using, type BenchLog } from './world.ts';

export const QUEUED = 10_000;
const TERMINAL = 'bench-forward';
const LIMIT_MS = 120_000;
const WARMUP = 3000;

const uids = demoChildren().map((c) => c.uid);
const sale = (i: number, terminalId: string) => benchSale(uids[i % uids.length]!, terminalId, DEMO_CLUB_ID);

/** Resolves after `n` calls of the returned tick, or rejects after LIMIT_MS. */
function countTo(n: number, what: string): { tick: () => void; done: Promise<void> } {
  let seen = 0;
  let tick = () => undefined as void;
  const done = new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`only ${seen} of ${n} ${what} in ${LIMIT_MS / 1000} s`)), LIMIT_MS);
    tick = () => { if (++seen === n) { clearTimeout(timer); resolve(); } };
  });
  return { tick: () => tick(), done };
}

/** The ledger alone: the same sales published at once by a plain client, until every answer came. */
async function ledgerAlone(url: string, terminalId = 'bench-ledger-alone', n = QUEUED): Promise<number> {
  const c = await mqtt.connectAsync(url, { clientId: terminalId });
  try {
    await c.subscribeAsync(topics.results(terminalId), { qos: 1 });
    const answers = countTo(n, 'answers to a bare client');
    c.on('message', answers.tick);
    const t0 = now();
    for (let i = 0; i < n; i++) void c.publishAsync(topics.tx(terminalId), JSON.stringify(sale(i, terminalId)), { qos: 1 });
    await answers.done;
    return msSince(t0) / 1000;
  } finally {
    await c.endAsync();
  }
}

export async function forwardQueue(dir: string, log: BenchLog): Promise<Figure[]> {
  return using(async (defer) => {
    const broker = await startBenchBroker();
    defer(() => broker.close());
    const ledger = await spawnLedger({ brokerUrl: broker.url, dbPath: join(dir, 'ledger.db'), logFile: join(log.dir, 'ledger-forward.log') });
    defer(() => ledger.stop());
    await fillJournal(join(dir, TERMINAL), QUEUED, (i) => sale(i, TERMINAL), false);
    // The ledger warmed up first (compiled code, page cache, heap grown), as it is for the floor,
    // which runs second: its first thousands of bookings are slower whoever sends them.
    await ledgerAlone(broker.url, 'bench-ledger-warmup', WARMUP);

    const started = now();
    const b = await startBenchTerminal({ dir, id: TERMINAL, clubId: DEMO_CLUB_ID, linkUrl: broker.url, log });
    defer(() => b.stop());
    const { terminal } = b;
    // Every answer stored is one `settled`; the queue is then checked on disk.
    const answers = countTo(QUEUED, 'answers stored');
    terminal.sync.on('settled', answers.tick);
    // Forwarding begins with the connection (the floor's clock, too, starts with a connected client).
    const t0 = terminal.link.connected ? now() : await new Promise<bigint>((r) => terminal.link.once('connected', () => r(now())));
    const startup = msSince(started, t0);
    await answers.done;
    const s = msSince(t0) / 1000;
    const left = await terminal.journal.sales.queueLength();
    if (left !== 0) throw new Error(`${left} sales still queued after all answers`);
    await b.stop();

    const alone = await ledgerAlone(broker.url);
    return [
      {
        id: 'ledger_alone', label: `reference ledger alone: ${QUEUED} sales from a bare client answered`, unit: 's', value: alone,
        note: 'the floor under the figure below: one fsync\'d transaction per booking',
      },
      {
        id: 'forward_startup', label: `terminal start with ${QUEUED} sales queued, until connected`, unit: 'ms', value: startup,
        note: 'Terminal.start → the link connected (journal opened, unanswered online sales looked for); not part of the figure below',
      },
      durationVsFloor('forward_queue', `${QUEUED} queued offline sales forwarded and answered`, s, { name: 'the ledger alone (same run)', seconds: alone }, 1.05,
        'from the link connected to the last answer stored, as the floor from its client connected; the ledger in its own process'),
    ];
  });
}
