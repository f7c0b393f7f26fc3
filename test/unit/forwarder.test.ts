// The forwarder is fired and forgotten from timers and events, so a failing journal (closed while
// the daemon stops) must end in a log line, never in an unhandled rejection that kills the daemon.
import test from 'ava';
import { PassThrough } from 'node:stream';
import { EventEmitter } from 'node:events';
import { Forwarder, OUTBOX_PAGE, PUBLISH_TURN } from '../../firmware/ledger/forwarder.ts';
import { createLogger } from '../../firmware/log.ts';
import type { Journal } from '../../firmware/journal/journal.ts';
import type { LedgerLink } from '../../firmware/ledger/link.ts';
import { until } from '../helpers/until.ts';

/** A connected link whose publishes all succeed, recording each txId in `sent`. */
const recordingLink = (sent: string[]) =>
  Object.assign(new EventEmitter(), {
    connected: true,
    sendTx: async (m: { txId: string }) => {
      sent.push(m.txId);
      return true;
    },
  });

test('a journal that fails while forwarding is logged; forward() resolves and the next call works', async (t) => {
  const lines: string[] = [];
  const out = new PassThrough();
  out.on('data', (b: Buffer) => lines.push(...b.toString().trim().split('\n')));
  let fail = true;
  const sent: string[] = [];
  const link = recordingLink(sent);
  const journal = {
    sales: {
      outbox: async () => {
        if (fail) throw new Error('SQLITE_MISUSE: Database is closed');
        return [{ seq: 1, txId: 'tx-1', type: 'sale', offline: true, message: { txId: 'tx-1' } }];
      },
    },
  };
  const f = new Forwarder(
    link as unknown as LedgerLink,
    journal as unknown as Journal,
    createLogger({ level: 'error', destination: out }),
    60_000,
  );
  t.teardown(() => f.stop());
  const unhandled: unknown[] = [];
  const onUnhandled = (e: unknown) => unhandled.push(e);
  process.on('unhandledRejection', onUnhandled);
  t.teardown(() => process.off('unhandledRejection', onUnhandled));

  link.emit('connected'); // fire and forget, as the link's event does
  await f.forward();
  await new Promise((r) => setImmediate(r));
  t.deepEqual(unhandled, []);
  t.true(
    lines.some((l) => l.includes('forwarding the outbox failed') && l.includes('Database is closed')),
    lines.join('\n'),
  );
  t.deepEqual(sent, []);

  fail = false;
  await f.forward();
  t.deepEqual(sent, ['tx-1']);
});

test('resends go on after the wall clock steps back an hour (issue 13 item 2: waits are monotonic)', async (t) => {
  const sent: string[] = [];
  const link = recordingLink(sent);
  const journal = {
    sales: { outbox: async () => [{ seq: 1, txId: 'tx-1', type: 'sale', offline: true, message: { txId: 'tx-1' } }] },
  };
  const realNow = Date.now;
  t.teardown(() => {
    Date.now = realNow;
  });
  const f = new Forwarder(
    link as unknown as LedgerLink,
    journal as unknown as Journal,
    createLogger({ level: 'silent' }),
    200,
  );
  t.teardown(() => f.stop());
  await f.forward();
  t.deepEqual(sent, ['tx-1']);
  // The wall clock steps back an hour (NTP): the process's clock, not one passed in.
  const stepped = realNow() - 3600_000;
  const base = realNow();
  Date.now = () => stepped + (realNow() - base);
  const until = realNow() + 20_000;
  while (sent.length < 3 && realNow() < until) await new Promise((r) => setTimeout(r, 50));
  t.true(sent.length >= 3, `resent ${sent.length - 1} times after the step`);
});

/** An outbox of `n` offline sales, and a journal that pages through it. */
function outbox(n: number) {
  const queue = Array.from({ length: n }, (_, i) => ({
    seq: i + 1,
    txId: `tx-${i + 1}`,
    type: 'sale',
    offline: true,
    message: { txId: `tx-${i + 1}` },
  }));
  const journal = {
    sales: {
      outbox: async (after = 0, limit = -1) =>
        queue.filter((e) => e.seq > after).slice(0, limit < 0 ? undefined : limit),
    },
  };
  return { queue, journal: journal as unknown as Journal };
}

