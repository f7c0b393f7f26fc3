// 10,000 sales approved offline and queued, forwarded when the terminal starts with the ledger
// reachable, until the reference ledger has answered every one and the journal's queue is empty.
// The floor: the same 10,000 sales straight from a bare MQTT client, the ledger's own time. Rounds
// alternate the two on one ledger (the disk's and the host's speed drift by tens of percent
// within a minute here); the verdict is the median of the rounds' ratios. Each round also times
// the ledger beside a plain CPU load as large as the terminal's share while it forwarded: on a
// machine of two cores shared by broker, ledger and terminal, that share alone slows the ledger.
import { join } from 'node:path';
import mqtt from 'mqtt';
import { demoChildren, DEMO_CLUB_ID } from '../sim/demo-club.ts';
import { topics } from '../contract/index.ts';
import { benchSale, fillJournal } from './journal-rate.ts';
import { spawnLedger } from './ledger-process.ts';
import { startCpuLoad } from './cpu-load.ts';
import { median, msSince, now, type Figure } from './stats.ts';
import { startBenchBroker, startBenchTerminal, using, type BenchLog } from './world.ts';

export const QUEUED = 10_000;
const ROUNDS = 3;
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
async function ledgerAlone(url: string, terminalId: string, n = QUEUED): Promise<number> {
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

interface Forwarded { startupMs: number; seconds: number; cpuShare: number }

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
    const t0 = terminal.link.connected ? now() : await new Promise<bigint>((r) => terminal.link.once('connected', () => r(now())));
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
    const ledger = await spawnLedger({ brokerUrl: broker.url, dbPath: join(dir, 'ledger.db'), logFile: join(log.dir, 'ledger-forward.log') });
    defer(() => ledger.stop());
    // The ledger warmed up first (compiled code, page cache, heap grown): its first thousands of
    // bookings are slower whoever sends them.
    await ledgerAlone(broker.url, 'bench-ledger-warmup', WARMUP);

    const rounds: (Forwarded & { alone: number; loaded: number })[] = [];
    for (let r = 0; r < ROUNDS; r++) {
      const f = await forwardOnce(dir, log, broker.url, `bench-forward-${r}`);
      const alone = await ledgerAlone(broker.url, `bench-ledger-alone-${r}`);
      const load = startCpuLoad(f.cpuShare);
      const loaded = await ledgerAlone(broker.url, `bench-ledger-loaded-${r}`).finally(() => load.stop());
      rounds.push({ ...f, alone, loaded });
    }
    const med = (pick: (r: (typeof rounds)[number]) => number) => median(rounds.map(pick));
    const ratio = med((r) => r.seconds / r.alone);
    const share = med((r) => r.cpuShare);
    const note = `median of ${ROUNDS} alternated rounds`;
    return [
      {
        id: 'ledger_alone', label: `reference ledger alone: ${QUEUED} sales from a bare client answered`, unit: 's', value: med((r) => r.alone),
        note: `the floor under the figure below: one fsync'd transaction per booking; ${note}`,
      },
      {
        id: 'forward_startup', label: `terminal start with ${QUEUED} sales queued, until connected`, unit: 'ms', value: med((r) => r.startupMs),
        note: 'Terminal.start → the link connected (journal opened, unanswered online sales looked for); not part of the figure below',
      },
      {
        id: 'forward_cpu', label: 'terminal CPU while forwarding, all threads', unit: '%', value: share * 100,
        note: `of one core, ${Math.round(med((r) => r.cpuShare * r.seconds) / QUEUED * 1e6)} µs per sale: receiving ${QUEUED} card records and answers, storing them, publishing the sales; ${note}`,
      },
      {
        id: 'ledger_loaded', label: `reference ledger beside a load of ${Math.round(share * 100)}% of a core`, unit: 's', value: med((r) => r.loaded),
        ratios: [{ to: 'of the ledger alone', ratio: med((r) => r.loaded / r.alone) }],
        note: 'the same bare client, with a process burning the terminal\'s share of CPU (bench/cpu-load.ts): what sharing the machine costs the ledger',
      },
      {
        id: 'forward_queue', label: `${QUEUED} queued offline sales forwarded and answered`, unit: 's', value: med((r) => r.seconds),
        target: '≤ 1.05× the ledger alone (same round)', met: ratio <= 1.05,
        ratios: [{ to: 'of the ledger alone (median of the rounds\' ratios)', ratio }, { to: 'of the ledger beside the load', ratio: med((r) => r.seconds / r.loaded) }],
        note: `from the link connected to the last answer stored, as the floor from its client connected; the ledger in its own process; ${note}`,
      },
    ];
  });
}
