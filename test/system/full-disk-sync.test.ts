// Issue 24 item 4: ledger messages are acknowledged before they are stored. With the data dir full
// (a real 4 MiB tmpfs) while the ledger closes a card, the empty record, the photo deletion and
// the roster fail to store, but the broker has them acknowledged and never sends them again. The
// terminal must know its cache is behind: no offline approval until it has fetched the retained
// records again, which it does once there is room; then the roster erases the closed card.
import test from 'ava';
import { join } from 'node:path';
import { world, inStep } from '../helpers/fixture.ts';
import { startMosquitto } from '../helpers/mosquitto.ts';
import { smallDisk } from '../helpers/small-disk.ts';
import { until } from '../helpers/until.ts';
import { sellDirect } from '../helpers/cashier.ts';
import { demoChildren, DEMO_CLUB_ID } from '../../sim/demo-club.ts';

const C = DEMO_CLUB_ID;

test('a card closed while the disk is full: no offline approval while the cache is behind (a restart too); once there is room it is fetched again and the card erased', async (t) => {
  t.timeout(3 * 60_000);
  // A real mosquitto (persistent): it can be stopped to keep the terminal offline after the disk has room.
  const mq = await startMosquitto();
  t.teardown(() => mq.close());
  const w = await world(t, { brokerUrl: mq.url });
  const disk = smallDisk(t, join(w.dir, 'kasse-1'));
  const cfg = { sale: { replyTimeoutMs: 500 } };
  const first = await w.startTerminal('kasse-1', cfg);
  let terminal = first.terminal;
  await inStep(w, terminal);
  const rich = demoChildren()
    .map((d) => w.ledger.card(C, d.uid)!)
    .filter((c) => c.status === 'active' && c.balance >= 2000);
  const closed = rich.find((c) => c.photo)!;
  const other = rich.find((c) => c !== closed)!;
  t.truthy(await terminal.journal.cards.photo(closed.photo!), 'the photo cached');

  // Full: what the WAL already holds is moved out first (as every close and roster does), so the next write needs new room.
  await terminal.journal.db.checkpoint();
  disk.fill();
  const before = terminal.link.counters.received;
  await w.ledger.closeCard(C, closed.cardUid); // the empty record, the photo's deletion, a new roster
  await until(() => terminal.link.counters.received >= before + 3, 'the close reached the terminal');
  await terminal.sync.idle();
  t.truthy(await terminal.journal.cards.get(closed.cardUid), 'it failed to store (the disk is full)');

  // Offline, and the disk has room again: the cache still lacks the close, and the terminal knows.
  await mq.stop();
  await until(() => !terminal.link.connected, 'offline');
  disk.free();
  const closedSale = await sellDirect(terminal, ['1'], closed.cardUid);
  t.like(closedSale.result, { status: 'declined', reason: 'stale' }, 'the closed card is not approved offline');
  t.like(
    (await sellDirect(terminal, ['1'], other.cardUid)).result,
    { status: 'declined', reason: 'stale' },
    'nor any card while the cache is behind',
  );

  // Restarted meanwhile (still offline): the journal says the cache is behind (written once there was room).
  await until(async () => (await terminal.journal.meta('cache_behind')) === '1', 'the journal marked behind');
  await first.stop();
  terminal = (await w.startTerminal('kasse-1', cfg, { brokerDown: true })).terminal;
  t.like(
    (await sellDirect(terminal, ['1'], closed.cardUid)).result,
    { status: 'declined', reason: 'stale' },
    'not after a restart either',
  );

  // The broker back: the retained records are fetched again; the newer roster erases the closed card.
  await mq.start();
  await until(
    async () => !terminal.sync.behind && (await terminal.journal.cards.get(closed.cardUid)) === null,
    'fetched again, the card erased',
    60_000,
  );
  t.is(await terminal.journal.cards.photo(closed.photo!), null, 'its photo erased');

  // Offline again: the closed card is unknown, the others sell offline again.
  await mq.stop();
  await until(() => !terminal.link.connected, 'offline again');
  t.like((await sellDirect(terminal, ['1'], closed.cardUid)).result, { status: 'declined', reason: 'unknown_card' });
  t.like((await sellDirect(terminal, ['1'], other.cardUid)).result, { status: 'approved' });
  await mq.start();
});

for (const broker of ['mosquitto', 'aedes'] as const) {
  test(`a card blocked while the disk is full: once there is room the terminal fetches the retained records again on the same connection, and the block holds offline (${broker})`, async (t) => {
    t.timeout(3 * 60_000);
    // The refetch's end is told by the order in which a broker sends one SUBSCRIBE's retained messages: both brokers.
    const mq = broker === 'mosquitto' ? await startMosquitto() : null;
    if (mq) t.teardown(() => mq.close());
    const w = await world(t, { brokerUrl: mq?.url });
    const disk = smallDisk(t, join(w.dir, 'kasse-1'));
    const { terminal } = await w.startTerminal('kasse-1', { sale: { replyTimeoutMs: 500 } });
    await inStep(w, terminal);
    const card = demoChildren()
      .map((d) => w.ledger.card(C, d.uid)!)
      .find((c) => c.status === 'active' && c.balance >= 2000)!;
    let connections = 0;
    terminal.link.on('connected', () => connections++);

    await terminal.journal.db.checkpoint();
    disk.fill();
    const before = terminal.link.counters.received;
    await w.ledger.block(C, card.cardUid);
    await until(() => terminal.link.counters.received > before, 'the block reached the terminal');
    await terminal.sync.idle();
    t.is((await terminal.journal.cards.get(card.cardUid))?.status, 'active', 'it failed to store (the disk is full)');

    disk.free();
    await until(
      async () => !terminal.sync.behind && (await terminal.journal.cards.get(card.cardUid))?.status === 'blocked',
      'fetched again: blocked',
      60_000,
    );
    t.is(connections, 0, 'on the same connection');

    // The ledger goes away (its status: offline): decided offline at once, on the cache.
    await w.ledger.stop();
    await until(() => terminal.offlineClock.ledgerOffline, 'the ledger offline');
    t.like((await sellDirect(terminal, ['1'], card.cardUid)).result, { status: 'declined', reason: 'blocked' });
  });
}
