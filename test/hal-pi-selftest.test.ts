// The selftest over fake devices: what it drives, what it prints, when it passes.
import test from 'ava';
import { TypedEmitter } from '../hal/emitter.ts';
import type { CardReader, CardReaderEvents, Indicators, IndicatorState } from '../hal/types.ts';
import { runSelftest, type SelftestDeps } from '../firmware/cli/selftest.ts';

class FakeReader extends TypedEmitter<CardReaderEvents> implements CardReader {
  attached = true;
  get status() { return this.attached ? 'ready' as const : 'unplugged' as const; }
  async start() {}
  async stop() {}
  tap(uid: string) { this.emit('card', { uid, sun: null }); }
  fail(message: string) { this.emit('error', new Error(message)); }
}

class RecordingIndicators implements Indicators {
  shown: IndicatorState[] = [];
  async start() {}
  async stop() {}
  show(state: IndicatorState) { this.shown.push(state); }
}

function setup(over: Partial<SelftestDeps> = {}) {
  const reader = new FakeReader();
  const indicators = new RecordingIndicators();
  const lines: string[] = [];
  const deps: SelftestDeps = {
    reader,
    indicators,
    displaySize: () => ({ cols: 80, rows: 24 }),
    checkBroker: async () => null,
    out: (line) => {
      lines.push(line);
      // A technician taps as soon as asked.
      if (line.startsWith('tap a card')) setImmediate(() => reader.tap('04A1B2C3D4E5F6'));
    },
    sleep: async () => undefined,
    ...over,
  };
  return { deps, reader, indicators, lines, table: () => lines.slice(lines.indexOf('') + 1) };
}

test('all devices fine: every check passes and the UID is printed masked', async (t) => {
  const s = setup();
  t.true(await runSelftest(s.deps));
  t.deepEqual(s.table(), [
    'LED green    PASS  driven: check it lit',
    'LED red      PASS  driven: check it lit',
    'LED yellow   PASS  driven: check it lit',
    'buzzer       PASS  driven: check it beeped twice',
    'card reader  PASS  card **********E5F6',
    'display      PASS  80×24',
    'broker       PASS  connected',
    'selftest passed',
  ]);
  t.false(s.lines.some((l) => l.includes('04A1B2C3D4E5F6')));
  t.deepEqual(s.indicators.shown.map((x) => `${x.led}/${x.buzzer}`), ['green/null', 'red/null', 'yellow/null', 'off/approve', 'green/tap', 'off/null']);
});

test('no card within the wait, a small display and no broker: fails, saying why', async (t) => {
  const s = setup({
    waitCardMs: 20,
    displaySize: () => ({ cols: 40, rows: 12 }),
    checkBroker: async () => 'connection refused (mqtt://localhost:1883)',
  });
  s.deps.out = (line) => s.lines.push(line);
  s.reader.attached = false;
  t.false(await runSelftest(s.deps));
  const table = s.table();
  t.is(table.find((l) => l.startsWith('card reader')), 'card reader  FAIL  no card within 0.02 s, no reader attached');
  t.is(table.find((l) => l.startsWith('display')), 'display      FAIL  40×12, at least 60×20 needed');
  t.is(table.find((l) => l.startsWith('broker')), 'broker       FAIL  connection refused (mqtt://localhost:1883)');
  t.is(table.at(-1), 'selftest failed: 3 of 7 checks');
});

test('a failed read is shown and the wait goes on until a good tap', async (t) => {
  const s = setup();
  s.deps.out = (line) => {
    s.lines.push(line);
    if (line.startsWith('tap a card')) setImmediate(() => s.reader.fail('card left the field during the read'));
    if (line.startsWith('read failed')) setImmediate(() => s.reader.tap('DEADBEEF'));
  };
  t.true(await runSelftest(s.deps));
  t.true(s.lines.includes('read failed (card left the field during the read): tap again'));
  t.is(s.table().find((l) => l.startsWith('card reader')), 'card reader  PASS  card ****BEEF');
});

test('a device that throws fails its check without stopping the others; no terminal fails the display', async (t) => {
  const s = setup({ displaySize: () => null, checkBroker: () => Promise.reject(new Error('ENOTFOUND broker.local')) });
  s.indicators.show = () => { throw new Error('EIO: i/o error, write'); };
  t.false(await runSelftest(s.deps));
  const table = s.table();
  t.is(table[0], 'LED green    FAIL  EIO: i/o error, write');
  t.is(table.find((l) => l.startsWith('display')), 'display      FAIL  no terminal to draw on');
  t.is(table.find((l) => l.startsWith('broker')), 'broker       FAIL  ENOTFOUND broker.local');
});
