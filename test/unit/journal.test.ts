import test from 'ava';
import { mkdtempSync, readFileSync, rmSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHash, randomUUID } from 'node:crypto';
import { Journal } from '../../firmware/journal/journal.ts';
import { checkPhoto } from '../../firmware/journal/card-cache.ts';
import { migrate, migrations } from '../../firmware/journal/migrations.ts';
import { Db } from '../../firmware/journal/db.ts';
import { unbooked } from '../helpers/unbooked.ts';
import { ManualTimers } from '../helpers/manual-timers.ts';
import { until } from '../helpers/until.ts';
import { tempJournal } from '../helpers/temp-journal.ts';
import { record as rec } from '../helpers/sale-parts.ts';
import type { ResultMsg, SaleMsg } from '../../contract/index.ts';

const open = (t: import('ava').ExecutionContext) => tempJournal(t);
const sale = (over: Partial<SaleMsg> = {}): SaleMsg => ({
  type: 'sale',
  txId: randomUUID(),
  terminalId: 't1',
  clubId: 'c1',
  cardUid: '04A1B2C3',
  items: [{ sku: 'j', name: 'Juice', unitPrice: 800, qty: 1 }],
  total: 800,
  createdAt: new Date().toISOString(),
  offline: false,
  ...over,
});

test('migrations set WAL, synchronous=FULL and secure_delete', async (t) => {
  const { j } = await open(t);
  t.is((await j.db.get<{ journal_mode: string }>('PRAGMA journal_mode'))!.journal_mode, 'wal');
  t.is((await j.db.get<{ synchronous: number }>('PRAGMA synchronous'))!.synchronous, 2);
  t.is((await j.db.get<{ secure_delete: number }>('PRAGMA secure_delete'))!.secure_delete, 1);
  t.is((await j.db.get<{ user_version: number }>('PRAGMA user_version'))!.user_version, migrations.length);
});

test("issue 28: the journal's page cache is 512 KiB, not SQLite's 2 MiB (the daemon's memory with a synced club)", async (t) => {
  const { j } = await open(t);
  t.is((await j.db.get<{ cache_size: number }>('PRAGMA cache_size'))!.cache_size, -512);
});

test('a journal from before migration 3 keeps its queue, in order, and sells on with the one-statement write', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'klubkort-journal-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  // A v2 journal with three queued sales (the outbox's AUTOINCREMENT numbers them 1–3), the
  // middle one answered meanwhile, so the queue has a gap.
  const old = await Db.open(join(dir, 'journal.db'));
  for (const sql of migrations.slice(0, 2)) await old.exec(sql);
  await old.exec('PRAGMA user_version = 2');
  const queued = [sale({ offline: true }), sale({ offline: true }), sale({ offline: true })];
  for (const s of queued) {
    await old.run(
      "INSERT INTO sales (tx_id, card_uid, items, total, created_at, offline, status, shown) VALUES (?,?,?,?,?,1,'approved',1)",
      [s.txId, s.cardUid, JSON.stringify(s.items), s.total, s.createdAt],
    );
    await old.run(
      "INSERT INTO outbox (tx_id, type, offline, card_uid, total, payload, created_at) VALUES (?,'sale',1,?,?,?,?)",
      [s.txId, s.cardUid, s.total, JSON.stringify(s), s.createdAt],
    );
  }
  await old.run('DELETE FROM outbox WHERE tx_id = ?', [queued[1]!.txId]);
  await old.run('UPDATE sales SET answered = 1, result_version = 9 WHERE tx_id = ?', [queued[1]!.txId]);
  await old.close();

  const j = await Journal.open(dir);
  t.teardown(() => j.close().catch(() => undefined));
  t.is((await j.db.get<{ user_version: number }>('PRAGMA user_version'))!.user_version, migrations.length);
  t.deepEqual(
    (await j.sales.outbox()).map((e) => e.txId),
    [queued[0]!.txId, queued[2]!.txId],
  );
  // Unanswered (0 and 2) through the outbox, answered above the record's version (1) through the index.
  t.is(await unbooked(j, '04A1B2C3', 8), 3 * 800);
  t.is(await unbooked(j, '04A1B2C3', 9), 2 * 800);
  const next = sale({ offline: true });
  t.true(await j.sales.approveOffline(next));
  t.deepEqual(
    (await j.sales.outbox()).map((e) => e.txId),
    [queued[0]!.txId, queued[2]!.txId, next.txId],
    'a new sale queues last',
  );
  t.is(await migrate(j.db), migrations.length, 'nothing left to apply');
});

