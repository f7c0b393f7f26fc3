// Power cuts: the terminal daemon as a real child process, killed with SIGKILL at random moments
// of its sales and restarted, ends with the ledger booking exactly what the cashier saw approved.
// The long run is `npm run crashtest -- --kills 1000`.
import test from 'ava';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { runCrashTest, crashLine } from '../helpers/crash-harness.ts';
import { auditLine, problems } from '../helpers/audit.ts';
import { world } from '../helpers/fixture.ts';
import { until } from '../helpers/until.ts';
import { Journal } from '../../firmware/journal/journal.ts';
import { demoChildren, DEMO_CLUB_ID } from '../../sim/demo-club.ts';

const KILLS = Number(process.env.KLUBKORT_CRASH_KILLS ?? 100);

test('killed with SIGKILL at random moments, the terminal loses no approved sale and books none twice', async (t) => {
  t.timeout(10 * 60_000);
  const seed = process.env.KLUBKORT_CRASH_SEED === undefined ? undefined : Number(process.env.KLUBKORT_CRASH_SEED);
  const r = await runCrashTest({ kills: KILLS, seed, progress: (l) => t.log(l) });
  t.log(`seed=${r.seed} sales=${r.sales} kills_at=${JSON.stringify(r.killsAt)} ${Math.round(r.ms / 1000)} s`);
  t.log(auditLine(r));
  t.log(crashLine(r));
  t.deepEqual(problems(r), [], `rerun with KLUBKORT_CRASH_SEED=${r.seed}`);
  t.is(r.kills, KILLS);
  t.true(r.approved > 0 && r.declined > 0, 'the run saw approvals and declines');
  t.is(r.bookedOnce, r.approved);
});

test('a sale decided on disk but never shown (power cut before the screen) is shown after the restart, once', async (t) => {
  const w = await world(t);
  const child = demoChildren()
    .map((d) => w.ledger.card(DEMO_CLUB_ID, d.uid)!)
    .find((c) => c.status === 'active' && c.balance >= 1000)!;
  // What a terminal leaves behind when it dies right after committing an offline approval.
  const j = await Journal.open(join(w.dir, 'kasse-1'));
  await j.cards.put(child);
  const txId = randomUUID();
  await j.sales.approveOffline({
    type: 'sale',
    txId,
    terminalId: 'kasse-1',
    clubId: DEMO_CLUB_ID,
    cardUid: child.cardUid,
    items: [{ sku: 'juice', name: 'Juice', unitPrice: 800, qty: 1 }],
    total: 800,
    createdAt: new Date().toISOString(),
    offline: true,
  });
  await j.close();

  const first = await w.startTerminal('kasse-1');
  const shown = await first.sim.waitScreen('result');
  t.like(shown.result, { status: 'approved', txId, reason: null });
  t.is(shown.card?.name, child.name);
  t.regex(shown.message, /offline/);
  await until(() => w.ledger.bookings(txId) === 1, 'the queued sale booked');
  await first.sim.key('escape');
  await first.sim.waitScreen('idle');
  await first.stop();

  const second = await w.startTerminal('kasse-1');
  await second.sim.waitScreen('idle', (s) => s.online);
  t.false(
    second.sim.screens.some((s) => s.screen === 'result'),
    'a result the cashier has seen is not shown again',
  );
  t.is(w.ledger.bookings(txId), 1);
  t.is(w.ledger.card(DEMO_CLUB_ID, child.cardUid)!.balance, child.balance - 800);
});
