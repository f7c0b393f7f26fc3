// The sync gives the event loop back while thousands of records arrive (a key or a tap never waits
// for a burst), and that changes nothing of what it stores: arrival order, whole batches, the
// version rule. A real journal on a temp dir; the link stands in for mqtt.js, which hands over the
// messages of a read one after another, the next only once the sync's flow control lets it.
import test from 'ava';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Journal } from '../../firmware/journal/journal.ts';
import { LedgerSync } from '../../firmware/ledger/sync.ts';
import type { LinkEvents } from '../../firmware/ledger/link.ts';
import type { CardRecord } from '../../contract/index.ts';
import { TypedEmitter } from '../../lib/emitter.ts';
import { createLogger } from '../../firmware/log.ts';
import { systemTimers } from '../../lib/timers.ts';

/** mqtt.js's way: each message emitted, then the next at once unless the consumer's hold is a promise. */
class BurstLink extends TypedEmitter<LinkEvents> {
  #hold: () => Promise<void> | null = () => null;
  throttle(hold: () => Promise<void> | null): void {
    this.#hold = hold;
  }
  delivered = 0;
  async deliver(records: CardRecord[]): Promise<void> {
    for (const r of records) {
      this.emit('card', r.cardUid, r);
      this.delivered++;
      const wait = this.#hold();
      if (wait !== null) await wait;
    }
  }
}

const uid = (i: number) => `04${i.toString(16).toUpperCase().padStart(12, '0')}`;
const rec = (i: number, over: Partial<CardRecord> = {}): CardRecord => ({
  cardUid: uid(i),
  holderId: `h-${i}`,
  name: 'Test Barn',
  photo: null,
  status: 'active',
  balance: 5000,
  version: 1,
  updatedAt: '2026-11-24T09:00:00.000Z',
  ...over,
});

async function setup(t: import('ava').ExecutionContext) {
  const dir = mkdtempSync(join(tmpdir(), 'klubkort-sync-turns-'));
  const j = await Journal.open(dir);
  const link = new BurstLink();
  const sync = new LedgerSync(link, j, createLogger({ level: 'silent' }), systemTimers);
  t.teardown(async () => {
    await j.close().catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  });
  return { j, link, sync };
}

test('a burst of 2,000 records is taken a few dozen at a time: the loop turns in between (keys and taps are read there)', async (t) => {
  const { j, link, sync } = await setup(t);
  // A turn of the loop: an immediate, as the tty's and the reader's I/O is read in the same phase.
  const seen: number[] = [];
  let done = false;
  const tick = () => {
    seen.push(link.delivered);
    if (!done) setImmediate(tick);
  };
  setImmediate(tick);
  await link.deliver(Array.from({ length: 2000 }, (_, i) => rec(i)));
  await sync.idle();
  done = true;
  const gaps = seen.slice(1).map((n, i) => n - seen[i]!);
  // On the starting commit a turn came only once 200 were in (the inbox full): 200 parses and checks in one go.
  t.true(
    Math.max(seen[0]!, ...gaps) <= 50,
    `messages taken between two turns of the loop: at most ${Math.max(seen[0]!, ...gaps)}`,
  );
  t.is(await j.cards.count(), 2000);
});

test('a block in the middle of a 10,000-card sync is never lost, nor overtaken by an older record', async (t) => {
  const { j, link, sync } = await setup(t);
  const X = 4321;
  const records = Array.from({ length: 10_000 }, (_, i) => rec(i));
  // The office blocks X while the terminal syncs: the ledger sends the block mid-stream, and a
  // redelivered older record of X comes after it (retained messages again on a reconnect).
  records.splice(5000, 0, rec(X, { status: 'blocked', version: 2, balance: 0 }));
  records.splice(7000, 0, rec(X, { version: 1 }));
  // Whatever moment a tap reads X during the sync, it sees a whole record: before the block, or blocked.
  const reads: string[] = [];
  let done = false;
  const poll = async () => {
    while (!done) {
      const c = await j.cards.get(uid(X));
      if (c) reads.push(`${c.version}:${c.status}:${c.balance}`);
      await new Promise((r) => setImmediate(r));
    }
  };
  const polling = poll();
  await link.deliver(records);
  await sync.idle();
  done = true;
  await polling;
  const x = await j.cards.get(uid(X));
  t.like(x, { status: 'blocked', version: 2, balance: 0 });
  t.is(await j.cards.count(), 10_000);
  t.true(reads.length > 0);
  t.deepEqual(
    [...new Set(reads)].filter((r) => r !== '1:active:5000' && r !== '2:blocked:0'),
    [],
    'no half-applied record',
  );
  // Once blocked, never active again in any read.
  const firstBlocked = reads.indexOf('2:blocked:0');
  if (firstBlocked >= 0) t.false(reads.slice(firstBlocked).includes('1:active:5000'));
});