test('a sale is written with its outbox entry or not at all; a pending online row is switched, a decided one is not', async (t) => {
  const { j } = await open(t);
  const online = sale();
  await j.sales.beginOnline(online);
  t.like(await j.sales.sale(online.txId), { status: 'pending', offline: false });
  t.deepEqual(
    (await j.sales.outbox()).map((e) => [e.txId, e.offline]),
    [[online.txId, false]],
  );
  t.true(await j.sales.approveOffline({ ...online, offline: true }));
  t.like(await j.sales.sale(online.txId), { status: 'approved', offline: true });
  t.deepEqual(
    (await j.sales.outbox()).map((e) => [e.txId, e.offline]),
    [[online.txId, true]],
    'the same entry, now offline',
  );
  // The outbox half failing (no payload) after the sale row went in leaves neither row.
  const bad = sale({ offline: true });
  await t.throwsAsync(
    () =>
      j.db.writeOne(
        "INSERT INTO sale_entry (tx_id, card_uid, items, total, created_at, offline, status, payload, only_over_pending) VALUES (?,?,?,?,?,1,'approved',NULL,1)",
        [bad.txId, bad.cardUid, '[]', 800, bad.createdAt],
      ),
    { message: /NOT NULL constraint failed: outbox.payload/ },
  );
  t.is(await j.sales.sale(bad.txId), null);
  t.is((await j.sales.outbox()).length, 1);
});

test('the card cache never takes an equal or lower version', async (t) => {
  const { j } = await open(t);
  t.true(await j.cards.put(rec()));
  t.false(await j.cards.put(rec({ balance: 1, version: 3 })));
  t.false(await j.cards.put(rec({ balance: 1, version: 2 })));
  t.is((await j.cards.get('04A1B2C3'))!.balance, 5000);
  t.true(await j.cards.put(rec({ balance: 1, version: 4 })));
  t.is((await j.cards.get('04A1B2C3'))!.balance, 1);
});

test('photos are checked against their SHA-256 and kind', (t) => {
  const png = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), Buffer.from('rest')]);
  const sha = createHash('sha256').update(png).digest('hex');
  t.is(checkPhoto(sha, png), 'ok');
  t.is(checkPhoto('0'.repeat(64), png), 'hash_mismatch');
  t.is(checkPhoto(sha, Buffer.from('hello')), 'not_an_image');
  t.is(checkPhoto(sha, Buffer.alloc(256 * 1024 + 1)), 'too_large');
});

test('a result settles its outbox entry once; a late online answer after the offline switch is ignored', async (t) => {
  const { j } = await open(t);
  await j.cards.put(rec());
  const s = sale();
  await j.sales.beginOnline(s);
  t.is(await j.sales.queueLength(), 1);
  t.true(await j.sales.approveOffline({ ...s, offline: true }));
  t.is(
    await j.sales.settle({
      txId: s.txId,
      type: 'sale',
      status: 'approved',
      balance: 4200,
      cardVersion: 4,
      offline: false,
    }),
    'stale_online_answer',
  );
  const settled = await j.sales.settle({
    txId: s.txId,
    type: 'sale',
    status: 'approved',
    balance: 4200,
    cardVersion: 4,
    offline: true,
  });
  t.like(settled, { kind: 'sale', status: 'approved' });
  t.is(
    await j.sales.settle({
      txId: s.txId,
      type: 'sale',
      status: 'approved',
      balance: 4200,
      cardVersion: 4,
      offline: true,
    }),
    'no_entry',
  );
  t.is(await j.sales.queueLength(), 0);
  // booked at version 4, record still at 3: the money is not available
  t.is(await unbooked(j, '04A1B2C3', 3), 800);
  t.is(await unbooked(j, '04A1B2C3', 4), 0);
});

