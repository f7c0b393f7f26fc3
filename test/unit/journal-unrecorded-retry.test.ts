// The declines the disk refused are written again on the journal's injected timers (Clock.timers),
// not on Node's global ones: a test steps the retries, and the daemon's clock is the one they use.
import test from 'ava';
import { Unrecorded, type UnrecordedDecline } from '../../firmware/journal/unrecorded.ts';
import { ManualTimers } from '../helpers/manual-timers.ts';

/** One turn of the event loop: the write's promise and the retry it schedules settle. */
const turn = () => new Promise<void>((resolve) => setImmediate(resolve));

const decline = (txId: string): UnrecordedDecline => ({
  // Only the txId is read here: the decline is handed to `write` as it is.
  sale: { txId } as UnrecordedDecline['sale'],
  reason: 'disk full',
  reversal: null,
});

test('a refused write is tried again on the injected timers, backing off, until the disk takes it', async (t) => {
  const timers = new ManualTimers();
  const tries: string[] = [];
  let refusals = 2;
  const unrecorded = new Unrecorded(async (d) => {
    tries.push(d.sale.txId);
    if (refusals-- > 0) throw new Error('SQLITE_FULL');
  }, timers);

  unrecorded.add(decline('tx-1'));
  t.is(timers.pending, 1, 'the first try waits on the injected timers');
  timers.advance(9);
  await turn();
  t.deepEqual(tries, [], 'not before its time on the injected clock');
  timers.advance(1);
  await turn();
  t.deepEqual(tries, ['tx-1'], 'first try after 10 ms');
  t.is(unrecorded.size, 1, 'refused: still in force in memory');

  timers.advance(19);
  await turn();
  t.is(tries.length, 1);
  timers.advance(1);
  await turn();
  t.is(tries.length, 2, 'second try 20 ms later');

  timers.advance(40);
  await turn();
  t.is(tries.length, 3, 'third try 40 ms later');
  t.is(unrecorded.size, 0, 'written: it leaves memory');
  t.is(timers.pending, 0, 'nothing more scheduled');
});

test('stop() cancels the pending try on the injected timers', async (t) => {
  const timers = new ManualTimers();
  const tries: string[] = [];
  const unrecorded = new Unrecorded(async (d) => {
    tries.push(d.sale.txId);
  }, timers);
  unrecorded.add(decline('tx-2'));
  unrecorded.stop();
  t.is(timers.pending, 0);
  timers.advance(10_000);
  await turn();
  t.deepEqual(tries, []);
  t.is(unrecorded.size, 1, 'left for the next start to resolve');
});
