// 10,000 sales approved offline and queued, forwarded when the terminal starts with the ledger
// reachable, until the reference ledger has answered every one and the journal's queue is empty.
// The floor: the same 10,000 sales straight from a bare MQTT client, the ledger's own time. Rounds
// alternate the two on one ledger (the disk's and the host's speed drift by tens of percent
// within a minute here); the verdict is the median of the rounds' ratios. The ledger and broker
// run on a core of their own (bench/cores.ts), as on their own machine on a club's site: sharing
// two cores with them, the terminal's CPU (about 40% of one core) slowed the ledger by 1.2–1.5×
// however the terminal spent it (a plain CPU load of that size did the same).
import { join } from 'node:path';
import mqtt from 'mqtt';
import { demoChildren, DEMO_CLUB_ID } from '../sim/demo-club.ts';
import { topics } from '../contract/index.ts';
import { benchSale, fillJournal } from './journal-rate.ts';
import { spawnLedger } from './ledger-process.ts';
import { splitCores } from './cores.ts';
import { durationVsFloor, median, msSince, now, type Figure } from './stats.ts';
import { startBenchBroker, startBenchTerminal, using, type BenchLog } from './world.ts';

export const QUEUED = 10_000;
const ROUNDS = 5;
const LIMIT_MS = 120_000;
const WARMUP = 3000;

const uids = demoChildren().map((c) => c.uid);
const sale = (i: number, terminalId: string) => benchSale(uids[i % uids.length], terminalId, DEMO_CLUB_ID);

/** Resolves after `n` calls of the returned tick, or rejects after LIMIT_MS. */
function countTo(n: number, what: string): { tick: () => void; done: Promise<void> } {
  let seen = 0;
  let tick: () => void = () => undefined;
  const done = new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`only ${seen} of ${n} ${what} in ${LIMIT_MS / 1000} s`)), LIMIT_MS);
    tick = () => {
      if (++seen === n) {
        clearTimeout(timer);
        resolve();
      }
    };
  });
  return { tick: () => tick(), done };
}

/**
 * The ledger alone: the same sales published at once by a plain client, until every answer came.
 * It takes the club's card records too (acknowledged, not read), as every terminal of a club does:
 * so the broker delivers in the floor what it delivers to a forwarding terminal.
 */
async function ledgerAlone(url: string, terminalId: string, n = QUEUED): Promise<number> {
  const c = await mqtt.connectAsync(url, { clientId: terminalId });
  try {
    const results = topics.results(terminalId);
    await c.subscribeAsync([results, topics.cards(DEMO_CLUB_ID)], { qos: 1 });
    const answers = countTo(n, 'answers to a bare client');
    c.on('message', (topic) => {
      if (topic === results) answers.tick();
    });
    const t0 = now();
    for (let i = 0; i < n; i++)
      void c.publishAsync(topics.tx(terminalId), JSON.stringify(sale(i, terminalId)), { qos: 1 });
    await answers.done;
    return msSince(t0) / 1000;
  } finally {
    await c.endAsync();
  }
}

interface Forwarded {
  startupMs: number;
  seconds: number;
  cpuShare: number;
}

/** A terminal started on a journal of QUEUED offline sales, until every answer is stored. */
async function forwardOnce(dir: string, log: BenchLog, brokerUrl: string, id: string): Promise<Forwarded> {
  await fillJournal(join(dir, id), QUEUED, (i) => sale(i, id), false);
  const started = now();
  const b = await startBenchTerminal({ dir, id, clubId: DEMO_CLUB_ID, linkUrl: brokerUrl, log });
  try {
    const { terminal } = b;
    // Every answer stored is one `settled`; the queue is then checked on disk.
    const answers = countTo(QUEUED, 'answers stored');
    terminal.sync.on('settled', answers.tick);
    // Forwarding begins with the connection (the floor's clock, too, starts with a connected client).
    const t0 = terminal.link.connected
      ? now()
      : await new Promise<bigint>((r) => terminal.link.once('connected', () => r(now())));
    // This process holds the terminal alone meanwhile: its CPU (all threads) is the terminal's.
    const cpu0 = process.cpuUsage();
    await answers.done;
    const seconds = msSince(t0) / 1000;
    const cpu = process.cpuUsage(cpu0);
    const left = await terminal.journal.sales.queueLength();
    if (left !== 0) throw new Error(`${left} sales still queued after all answers`);
    return { startupMs: msSince(started, t0), seconds, cpuShare: (cpu.user + cpu.system) / 1e6 / seconds };
  } finally {
    await b.stop();
  }
}

export async function forwardQueue(dir: string, log: BenchLog): Promise<Figure[]> {
  return using(async (defer) => {
    const broker = await startBenchBroker();
    defer(() => broker.close());
    const cores = splitCores(broker.pid);
    if (cores) defer(async () => cores.restore());
    const terminals = [
      'bench-ledger-warmup',
      ...Array.from({ length: ROUNDS }, (_, r) => [`bench-forward-${r}`, `bench-ledger-alone-${r}`]).flat(),
    ];
    const ledger = await spawnLedger({
      brokerUrl: broker.url,
      dbPath: join(dir, 'ledger.db'),
      logFile: join(log.dir, 'ledger-forward.log'),
      terminals,
    });
    defer(() => ledger.stop());
    cores?.ledger(ledger.proc.pid!);
    // The ledger warmed up first (compiled code, page cache, heap grown): its first thousands of
    // bookings are slower whoever sends them.
    await ledgerAlone(broker.url, 'bench-ledger-warmup', WARMUP);

    const rounds: (Forwarded & { alone: number })[] = [];
    for (let r = 0; r < ROUNDS; r++) {
      const f = await forwardOnce(dir, log, broker.url, `bench-forward-${r}`);
      rounds.push({ ...f, alone: await ledgerAlone(broker.url, `bench-ledger-alone-${r}`) });
    }
    const med = (pick: (r: (typeof rounds)[number]) => number) => median(rounds.map(pick));
    const note = `median of ${ROUNDS} alternated rounds; ${cores?.note ?? 'all sharing every core (no core split here)'}`;
    return [
      {
        id: 'ledger_alone',
        label: `reference ledger alone: ${QUEUED} sales from a bare client answered`,
        unit: 's',
        value: med((r) => r.alone),
        note: `the floor under the figure below: one fsync'd transaction per booking; ${note}`,
      },
      {
        id: 'forward_startup',
        label: `terminal start with ${QUEUED} sales queued, until connected`,
        unit: 'ms',
        value: med((r) => r.startupMs),
        note: 'Terminal.start → the link connected (journal opened, unanswered online sales looked for); not part of the figure below',
      },
      {
        id: 'forward_cpu',
        label: 'terminal CPU while forwarding, all threads',
        unit: '%',
        value: med((r) => r.cpuShare) * 100,
        note: `of one core, ${Math.round((med((r) => r.cpuShare * r.seconds) / QUEUED) * 1e6)} µs per sale: receiving ${QUEUED} card records and answers, storing them, publishing the sales; ${note}`,
      },
      durationVsFloor(
        'forward_queue',
        `${QUEUED} queued offline sales forwarded and answered`,
        rounds.map((r) => ({ seconds: r.seconds, floor: r.alone })),
        'the ledger alone',
        1.05,
        `from the link connected to the last answer stored, as the floor from its client connected; the ledger in its own process; ${note}`,
      ),
    ];
  });
}