test('when the answer was stored first, the offline switch does not happen', async (t) => {
  const { j } = await open(t);
  const s = sale();
  await j.sales.beginOnline(s);
  await j.sales.settle({
    txId: s.txId,
    type: 'sale',
    status: 'declined',
    reason: 'insufficient_funds',
    offline: false,
  });
  t.false(await j.sales.approveOffline({ ...s, offline: true }));
  t.is((await j.sales.sale(s.txId))!.status, 'declined');
  t.is(await j.sales.queueLength(), 0);
});

test('after a restart an unanswered online sale becomes a reversal with the same txId', async (t) => {
  const { j } = await open(t);
  const s = sale();
  await j.sales.beginOnline(s);
  t.is(await j.sales.reverseUnansweredOnline(new Date().toISOString(), 't1'), 1);
  const out = await j.sales.outbox();
  t.is(out.length, 1);
  t.like(out[0]!.message, { type: 'reversal', txId: s.txId });
  t.is((await j.sales.sale(s.txId))!.status, 'declined');
});

test('an answer to an online sale in question at a restart changes nothing until the check has decided', async (t) => {
  const { j } = await open(t);
  const s = sale();
  await j.sales.beginOnline(s);
  j.sales.inQuestion([s.txId]);
  const answer = {
    txId: s.txId,
    type: 'sale' as const,
    status: 'approved' as const,
    balance: 100,
    cardVersion: 2,
    offline: false,
  };
  t.is(await j.sales.settle(answer), 'in_question');
  t.is((await j.sales.sale(s.txId))!.status, 'pending');
  t.is((await j.sales.outbox()).length, 1, 'still queued, to be reversed or sent again');
  j.sales.decided();
  t.like(await j.sales.settle(answer), { kind: 'sale', status: 'approved' });
});

test('closing a card erases its record, photo and UID, keeps its queued sale, and leaves no bytes in the file', async (t) => {
  const { j, dir } = await open(t);
  const photo = Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    Buffer.from('PHOTO-BYTES-OF-ASTRID'.repeat(50)),
  ]);
  const sha = createHash('sha256').update(photo).digest('hex');
  await j.cards.putPhoto(sha, photo);
  await j.cards.put(rec({ photo: sha }));
  const s = sale({ offline: true });
  await j.sales.approveOffline(s);
  await j.cards.close('04A1B2C3');
  t.is(await j.cards.get('04A1B2C3'), null);
  t.is(await j.cards.photo(sha), null);
  t.is((await j.sales.sale(s.txId))!.cardUid, null);
  t.is((await j.sales.outbox()).length, 1, 'the ledger must still book the queued sale');
  const bytes = Buffer.concat(
    readdirSync(dir)
      .filter((f) => f.startsWith('journal.db'))
      .map((f) => readFileSync(join(dir, f))),
  );
  t.false(bytes.includes(Buffer.from('Astrid')), 'name bytes gone');
  t.false(bytes.includes(Buffer.from('PHOTO-BYTES-OF-ASTRID')), 'photo bytes gone');
});

