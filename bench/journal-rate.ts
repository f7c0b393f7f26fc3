// Durable sales per second through the journal (WAL, synchronous=FULL, one committed transaction
// per sale), against a bare sqlite3 loop of one fsync'd insert per transaction on the same disk.
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { Journal } from '../firmware/journal/journal.ts';
import type { SaleMsg } from '../contract/index.ts';
import { latency, median, msSince, now, type Figure } from './stats.ts';
import { BareInsert } from './floor.ts';

const SALES = 2000;
const WARMUP = 200;
const ROUNDS = 5;

export function benchSale(cardUid: string, terminalId = 'bench-journal', clubId = 'bench-klub'): SaleMsg {
  return {
    type: 'sale',
    txId: randomUUID(),
    terminalId,
    clubId,
    cardUid,
    offline: true,
    total: 1800,
    items: [
      { sku: 'juice', name: 'Juice', unitPrice: 800, qty: 1 },
      { sku: 'kakao', name: 'Kakao', unitPrice: 1000, qty: 1 },
    ],
    createdAt: new Date().toISOString(),
  };
}

/**
 * Fills a terminal's journal before a case, outside any measurement (so without fsyncs): `n`
 * sales approved offline, and answered by the ledger when `answered` (a journal's history).
 */
export async function fillJournal(
  dataDir: string,
  n: number,
  sale: (i: number) => SaleMsg,
  answered: boolean,
): Promise<void> {
  const j = await Journal.open(dataDir);
  try {
    await j.db.exec('PRAGMA synchronous = OFF');
    let last = '';
    for (let i = 0; i < n; i++) {
      const s = sale(i);
      if (!(await j.sales.approveOffline(s))) throw new Error('sale not stored');
      if (
        answered &&
        typeof (await j.sales.settle({
          txId: s.txId,
          type: 'sale',
          status: 'approved',
          offline: true,
          cardVersion: 1,
        })) === 'string'
      ) {
        throw new Error('answer not stored');
      }
      last = s.txId;
    }
    // History the cashier saw long ago.
    if (answered && last) await j.sales.markShown(last);
  } finally {
    await j.close();
  }
}

interface Rate {
  perSecond: number;
  ms: number[];
}

/** Per second over `n` sequential awaits of `step` after a warm-up, and the time of each. */
async function rate(n: number, step: () => Promise<unknown>): Promise<Rate> {
  for (let i = 0; i < WARMUP; i++) await step();
  const ms: number[] = [];
  const t0 = now();
  for (let i = 0; i < n; i++) {
    const t = now();
    await step();
    ms.push(msSince(t));
  }
  return { perSecond: n / (msSince(t0) / 1000), ms };
}

async function journalRate(dir: string): Promise<Rate> {
  const j = await Journal.open(dir);
  try {
    // The path of every sale while the ledger is unreachable: its txId was never sent online, so
    // no answer can stand against it (the timeout path also reads it back; rare, and 2 s late anyway).
    return await rate(SALES, () => j.sales.approveOffline(benchSale('04A23B5C7D2E80'), true));
  } finally {
    await j.close();
  }
}

/** The floor under any journal: a bare fsync'd insert of a sale-sized row, straight on sqlite3. */
async function bareRate(path: string): Promise<Rate> {
  const bare = await BareInsert.open(path);
  try {
    return await rate(SALES, () => bare.once(JSON.stringify(benchSale('04A23B5C7D2E80'))));
  } finally {
    await bare.close();
  }
}

export async function journalThroughput(dir: string): Promise<Figure[]> {
  // Alternated rounds, each pair seeing the same disk and neighbours; medians over the rounds.
  const journal: Rate[] = [];
  const bare: Rate[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    bare.push(await bareRate(join(dir, `bare-${r}.db`)));
    journal.push(await journalRate(join(dir, `journal-${r}`)));
  }
  const j = median(journal.map((x) => x.perSecond));
  const b = median(bare.map((x) => x.perSecond));
  const ratio = median(journal.map((x, r) => x.perSecond / bare[r].perSecond));
  const rounds = `median of ${ROUNDS} alternated rounds of ${SALES}`;
  return [
    {
      ...latency(
        'bare_commit',
        "bare SQLite: one fsync'd 1-insert transaction",
        bare.flatMap((x) => x.ms),
        Infinity,
      ),
      target: undefined,
      met: undefined,
      note: "the disk's floor under every durable step below (all rounds)",
    },
    {
      id: 'bare_sqlite_rate',
      label: "bare SQLite: fsync'd 1-insert transactions per second",
      unit: '/s',
      value: b,
      note: rounds,
    },
    {
      id: 'journal_sales_rate',
      label: 'durable offline sales per second (SalesBook.approveOffline)',
      unit: '/s',
      value: j,
      target: '≥ 80% of bare SQLite',
      met: ratio >= 0.8,
      ratios: [{ to: "of bare SQLite (median of the rounds' ratios)", ratio }],
      note: rounds,
    },
  ];
}
