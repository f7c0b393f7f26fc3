// `klubkort status` as a technician reads it: labelled lines from the daemon's snapshot.
import test from 'ava';
import { formatAge, formatStatus } from '../../firmware/cli/status-format.ts';
import type { TerminalSnapshot } from '../../firmware/terminal/terminal.ts';

const now = new Date('2026-11-24T12:00:00.000Z');
const snap = (over: Partial<TerminalSnapshot>): TerminalSnapshot => ({
  terminalId: 'kasse-1',
  online: true,
  queue: 0,
  lastOnlineAt: '2026-11-24T11:59:30.000Z',
  reader: 'ready',
  indicators: null,
  screen: 'idle',
  rejected: 0,
  cards: 5,
  ...over,
});

test('online, nothing queued', (t) => {
  t.is(
    formatStatus(snap({}), now),
    [
      'terminal   kasse-1',
      'state      online',
      'queue      empty: the ledger has answered everything',
      'last sync  connected to the broker now',
      'reader     ready',
      'lights     LEDs and buzzer ready',
      'screen     idle',
      'cards      5 cached',
      'rejected   0 inbound message(s) broke the contract',
    ].join('\n'),
  );
});

test('offline with a queue and the reader unplugged: how long ago, and what waits', (t) => {
  const text = formatStatus(
    snap({ online: false, queue: 3, lastOnlineAt: '2026-11-24T09:55:00.000Z', reader: 'unplugged' }),
    now,
  );
  t.regex(text, /^state {6}OFFLINE \(selling within the offline limits\)$/m);
  t.regex(text, /^queue {6}3 sale\(s\)\/void\(s\) waiting for the ledger's answer$/m);
  t.regex(text, /^last sync {2}offline; last connected 2 h 5 min ago \(2026-11-24T09:55:00\.000Z\)$/m);
  t.regex(text, /^reader {5}UNPLUGGED or not found$/m);
  t.regex(
    formatStatus(snap({ online: false, lastOnlineAt: null }), now),
    /^last sync {2}never connected to the broker$/m,
  );
});

test('missing LEDs and buzzer: where the feedback goes instead, and why', (t) => {
  const problem = 'the gpiod tools are not installed (no gpioset): apt-get install gpiod';
  t.regex(
    formatStatus(snap({ indicators: { problem, fallback: 'reader' } }), now),
    /^lights {5}LEDs and buzzer MISSING, feedback on the screen and the reader's LED and beeper: the gpiod tools are not installed \(no gpioset\): apt-get install gpiod$/m,
  );
  t.regex(
    formatStatus(snap({ indicators: { problem, fallback: 'screen' } }), now),
    /^lights {5}LEDs and buzzer MISSING, feedback on the screen only: /m,
  );
});

test('ages read naturally', (t) => {
  t.deepEqual([0, 4_000, 45_000, 12 * 60_000, 3 * 3600_000, 50 * 3600_000].map(formatAge), [
    'now',
    'now',
    '45 s',
    '12 min',
    '3 h',
    '2 d 2 h',
  ]);
});
