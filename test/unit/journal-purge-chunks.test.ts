// Issue 28: the retention purge deletes a chunk of rows per transaction (a sale's write waits
// behind one chunk, not a 90-day history). Chunked, it deletes exactly what the retention rule
// says: answered sales and finished voids older than the cut, never a sale still in the outbox,
// nor one written while it runs (between two of its chunks); and the deleted rows' card UIDs
// leave the files.
import test from 'ava';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Journal } from '../../firmware/journal/journal.ts';
import type { SaleMsg } from '../../contract/index.ts';

const OLD = 1234; // more than two chunks, and not a multiple of one
const uid = (i: number) => `04B2${i.toString(16).toUpperCase().padStart(10, '0')}`;
const sale = (u: string, createdAt: string): SaleMsg => ({
  type: 'sale',
  txId: randomUUID(),
  terminalId: 't1',
  clubId: 'c1',
  cardUid: u,
  items: [{ sku: 'j', name: 'Juice', unitPrice: 100, qty: 1 }],
  total: 100,
  createdAt,
  offline: true,
});

test('a chunked purge of 1,234 answered sales keeps the unanswered and the new ones, and the purged UIDs leave the files', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'klubkort-purge-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const j = await Journal.open(dir);
  await j.db.exec('PRAGMA synchronous = OFF'); // filling only
  const old = '2026-08-01T10:00:00.000Z';
  const unanswered: string[] = [];
  for (let i = 0; i < OLD + 3; i++) {
    const s = sale(uid(i), old);
    t.true(await j.sales.approveOffline(s));
    if (i % 500 === 7)
      unanswered.push(s.txId); // in the outbox still: money the ledger must book
    else
      t.not(
        typeof (await j.sales.settle({
          txId: s.txId,
          type: 'sale',
          status: 'approved',
          offline: true,
          cardVersion: 1,
        })),
        'string',
      );
  }
  const recent = sale(uid(99_999), '2026-12-01T10:00:00.000Z');
  t.true(await j.sales.approveOffline(recent));
  t.not(
    typeof (await j.sales.settle({
      txId: recent.txId,
      type: 'sale',
      status: 'approved',
      offline: true,
      cardVersion: 1,
    })),
    'string',
  );
  await j.db.exec('PRAGMA synchronous = FULL');

  const purging = j.sales.purgeOlderThan('2026-11-01T00:00:00.000Z');
  // A sale during the purge: written between its chunks, not deleted by them.
  const during = sale(uid(88_888), old);
  t.true(await j.sales.approveOffline(during));
  const r = await purging;
  t.is(r.sales, OLD + 3 - unanswered.length);
  const left = await j.db.read((q) =>
    q.all<{ tx_id: string; rowid: number }>('SELECT rowid, tx_id FROM sales ORDER BY rowid'),
  );
  t.deepEqual(left.map((x) => x.tx_id).sort(), [...unanswered, recent.txId, during.txId].sort());
  // The sale was queued behind the purge's first chunk and went in before its next: the purge held
  // the write queue a chunk at a time (one transaction, it made the sale wait for all 1,234 rows
  // and read its mark before the sale was there).
  t.is(r.mark.sale, left.find((x) => x.tx_id === during.txId)!.rowid, 'the sale went in between two chunks');
  t.is(r.mark.sale, Math.max(...left.map((x) => x.rowid)), 'the mark is the newest row left');
  await j.close();
  const files = readdirSync(dir).map((f) => readFileSync(join(dir, f)));
  for (const i of [0, 1, 499, 500, 1000, OLD + 2])
    t.false(
      files.some((b) => b.includes(Buffer.from(uid(i)))),
      `the UID of purged sale ${i} is in no file`,
    );
});