/** A forwarder on `link` and `journal` that resends after 10 minutes, paced by `pace`. */
const forwarderOf = (link: EventEmitter, journal: Journal, pace: { ahead: number; waitMs: number }) =>
  new Forwarder(
    link as unknown as LedgerLink,
    journal,
    createLogger({ level: 'silent' }),
    600_000,
    undefined,
    undefined,
    pace,
  );

test('a long queue goes out at the pace of the answers: in order, page by page, never more than `ahead` unanswered; a ledger that answers nothing still gets all of it', async (t) => {
  const { queue, journal } = outbox(2500);
  const sent: string[] = [];
  const link = recordingLink(sent);
  const answer = (n: number) => {
    for (const id of sent.slice(0, n)) link.emit('result', { txId: id });
  };
  const patient = forwarderOf(link, journal, { ahead: 100, waitMs: 600_000 });
  t.teardown(() => patient.stop());
  const done = patient.forward();
  await until(() => sent.length === 100, 'the first 100 sent');
  await new Promise((r) => setTimeout(r, 100));
  t.is(sent.length, 100, 'nothing more before an answer');
  answer(60);
  await until(() => sent.length === 160, 'as many more as were answered');
  for (let n = 160; n < queue.length; n = sent.length) {
    answer(n);
    await until(() => sent.length > n, 'more sent after answers');
  }
  await done;
  t.deepEqual(
    sent,
    queue.map((e) => e.txId),
    'all of it, in order, across the pages',
  );

  // A ledger that answers nothing: after each wait the rest goes on anyway.
  sent.length = 0;
  const quick = forwarderOf(link, journal, { ahead: 100, waitMs: 50 });
  t.teardown(() => quick.stop());
  await quick.forward();
  t.is(sent.length, queue.length);
});

test('a long queue is published a bounded share of a turn at a time: the loop turns in between (keys and taps are read there)', async (t) => {
  const { queue, journal } = outbox(2000);
  let sent = 0;
  const link = Object.assign(new EventEmitter(), {
    connected: true,
    // A publish is synchronous work in mqtt.js (the packet built and written); its PUBACK comes later.
    sendTx: (_m: { txId: string }) => {
      sent++;
      return new Promise<boolean>((r) => setTimeout(() => r(true), 5));
    },
  });
  const f = forwarderOf(link, journal, { ahead: 10_000, waitMs: 600_000 });
  t.teardown(() => f.stop());
  // A turn of the loop: an immediate, as the tty's and the reader's I/O is read in the same phase.
  const seen: number[] = [];
  let done = false;
  const tick = () => {
    seen.push(sent);
    if (!done) setImmediate(tick);
  };
  setImmediate(tick);
  await f.forward();
  done = true;
  t.is(sent, queue.length);
  const most = Math.max(...seen.slice(1).map((n, i) => n - seen[i]!));
  t.true(most <= PUBLISH_TURN.sales, `sales published between two turns of the loop: at most ${most}`);
});

test('a long queue is read a bounded page at a time: a page is built and parsed in one turn of the loop', async (t) => {
  const { queue, journal } = outbox(1000);
  const pages: number[] = [];
  const read = journal.sales.outbox.bind(journal.sales);
  journal.sales.outbox = async (after, limit) => {
    const page = await read(after, limit);
    pages.push(page.length);
    return page;
  };
  const sent: string[] = [];
  const f = forwarderOf(recordingLink(sent), journal, { ahead: 10_000, waitMs: 600_000 });
  t.teardown(() => f.stop());
  await f.forward();
  t.deepEqual(
    sent,
    queue.map((e) => e.txId),
  );
  t.true(Math.max(...pages) <= 250, `the largest page: ${Math.max(...pages)} entries`);
  t.is(OUTBOX_PAGE, Math.max(...pages), 'full pages until the last');
});