test('answers settled together end as the same answers settled one by one: duplicates, mismatches, voids and reversals', async (t) => {
  /** The same sales, voids and reversal in a journal; then the answers, together or one at a time. */
  async function answered(together: boolean) {
    const { j } = await open(t);
    const online = sale();
    const offline = sale({ offline: true });
    const stale = sale();
    const voided = sale({ offline: true });
    const keptVoid = sale({ offline: true });
    const reversed = sale();
    await j.sales.beginOnline(online);
    await j.sales.approveOffline(offline, true);
    await j.sales.beginOnline(stale);
    for (const s of [voided, keptVoid]) await j.sales.approveOffline(s, true);
    const v1 = {
      type: 'void' as const,
      txId: randomUUID(),
      voids: voided.txId,
      terminalId: 't1',
      clubId: 'c1',
      cardUid: voided.cardUid,
      createdAt: new Date().toISOString(),
    };
    const v2 = { ...v1, txId: randomUUID(), voids: keptVoid.txId };
    await j.sales.recordVoid(v1, voided.total);
    await j.sales.recordVoid(v2, keptVoid.total);
    await j.sales.beginOnline(reversed);
    await j.sales.declineAndReverse(reversed.txId, 'timeout', {
      type: 'reversal',
      txId: reversed.txId,
      terminalId: 't1',
      createdAt: new Date().toISOString(),
    });
    const results: ResultMsg[] = [
      {
        txId: online.txId,
        type: 'sale' as const,
        status: 'approved' as const,
        balance: 4200,
        cardVersion: 4,
        offline: false,
      },
      {
        txId: online.txId,
        type: 'sale' as const,
        status: 'declined' as const,
        reason: 'insufficient_funds',
        offline: false,
      }, // a repeat: changes nothing
      { txId: offline.txId, type: 'sale' as const, status: 'declined' as const, reason: 'blocked', offline: true }, // stays approved
      { txId: stale.txId, type: 'sale' as const, status: 'approved' as const, offline: true }, // an answer to another form
      { txId: v1.txId, type: 'void' as const, status: 'approved' as const },
      { txId: v2.txId, type: 'sale' as const, status: 'approved' as const, offline: false }, // wrong type: changes nothing
      { txId: v2.txId, type: 'void' as const, status: 'declined' as const, reason: 'invalid' }, // the sale is voidable again
      { txId: reversed.txId, type: 'reversal' as const, status: 'approved' as const },
      { txId: randomUUID(), type: 'sale' as const, status: 'approved' as const, offline: false },
    ];
    const outcomes = together ? await j.sales.settleMany(results) : [];
    if (!together) for (const r of results) outcomes.push(await j.sales.settle(r));
    const rows = await j.db.all(
      'SELECT status, reason, answered, result_version, voided_by IS NOT NULL AS voided FROM sales ORDER BY rowid',
    );
    const voids = await j.db.all('SELECT status, reason FROM voids ORDER BY rowid');
    return {
      outcomes: outcomes.map((o) =>
        typeof o === 'string' ? o : { ...o, txId: results.findIndex((r) => r.txId === o.txId) },
      ),
      rows,
      voids,
      queue: (await j.sales.outbox()).length,
    };
  }
  const one = await answered(false);
  const all = await answered(true);
  t.deepEqual(all, one);
  t.deepEqual(
    one.outcomes.filter((o) => typeof o === 'string'),
    ['no_entry', 'stale_online_answer', 'type_mismatch', 'no_entry'],
  );
  t.like(one.rows, [
    { status: 'approved', result_version: 4 },
    { status: 'approved', answered: 1 },
    { status: 'pending', answered: 0 },
    { voided: 1 },
    { voided: 0 },
    { status: 'declined' },
  ]);
  t.is(one.queue, 3, 'left: the sale answered in another form, and the two voided sales (not answered here)');
});

test("issue 26 item 5: the day's report counts the declines by reason (one still only in memory by the reason shown), the voids and the net; a sale in flight is neither", async (t) => {
  const { j } = await open(t);
  const mark = await j.sales.mark();
  const online = sale({ total: 1600, items: [{ sku: 'j', name: 'Juice', unitPrice: 800, qty: 2 }] });
  await j.sales.beginOnline(online);
  await j.sales.settle({
    txId: online.txId,
    type: 'sale',
    status: 'approved',
    balance: 3400,
    cardVersion: 4,
    offline: false,
  });
  const offline = sale({ offline: true, total: 600, items: [{ sku: 'v', name: 'Vand', unitPrice: 600, qty: 1 }] });
  t.true(await j.sales.approveOffline(offline, true));
  const byLedger = sale();
  await j.sales.beginOnline(byLedger);
  await j.sales.settle({ txId: byLedger.txId, type: 'sale', status: 'declined', reason: 'card_auth', offline: false });
  for (const reason of ['blocked', 'insufficient_funds', 'insufficient_funds'])
    await j.sales.recordRefusal(sale(), reason);
  j.sales.declineUnrecorded({ sale: sale(), reason: 'daily_limit', reversal: null });
  const inFlight = sale();
  await j.sales.beginOnline(inFlight);
  t.true(
    await j.sales.recordVoid(
      {
        type: 'void',
        txId: randomUUID(),
        voids: offline.txId,
        terminalId: 't1',
        clubId: 'c1',
        cardUid: '04A1B2C3',
        createdAt: new Date().toISOString(),
      },
      600,
    ),
  );
  t.deepEqual(await j.sales.report(mark), {
    sales: 2,
    salesTotal: 2200,
    offlineSales: 1,
    offlineTotal: 600,
    voids: 1,
    voidsTotal: 600,
    net: 1600,
    declined: 5,
    declinedBy: [
      { reason: 'insufficient_funds', count: 2 },
      { reason: 'blocked', count: 1 },
      { reason: 'card_auth', count: 1 },
      { reason: 'daily_limit', count: 1 },
    ],
  });
  // An online attempt shown declined while the disk refused to say so: declined for the reason shown.
  j.sales.declineUnrecorded({ sale: inFlight, reason: 'invalid', reversal: null });
  t.like(await j.sales.report(mark), { declined: 6, sales: 2 });
  t.deepEqual(
    (await j.sales.report(mark)).declinedBy.find((d) => d.reason === 'invalid'),
    { reason: 'invalid', count: 1 },
  );
});

