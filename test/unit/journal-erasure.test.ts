// Issue 13 item 8: erasing a closed card beside concurrent writes and reads. The WAL checkpoint that
// takes the erased bytes out of journal.db-wal runs in the journal's write queue and is retried
// until done: every close succeeds, no name stays in any journal file, and the sync always tells
// the screen (cardChanged).
import test, { type ExecutionContext } from 'ava';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { Journal } from '../../firmware/journal/journal.ts';
import { LedgerSync, type LedgerSource } from '../../firmware/ledger/sync.ts';
import { createLogger } from '../../firmware/log.ts';
import type { CardRecord, SaleMsg } from '../../contract/index.ts';
import { systemTimers } from '../../lib/timers.ts';

const ROUNDS = 200;
const uidOf = (i: number) => (0x10000000 + i).toString(16).toUpperCase();
const rec = (i: number): CardRecord => ({
  cardUid: uidOf(i),
  holderId: `h${i}`,
  name: `Erasable Child ${i} Qx`,
  photo: null,
  status: 'active',
  balance: 5000,
  version: 1,
  updatedAt: '2026-11-24T09:00:00.000Z',
});
const sale = (uid: string): SaleMsg => ({
  type: 'sale',
  txId: randomUUID(),
  terminalId: 't1',
  clubId: 'c1',
  cardUid: uid,
  items: [{ sku: 'j', name: 'Juice', unitPrice: 100, qty: 1 }],
  total: 100,
  createdAt: new Date().toISOString(),
  offline: true,
});

function filesHold(dir: string, text: string | Buffer): string[] {
  const needle = Buffer.from(text);
  return ['journal.db', 'journal.db-wal', 'journal.db-shm'].filter(
    (f) => existsSync(join(dir, f)) && readFileSync(join(dir, f)).includes(needle),
  );
}

test(`${ROUNDS} card closes beside concurrent sales and reads: each erases, none fails, no name stays in the files`, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'klubkort-erase-'));
  const j = await Journal.open(dir);
  t.teardown(async () => {
    await j.close().catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  });
  const failures: string[] = [];
  for (let i = 0; i < ROUNDS; i += 2) {
    const cards = [rec(i), rec(i + 1)];
    for (const c of cards) await j.cards.put(c);
    // Two erasures with writes and reads queued between and behind them: each checkpoint meets a
    // transaction of the next job (that was SQLITE_LOCKED).
    const work: Promise<unknown>[] = [];
    for (const c of cards) {
      work.push(j.cards.close(c.cardUid));
      work.push(
        j.setMeta(`busy-${c.cardUid}`, String(i)),
        j.sales.approveOffline(sale(uidOf(ROUNDS + i))),
        j.cardMoney(uidOf(ROUNDS + i)),
        j.sales.outbox(),
      );
    }
    for (const a of await Promise.allSettled(work))
      if (a.status === 'rejected') failures.push(String((a.reason as Error).message));
    for (const c of cards) {
      const left = filesHold(dir, c.name);
      if (left.length) failures.push(`${c.cardUid}: the name is still in ${left.join(', ')}`);
    }
  }
  t.deepEqual(failures.slice(0, 5), []);
});

/** A journal in a temp dir and the sync applying what a stand-in ledger link emits to it. */
async function syncedJournal(t: ExecutionContext) {
  const dir = mkdtempSync(join(tmpdir(), 'klubkort-erase-'));
  const j = await Journal.open(dir);
  t.teardown(async () => {
    await j.close().catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  });
  const link = Object.assign(new EventEmitter(), { throttle: () => undefined }) as unknown as LedgerSource &
    EventEmitter;
  return { dir, j, link, sync: new LedgerSync(link, j, createLogger({ level: 'silent' }), systemTimers) };
}

test('the sync tells the screen of every closed card, also when closes meet concurrent writes', async (t) => {
  const { dir, j, link, sync } = await syncedJournal(t);
  const told = new Set<string>();
  sync.on('cardChanged', (uid) => told.add(uid));
  const n = 100;
  for (let i = 0; i < n; i++) link.emit('card', uidOf(i), rec(i));
  await sync.idle();
  for (let i = 0; i < n; i++) {
    link.emit('card', uidOf(i), null);
    setImmediate(() => {
      void j.sales.approveOffline(sale(uidOf(n + i)));
      void j.sales.outbox();
      void j.cardMoney(uidOf(n + i));
    });
  }
  told.clear();
  for (let k = 0; k < 200 && told.size < n; k++) {
    await sync.idle();
    await new Promise((r) => setTimeout(r, 20));
  }
  t.is(told.size, n);
  for (let i = 0; i < n; i++) t.is(await j.cards.get(uidOf(i)), null);
  t.deepEqual(filesHold(dir, 'Erasable Child'), []);
});

test("issue 24: answers to a queue are stored without a checkpoint; a batch that answers a closed card's sale ends with one, and its UID is in no file", async (t) => {
  const { dir, j, link, sync } = await syncedJournal(t);
  const wal = () => statSync(join(dir, 'journal.db-wal')).size;
  const answer = (s: SaleMsg) => ({
    txId: s.txId,
    type: 'sale' as const,
    status: 'approved' as const,
    balance: 4900,
    cardVersion: 2,
    offline: true,
  });
  const open = rec(1),
    closed = { ...rec(2), cardUid: '04C1A55ED0BE2F' };
  for (const c of [open, closed]) link.emit('card', c.cardUid, c);
  await sync.idle();
  const queue = Array.from({ length: 300 }, (_, i) => sale(i % 100 === 7 ? closed.cardUid : open.cardUid));
  for (const s of queue) await j.sales.approveOffline(s, true);
  link.emit('card', closed.cardUid, null);
  await sync.idle();
  t.truthy(filesHold(dir, closed.cardUid).length, "the queued sales keep the closed card's UID");

  // The open card's answers, in batches as the sync applies them: no checkpoint empties the WAL.
  const openOnes = queue.filter((s) => s.cardUid === open.cardUid);
  for (const s of openOnes) link.emit('result', answer(s));
  await sync.idle();
  t.is((await j.sales.outbox()).length, queue.length - openOnes.length);
  t.true(wal() > 0, 'no checkpoint for answers that erase nothing');

  // The closed card's, among others: checkpointed once they are stored, the UID gone.
  for (const s of queue.filter((x) => x.cardUid === closed.cardUid)) link.emit('result', answer(s));
  await sync.idle();
  t.is((await j.sales.outbox()).length, 0);
  t.is(wal(), 0, 'the WAL emptied by the checkpoint');
  t.deepEqual(filesHold(dir, closed.cardUid), []);
  t.deepEqual(filesHold(dir, Buffer.from(closed.cardUid, 'hex')), []);
  t.true(filesHold(dir, open.cardUid).length > 0, "the open card's answered sales keep its UID (retention)");
});
