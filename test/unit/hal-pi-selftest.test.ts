// The selftest over fake devices: what it drives, what it prints, when it passes.
import test from 'ava';
import { TypedEmitter } from '../../lib/emitter.ts';
import type { CardReader, CardReaderEvents, Indicators, IndicatorState } from '../../hal/types.ts';
import { runSelftest, type SelftestDeps } from '../../firmware/cli/selftest.ts';
import { systemChecks, type SystemProbes } from '../../firmware/cli/selftest-system.ts';
import { systemTimers } from '../../lib/timers.ts';

class FakeReader extends TypedEmitter<CardReaderEvents> implements CardReader {
  attached = true;
  get status() {
    return this.attached ? ('ready' as const) : ('unplugged' as const);
  }
  async start() {}
  async stop() {}
  tap(uid: string) {
    this.emit('card', { uid, sun: null });
  }
  fail(message: string) {
    this.emit('error', new Error(message));
  }
}

class RecordingIndicators implements Indicators {
  shown: IndicatorState[] = [];
  async start() {}
  async stop() {}
  show(state: IndicatorState) {
    this.shown.push(state);
  }
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
    timers: systemTimers,
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
  t.deepEqual(
    s.indicators.shown.map((x) => `${x.led}/${x.buzzer}`),
    ['green/null', 'red/null', 'yellow/null', 'off/approve', 'green/tap', 'off/null'],
  );
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
  t.is(
    table.find((l) => l.startsWith('card reader')),
    'card reader  FAIL  no card within 0.02 s, no reader attached',
  );
  t.is(
    table.find((l) => l.startsWith('display')),
    'display      FAIL  40×12, at least 60×20 needed',
  );
  t.is(
    table.find((l) => l.startsWith('broker')),
    'broker       FAIL  connection refused (mqtt://localhost:1883)',
  );
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
  t.is(
    s.table().find((l) => l.startsWith('card reader')),
    'card reader  PASS  card ****BEEF',
  );
});

test('a device that throws fails its check without stopping the others; no terminal fails the display', async (t) => {
  const s = setup({ displaySize: () => null, checkBroker: () => Promise.reject(new Error('ENOTFOUND broker.local')) });
  s.indicators.show = () => {
    throw new Error('EIO: i/o error, write');
  };
  t.false(await runSelftest(s.deps));
  const table = s.table();
  t.is(table[0], 'LED green    FAIL  EIO: i/o error, write');
  t.is(
    table.find((l) => l.startsWith('display')),
    'display      FAIL  no terminal to draw on',
  );
  t.is(
    table.find((l) => l.startsWith('broker')),
    'broker       FAIL  ENOTFOUND broker.local',
  );
});

test("missing LEDs and buzzer fail their checks with the driver's reason and where feedback goes meanwhile", async (t) => {
  const s = setup();
  Object.assign(s.indicators, {
    fault: { problem: 'the gpiod tools are not installed (no gpioset): apt-get install gpiod', fallback: 'reader' },
  });
  t.false(await runSelftest(s.deps));
  const table = s.table();
  t.is(
    table[0],
    'LED green    FAIL  not driven: the gpiod tools are not installed (no gpioset): apt-get install gpiod',
  );
  t.regex(table.find((l) => l.startsWith('buzzer'))!, /^buzzer {7}FAIL {2}not driven: /);
  t.true(
    table.includes(
      'fix LED green: feedback goes to the reader\'s LED and beeper meanwhile; see docs/hardware.md "GPIO drivers"',
    ),
  );
  t.true(
    table.includes(
      'fix buzzer: feedback goes to the reader\'s LED and beeper meanwhile; see docs/hardware.md "GPIO drivers"',
    ),
  );
  t.is(table.at(-1), 'selftest failed: 4 of 7 checks');
});

test('the Pi set-up: journal storage, console level, hardware watchdog, boot target, each failure with its fix', async (t) => {
  const good: SystemProbes = {
    storage: () => null,
    printk: async () => '1\t4\t1\t7\n',
    systemctl: async (a) => (a[0] === 'get-default' ? 'multi-user.target' : '15s'),
  };
  t.deepEqual(
    (await systemChecks('/var/lib/klubkort', good)).map((c) => [c.name, c.ok]),
    [
      ['journal storage', true],
      ['console messages', true],
      ['hardware watchdog', true],
      ['boot target', true],
    ],
  );
  const bad: SystemProbes = {
    storage: () => '/var/lib/klubkort is on a tmpfs (mounted at /var/lib/klubkort), which lives in RAM',
    printk: async () => '4\t4\t1\t7\n',
    systemctl: async (a) => (a[0] === 'get-default' ? 'graphical.target' : '0'),
  };
  const s = setup({ systemChecks: () => systemChecks('/var/lib/klubkort', bad) });
  t.false(await runSelftest(s.deps));
  const table = s.table();
  for (const l of [
    'journal storage    FAIL  /var/lib/klubkort is on a tmpfs (mounted at /var/lib/klubkort), which lives in RAM',
    'console messages   FAIL  kernel console level 4: the under-voltage warning would print over the sale',
    'hardware watchdog  FAIL  off (RuntimeWatchdogSec unset)',
    'boot target        FAIL  graphical.target: a display manager may cover tty1',
    'fix journal storage: put the data directory on a writable partition that the overlay does not cover (docs/deploy.md, "Read-only root")',
    'fix console messages: /etc/sysctl.d/90-klubkort-console.conf (kernel.printk = 1 4 1 7), then sudo sysctl --system; sudo systemd/install.sh (from the checkout) installs it',
    'fix hardware watchdog: /etc/systemd/system.conf.d/klubkort-watchdog.conf, then sudo systemctl daemon-reexec; sudo systemd/install.sh (from the checkout) installs it',
    'fix boot target: sudo systemctl set-default multi-user.target && sudo reboot',
  ])
    t.true(table.includes(l), l);
  t.true(table.includes('selftest failed: 4 of 11 checks'));
});

test('the display check fails when the photo cannot be shown (8 colours, no pixel path), and says why', async (t) => {
  const { photoPathCheck } = await import('../../firmware/ui/photo/photo-output.ts');
  const { DisplayConfig } = await import('../../firmware/config/schema.ts');
  const cfg = DisplayConfig.parse({ framebuffer: { device: '/nonexistent/fb0', sysfs: '/nonexistent/sys' } });
  const none = { sixel: false, cell: null, colorRegisters: null };
  const s = setup({ photoPath: () => photoPathCheck(cfg, 8, async () => none, 'linux') });
  t.false(await runSelftest(s.deps));
  const line = s.table().find((l) => l.startsWith('display'))!;
  t.regex(
    line,
    /^display {6}FAIL {2}80×24; photo: cannot be shown: .*does not report sixel.*framebuffer \/nonexistent\/fb0.*8 colours/,
  );
  // A sixel terminal that gives its cell size passes; so do half blocks in 256 colours.
  const sixel = setup({
    photoPath: () =>
      photoPathCheck(cfg, 256, async () => ({ sixel: true, cell: { w: 10, h: 20 }, colorRegisters: 256 }), 'foot'),
  });
  t.true(await runSelftest(sixel.deps));
  t.true(sixel.table().includes('display      PASS  80×24; photo: sixel, cells of 10×20 px'));
  const cells = setup({ photoPath: () => photoPathCheck(cfg, 256, async () => none, 'xterm-256color') });
  t.true(await runSelftest(cells.deps));
});
