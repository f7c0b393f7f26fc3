// Contract § Access at the ledger (issue 24, item 9), for real: a mosquitto run from the example
// config and ACL with certificates made by the PKI scripts, and the reference ledger with two
// clubs. The ACL lets every terminal publish on its own `tx` topic whatever the payload claims; the
// ledger knows each terminal's club and declines `invalid`, telling nothing, every message of a
// terminal that names another club, a card not of its club, a txId of another club, or that comes
// from a terminal not registered with the ledger at all.
import test from 'ava';
import { randomUUID } from 'node:crypto';
import { Identity } from '../helpers/tls-broker.ts';
import { startTlsLedgerWorld, stopTlsLedgerWorld, type TlsLedgerWorld } from '../helpers/tls-ledger.ts';
import { until } from '../helpers/until.ts';
import { demoChildren, demoClub, DEMO_CLUB_ID } from '../../sim/demo-club.ts';
import { ResultMsg, topics } from '../../contract/index.ts';

const A = DEMO_CLUB_ID;
const B = 'nabo-klub';
const FREJA = demoChildren()[0]!.uid; // club A's child, 150 kr
const B_CHILD = '04B0B0B0B0B0B0';

let w: TlsLedgerWorld;

test.before(async () => {
  // kasse-5 has a certificate of club A (the broker lets it in) but the office never registered it at the ledger.
  w = await startTlsLedgerWorld(
    [
      ['kasse-1', A],
      ['kasse-5', A],
      ['kasse-9', B],
    ],
    [
      demoClub(['kasse-1']),
      {
        clubId: B,
        terminals: ['kasse-9'],
        catalog: { version: 1, items: [{ sku: 'is', name: 'Is', price: 1000, category: 'slik' }] },
        cards: [{ cardUid: B_CHILD, holderId: 'b-1', name: 'Nabo Barn', balance: 5000, photo: null }],
      },
    ],
  );
});

test.after.always(() => stopTlsLedgerWorld(w));

const now = () => new Date().toISOString();
const sale = (
  terminalId: string,
  clubId: string,
  cardUid: string,
  offline: boolean,
  unitPrice = 19999,
  txId = randomUUID(),
) => ({
  type: 'sale',
  txId,
  terminalId,
  clubId,
  cardUid,
  items: [{ sku: 'is', name: 'Is', unitPrice, qty: 1 }],
  total: unitPrice,
  createdAt: now(),
  offline,
  cashierId: null,
});

/** A terminal with its own certificate, subscribed to its results (and, to see that it gets nothing of it, to club A's topics). */
async function terminal(
  t: { teardown(f: () => Promise<void>): void },
  id: string,
): Promise<{ ask(msg: { txId: string } & Record<string, unknown>): Promise<ResultMsg>; probe: Identity }> {
  const probe = await Identity.connect(w, id);
  t.teardown(() => probe.close());
  await probe.subscribe(topics.results(id), topics.clubAll(A));
  const ask = async (msg: { txId: string } & Record<string, unknown>) => {
    await probe.publish(topics.tx(id), JSON.stringify(msg));
    const got = await until(
      () => probe.received(topics.results(id)).find((p) => p.includes(msg.txId)),
      `the answer to ${msg.txId}`,
    );
    return ResultMsg.parse(JSON.parse(got));
  };
  return { ask, probe };
}

const told = (r: ResultMsg) => ({ status: r.status, reason: r.reason, balance: r.balance, cardVersion: r.cardVersion });
const DECLINED = { status: 'declined', reason: 'invalid', balance: undefined, cardVersion: undefined };