test('a forged SUN read the ledger declined card_auth while the disk was full: its counter is forgotten at once (in memory) and when the decline is written', async (t) => {
  const timers = new ManualTimers();
  const dir = mkdtempSync(join(tmpdir(), 'klubkort-journal-'));
  const j = await Journal.open(dir, undefined, timers);
  t.teardown(async () => {
    await j.close().catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  });
  const genuine = sale({ cardAuth: { ctr: 7, cmac: '0123456789ABCDEF' } });
  await j.sales.beginOnline(genuine);
  const forged = sale({ cardAuth: { ctr: 0xffffff, cmac: '0123456789ABCDEF' } });
  await j.sales.beginOnline(forged);
  t.is(await j.sales.highestSunCounter('04A1B2C3', 'next'), 0xffffff, 'until answered, every counter sent counts');
  // The answer came, the cashier saw it; the disk refused it: the decline is in force from memory.
  j.sales.declineUnrecorded({ sale: forged, reason: 'card_auth', reversal: null });
  t.is(await j.sales.highestSunCounter('04A1B2C3', 'next'), 7, "in memory: the forged read is not the card's");
  timers.advance(1000);
  await until(() => j.sales.unrecorded.size === 0, 'the decline written', 10_000);
  t.is(await j.sales.highestSunCounter('04A1B2C3', 'next'), 7, 'written: the forged counter is gone from the disk too');
});

test("an online approval of a card's SUN read forgets the higher counters of its earlier sales (none was the card's), never a later sale's", async (t) => {
  const { j } = await open(t);
  const auth = (ctr: number) => ({ cardAuth: { ctr, cmac: '0123456789ABCDEF' } });
  // A forged read whose card_auth answer was lost (a full disk, a restart): its counter stays held.
  const forged = sale(auth(0xffffff));
  await j.sales.beginOnline(forged);
  const other = sale({ ...auth(0xfffff0), cardUid: '04FFFFFF' });
  await j.sales.beginOnline(other);
  t.is(await j.sales.highestSunCounter('04A1B2C3', 'next'), 0xffffff);
  /** Sent online and approved by the ledger. */
  const approvedOnline = async (m: SaleMsg) => {
    await j.sales.beginOnline(m);
    await j.sales.settle({
      txId: m.txId,
      type: 'sale',
      status: 'approved',
      balance: 100,
      cardVersion: 2,
      offline: false,
    });
  };
  await approvedOnline(sale(auth(9)));
  t.is(
    await j.sales.highestSunCounter('04A1B2C3', 'next'),
    9,
    'the ledger took 9 as fresh: 0xFFFFFF before it was not the card',
  );
  t.is(await j.sales.highestSunCounter('04FFFFFF', 'next'), 0xfffff0, "another card's counters stay");
  // A later sale's counter (made after the approved one, its answer stored late) is never touched.
  const approved = sale(auth(11));
  await j.sales.beginOnline(approved);
  await j.sales.beginOnline(sale(auth(12)));
  await j.sales.settle({
    txId: approved.txId,
    type: 'sale',
    status: 'approved',
    balance: 100,
    cardVersion: 3,
    offline: false,
  });
  t.is(await j.sales.highestSunCounter('04A1B2C3', 'x'), 12);
});
