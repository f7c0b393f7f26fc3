// When "the ledger is not answering" begins and ends (issue 26, item 2), as a pure rule: the first
// unanswered online sale begins it and its time stays; any answer ends it, and so does a status the
// ledger publishes anew (it connected again); the same retained status brought again by the
// terminal's own reconnect, or a status `offline`, ends nothing.
import test from 'ava';
import { nextSilence, NOT_SILENT, type Silence, type SilenceEvent } from '../../firmware/terminal/ledger-silence.ts';

const run = (...events: SilenceEvent[]): Silence => events.reduce(nextSilence, NOT_SILENT);
const status = (state: 'online' | 'offline' | null, since: string | null = null): SilenceEvent => ({
  type: 'status',
  state,
  since,
});
const timeout = (at: string): SilenceEvent => ({ type: 'timeout', at });
const ONLINE_1 = status('online', '2026-11-24T08:00:00.000Z');
const ONLINE_2 = status('online', '2026-11-24T14:20:00.000Z');
const T1 = '2026-11-24T13:05:30.000Z',
  T2 = '2026-11-24T13:15:30.000Z';

test('the first timeout begins it; later ones keep its time; an answer ends it', (t) => {
  t.is(run(ONLINE_1).since, null);
  t.is(run(ONLINE_1, timeout(T1)).since, T1);
  t.is(run(ONLINE_1, timeout(T1), timeout(T2)).since, T1);
  t.is(run(ONLINE_1, timeout(T1), { type: 'answer' }).since, null);
  t.is(run(ONLINE_1, timeout(T1), { type: 'answer' }, timeout(T2)).since, T2, 'a new silence after an answer');
});

test("the ledger's status: the same one again ends nothing; a new one (it connected again) ends it; offline or none ends nothing", (t) => {
  t.is(run(ONLINE_1, timeout(T1), ONLINE_1).since, T1, "the retained status again, at the terminal's reconnect");
  t.is(run(ONLINE_1, timeout(T1), ONLINE_2).since, null, 'the ledger connected again');
  t.is(
    run(ONLINE_1, timeout(T1), status('offline')).since,
    T1,
    'its will: still not answering, since the first timeout',
  );
  t.is(run(ONLINE_1, timeout(T1), status('offline'), ONLINE_1).since, null, 'offline, then online: it came back');
  t.is(run(status(null), timeout(T1), status(null)).since, T1, 'a broker without a ledger status (1.0) tells nothing');
  t.is(run(timeout(T1), ONLINE_1).since, null, 'the first status a terminal hears after a start counts as new');
});