test.serial(
  "a club-B terminal's offline sales naming club A and club A's card are declined invalid, with no balance; the card is unchanged and nothing of club A is told",
  async (t) => {
    const b = await terminal(t, 'kasse-9');
    const before = w.ledger.card(A, FREJA)!;
    t.is(before.balance, 15000);
    // As reproduced: three offline sales of 199,99 kr would take the child to -449,97 kr.
    for (let i = 0; i < 3; i++) t.deepEqual(told(await b.ask(sale('kasse-9', A, FREJA, true))), DECLINED);
    // Its own club named, the other club's card: not a card of its club either.
    t.deepEqual(told(await b.ask(sale('kasse-9', B, FREJA, true))), DECLINED);
    t.deepEqual(told(await b.ask(sale('kasse-9', A, FREJA, false))), DECLINED, 'online too');
    t.deepEqual(w.ledger.card(A, FREJA), before, 'the card of club A is unchanged (balance and version)');
    t.false(
      w.ledger.history().some((e) => e.clubId === A),
      'nothing booked in club A',
    );
    t.false(
      b.probe.got.some((m) => m.topic.includes(`/clubs/${A}/`)),
      'the broker gave it nothing of club A',
    );
    t.false(
      b.probe.got.some((m) => m.payload.toString().includes('balance')),
      'no answer told a balance',
    );
    // Control, same connection: its own club's card is booked as before.
    const own = await b.ask(sale('kasse-9', B, B_CHILD, true, 1000));
    t.like(own, { status: 'approved', balance: 4000 });
  },
);

test.serial(
  "a club-B terminal gets nothing of a club-A txId: no repeat of its answer, no reversal, no void of club A's sale",
  async (t) => {
    const a = await terminal(t, 'kasse-1');
    const b = await terminal(t, 'kasse-9');
    const theirs = sale('kasse-1', A, FREJA, false, 800);
    const answer = await a.ask(theirs);
    t.like(answer, { status: 'approved' });
    const balance = w.ledger.card(A, FREJA)!;
    t.deepEqual(
      told(await b.ask({ ...theirs, terminalId: 'kasse-9', clubId: B, cardUid: B_CHILD })),
      DECLINED,
      'a sale under their txId: no repeat of their answer',
    );
    t.deepEqual(
      told(await b.ask({ type: 'reversal', txId: theirs.txId, terminalId: 'kasse-9', createdAt: now() })),
      DECLINED,
      'their sale is not reversed',
    );
    const v = {
      type: 'void',
      txId: randomUUID(),
      voids: theirs.txId,
      terminalId: 'kasse-9',
      clubId: A,
      cardUid: FREJA,
      createdAt: now(),
      cashierId: null,
    };
    t.deepEqual(told(await b.ask(v)), DECLINED, 'their sale is not voided');
    t.deepEqual(w.ledger.card(A, FREJA), balance, 'the card of club A is unchanged');
    t.is(w.ledger.bookings(theirs.txId), 1);
    // Club A's own terminal still gets its own answer again.
    await a.probe.publish(topics.tx('kasse-1'), JSON.stringify(theirs));
    await until(
      () => a.probe.received(topics.results('kasse-1')).filter((p) => p.includes(theirs.txId)).length === 2,
      'the repeat of its own answer',
    );
    t.false(
      b.probe.got.some((m) => m.payload.toString().includes('balance')),
      'no answer to club B told a balance',
    );
  },
);

test.serial(
  "a terminal not registered with the ledger is declined invalid until the club office registers it; it is never another club's",
  async (t) => {
    const u = await terminal(t, 'kasse-5');
    const before = w.ledger.card(A, FREJA)!;
    t.deepEqual(told(await u.ask(sale('kasse-5', A, FREJA, true, 500))), DECLINED, 'offline');
    t.deepEqual(told(await u.ask(sale('kasse-5', A, FREJA, false, 500))), DECLINED, 'online');
    t.deepEqual(
      told(await u.ask({ type: 'reversal', txId: randomUUID(), terminalId: 'kasse-5', createdAt: now() })),
      DECLINED,
      'reversal',
    );
    t.deepEqual(w.ledger.card(A, FREJA), before);

    await w.ledger.addTerminal(A, 'kasse-5'); // the club office (`klubkort ledger terminal-add kasse-5`)
    t.deepEqual(w.ledger.terminals(A), ['kasse-1', 'kasse-5']);
    t.like(await u.ask(sale('kasse-5', A, FREJA, false, 500)), { status: 'approved', balance: before.balance - 500 });
    // A registration is never moved to another club, nor is a club that does not exist taken.
    await t.throwsAsync(w.ledger.addTerminal(B, 'kasse-5'), {
      message: 'terminal kasse-5 is registered with club demo-klub',
    });
    await t.throwsAsync(w.ledger.addTerminal('no-such-club', 'kasse-6'), { message: /unknown club/ });
    t.deepEqual(w.ledger.terminals(B), ['kasse-9']);
  },
);
