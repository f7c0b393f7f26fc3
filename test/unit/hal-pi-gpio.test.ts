// GPIO pins and indicators against fakes of onoff and rpi-gpio that model their documented
// behaviour (sysfs line numbers, initial direction, thrown errors), on a manual clock.
import test from 'ava';
import { EventEmitter } from 'node:events';
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  checkGpio,
  openOutputPins,
  resolveGpioBase,
  type OnoffModule,
  type RpiGpioModule,
} from '../../hal/pi/gpio/gpio.ts';
import { GpioIndicators, switchOffOnExit } from '../../hal/pi/gpio/gpio-indicators.ts';
import { PiHardwareConfig } from '../../hal/pi/config/config.ts';
import { PiHardwareError } from '../../lib/load-optional.ts';
import { ManualTimers } from '../helpers/manual-timers.ts';

const roots: string[] = [];
test.after.always(() => Promise.all(roots.map((r) => rm(r, { recursive: true, force: true }))));

/** A sysfs GPIO directory with the given chips, as the kernel lays it out. */
async function sysfs(chips: { base: number; label: string; ngpio: number }[]): Promise<string> {
  const root = await mkdtemp(join(tmpdir(), 'klubkort-gpio-'));
  roots.push(root);
  await writeFile(join(root, 'export'), '');
  for (const c of chips) {
    const dir = join(root, `gpiochip${c.base}`);
    await mkdir(dir);
    await writeFile(join(dir, 'base'), `${c.base}\n`);
    await writeFile(join(dir, 'label'), `${c.label}\n`);
    await writeFile(join(dir, 'ngpio'), `${c.ngpio}\n`);
  }
  return root;
}
const PI4_KERNEL_66 = [
  { base: 512, label: 'pinctrl-bcm2711', ngpio: 58 },
  { base: 570, label: 'raspberrypi-exp-gpio', ngpio: 8 },
];
const PI5 = [
  { base: 512, label: 'gpio-brcmstb@107d508500', ngpio: 32 },
  { base: 544, label: 'gpio-brcmstb@107d517c00', ngpio: 27 },
  { base: 571, label: 'pinctrl-rp1', ngpio: 54 },
];
const PI3_OLD_KERNEL = [{ base: 0, label: 'pinctrl-bcm2835', ngpio: 54 }];

/** onoff's Gpio over a pretend sysfs: the physical level of every exported line. */
function fakeOnoff(accessible = true) {
  const level = new Map<number, 0 | 1>();
  const unexported: number[] = [];
  class Gpio {
    static accessible = accessible;
    constructor(
      readonly gpio: number,
      direction: 'high' | 'low',
    ) {
      if (!accessible)
        throw Object.assign(new Error("ENOENT: no such file or directory, open '/sys/class/gpio/export'"), {
          code: 'ENOENT',
        });
      level.set(gpio, direction === 'high' ? 1 : 0);
    }
    writeSync(value: 0 | 1) {
      level.set(this.gpio, value);
    }
    unexport() {
      unexported.push(this.gpio);
    }
  }
  const mod: OnoffModule = { Gpio };
  return { onoff: async () => mod, level, unexported };
}

/** rpi-gpio's shared instance: setup, async writes, destroy. */
function fakeRpiGpio(setupError?: string) {
  const log: string[] = [];
  const mod: RpiGpioModule = {
    MODE_BCM: 'mode_bcm',
    DIR_HIGH: 'high',
    DIR_LOW: 'low',
    setMode: (m) => {
      log.push(`mode ${m}`);
    },
    promise: {
      setup: async (ch, dir) => {
        if (setupError) throw new Error(setupError);
        log.push(`setup ${ch} ${dir}`);
      },
      write: async (ch, v) => {
        log.push(`write ${ch} ${v}`);
      },
      read: async () => false,
      destroy: async () => {
        log.push('destroy');
      },
    },
  };
  return { rpiGpio: async () => mod, log };
}

const pins = PiHardwareConfig.parse({}).gpio.pins;
const flush = () => new Promise<void>((r) => setImmediate(r));

test('the GPIO base is read from the header chip: 512 on Pi 4 / kernel 6.6, 571 on Pi 5, 0 before', async (t) => {
  t.is(await resolveGpioBase(512), 512);
  t.is(await resolveGpioBase('auto', await sysfs(PI4_KERNEL_66)), 512);
  t.is(await resolveGpioBase('auto', await sysfs(PI5)), 571);
  t.is(await resolveGpioBase('auto', await sysfs(PI3_OLD_KERNEL)), 0);
  t.is(
    await resolveGpioBase('auto', await sysfs([{ base: 100, label: 'some-gpio', ngpio: 40 }])),
    100,
    'a lone chip is the one',
  );
  await t.throwsAsync(
    resolveGpioBase(
      'auto',
      await sysfs([
        { base: 0, label: 'a', ngpio: 8 },
        { base: 8, label: 'b', ngpio: 8 },
      ]),
    ),
    {
      instanceOf: PiHardwareError,
      message: /cannot tell which GPIO chip.*gpiochip0 "a".*set gpio\.base/,
    },
  );
  await t.throwsAsync(resolveGpioBase('auto', '/nonexistent/gpio'), {
    message:
      /^GPIO not accessible: not a Raspberry Pi or user not in group gpio \(no \/nonexistent\/gpio: a kernel without GPIO sysfs, e\.g\. Raspberry Pi OS Trixie; set pi\.gpio\.driver to "auto" or "gpiod"\)$/,
  });
});

test('onoff: pins are BCM numbers plus the base, opened as outputs already off', async (t) => {
  const fake = fakeOnoff();
  const out = await openOutputPins(
    { led: { pin: 17, activeLow: false }, lamp: { pin: 27, activeLow: true } },
    {
      driver: 'onoff',
      base: 'auto',
      sysfsRoot: await sysfs(PI4_KERNEL_66),
      modules: { onoff: fake.onoff },
    },
  );
  t.deepEqual(
    [...fake.level],
    [
      [529, 0],
      [539, 1],
    ],
  );
  out.led.write(true);
  out.lamp.write(true);
  t.deepEqual(
    [...fake.level],
    [
      [529, 1],
      [539, 0],
    ],
    'active-low: on is low',
  );
  out.led.close();
  out.lamp.close();
  t.deepEqual(
    [...fake.level],
    [
      [529, 0],
      [539, 1],
    ],
    'closed pins are left off',
  );
  t.deepEqual(fake.unexported, [529, 539]);
  out.led.write(true);
  t.is(fake.level.get(529), 0, 'a closed pin ignores writes');
});

test('onoff off a Raspberry Pi: a clear message instead of ENOENT', async (t) => {
  const opts = { driver: 'onoff' as const, base: 0, modules: { onoff: fakeOnoff(false).onoff } };
  await t.throwsAsync(openOutputPins(pins, opts), {
    instanceOf: PiHardwareError,
    message: /^GPIO not accessible: not a Raspberry Pi or user not in group gpio/,
  });
  t.regex((await checkGpio(opts)) ?? '', /^GPIO not accessible/);
  t.is(await checkGpio({ ...opts, modules: { onoff: fakeOnoff().onoff } }), null);
});

test('a pin that cannot be opened closes the ones already opened', async (t) => {
  const fake = fakeOnoff();
  const { Gpio } = await fake.onoff();
  const flaky: OnoffModule = {
    Gpio: class extends Gpio {
      constructor(gpio: number, dir: 'high' | 'low') {
        if (gpio === 22) throw new Error('EBUSY: resource busy or locked');
        super(gpio, dir);
      }
    },
  };
  await t.throwsAsync(openOutputPins(pins, { driver: 'onoff', base: 0, modules: { onoff: async () => flaky } }), {
    message: /GPIO line 22 could not be opened \(EBUSY/,
  });
  t.deepEqual(fake.unexported, [17, 27]);
});

test('rpi-gpio: BCM mode, outputs set up off, writes in order, destroy after the last close', async (t) => {
  const fake = fakeRpiGpio();
  const out = await openOutputPins(
    { a: { pin: 17, activeLow: false }, b: { pin: 27, activeLow: true } },
    {
      driver: 'rpi-gpio',
      base: 'auto',
      sysfsRoot: await sysfs(PI3_OLD_KERNEL),
      modules: { rpiGpio: fake.rpiGpio },
    },
  );
  out.a.write(true);
  out.a.write(false);
  out.b.write(true);
  out.a.close();
  out.b.close();
  await flush();
  t.deepEqual(fake.log, [
    'mode mode_bcm',
    'setup 17 low',
    'setup 27 high',
    'write 17 true',
    'write 17 false',
    'write 27 false',
    'write 17 false',
    'write 27 true',
    'destroy',
  ]);
});

test('rpi-gpio cannot use a GPIO base and says so; its cpuinfo error is reported', async (t) => {
  const root = await sysfs(PI4_KERNEL_66);
  await t.throwsAsync(
    openOutputPins(pins, {
      driver: 'rpi-gpio',
      base: 'auto',
      sysfsRoot: root,
      modules: { rpiGpio: fakeRpiGpio().rpiGpio },
    }),
    {
      message:
        'rpi-gpio cannot drive GPIO lines numbered from 512 (kernel 6.6 and later): it exports BCM numbers unchanged, which only works where the base is 0; set pi.gpio.driver to "auto" (or "gpiod", "onoff")',
    },
  );
  const old = await sysfs(PI3_OLD_KERNEL);
  await t.throwsAsync(
    openOutputPins(pins, {
      driver: 'rpi-gpio',
      base: 0,
      sysfsRoot: old,
      modules: { rpiGpio: fakeRpiGpio('Unable to match Revision in /proc/cpuinfo: processor : 0').rpiGpio },
    }),
    {
      message:
        /^rpi-gpio could not set up GPIO 17 \(Unable to match Revision in \/proc\/cpuinfo.*\): GPIO not accessible/,
    },
  );
});

test('a GPIO library that fails to load names the fix', async (t) => {
  const missing = async (): Promise<OnoffModule> => {
    throw Object.assign(new Error("Cannot find package 'onoff' imported from /x.ts"), { code: 'ERR_MODULE_NOT_FOUND' });
  };
  t.is(
    await checkGpio({ driver: 'onoff', base: 0, modules: { onoff: missing } }),
    'onoff is not installed: apt-get install build-essential && npm install',
  );
  const broken = async (): Promise<OnoffModule> => {
    throw new Error('Could not locate the bindings file. Tried:\n → /x/epoll.node');
  };
  t.is(
    await checkGpio({ driver: 'onoff', base: 0, modules: { onoff: broken } }),
    'onoff could not be loaded (Could not locate the bindings file. Tried:): apt-get install build-essential && npm rebuild epoll',
  );
});

// --- indicators ---

async function indicators(activeLow = false) {
  const fake = fakeOnoff();
  const timers = new ManualTimers();
  const cfg = PiHardwareConfig.parse({ gpio: { base: 512, pins: { buzzer: { pin: 23, activeLow } } } }).gpio;
  const ind = new GpioIndicators({
    open: () => openOutputPins(cfg.pins, { driver: 'onoff', base: cfg.base, modules: { onoff: fake.onoff } }),
    timers,
  });
  await ind.start();
  const lit = () => ({
    green: fake.level.get(529) === 1,
    red: fake.level.get(539) === 1,
    yellow: fake.level.get(534) === 1,
    buzzer: fake.level.get(535) === (activeLow ? 0 : 1),
  });
  /** Buzzer on/off over time: [ms since the call, on] at every change. */
  const trace = (run: () => void, ms: number) => {
    const t0 = timers.now;
    const out: [number, boolean][] = [[0, lit().buzzer]];
    run();
    out[0][1] = lit().buzzer;
    for (let i = 0; i < ms; i += 10) {
      timers.advance(10);
      const on = lit().buzzer;
      if (on !== out[out.length - 1][1]) out.push([timers.now - t0, on]);
    }
    return out;
  };
  return { ind, fake, timers, lit, trace };
}

test('one LED at a time', async (t) => {
  const { ind, lit } = await indicators();
  ind.show({ led: 'green', buzzer: null });
  t.deepEqual(lit(), { green: true, red: false, yellow: false, buzzer: false });
  ind.show({ led: 'red', buzzer: null });
  t.deepEqual(lit(), { green: false, red: true, yellow: false, buzzer: false });
  ind.show({ led: 'off', buzzer: null });
  t.deepEqual(lit(), { green: false, red: false, yellow: false, buzzer: false });
});

test('buzzer patterns: tap short, approve two short, decline one long, error three short', async (t) => {
  const { ind, trace, timers } = await indicators();
  t.deepEqual(
    trace(() => ind.show({ led: 'yellow', buzzer: 'tap' }), 2000),
    [
      [0, true],
      [60, false],
    ],
  );
  t.deepEqual(
    trace(() => ind.show({ led: 'green', buzzer: 'approve' }), 2000),
    [
      [0, true],
      [80, false],
      [160, true],
      [240, false],
    ],
  );
  t.deepEqual(
    trace(() => ind.show({ led: 'red', buzzer: 'decline' }), 2000),
    [
      [0, true],
      [700, false],
    ],
  );
  t.deepEqual(
    trace(() => ind.show({ led: 'red', buzzer: 'error' }), 2000),
    [
      [0, true],
      [80, false],
      [160, true],
      [240, false],
      [320, true],
      [400, false],
    ],
  );
  t.is(timers.pending, 0);
});

test('an active-low buzzer plays the same pattern', async (t) => {
  const { ind, trace, fake } = await indicators(true);
  t.is(fake.level.get(535), 1, 'off at start is high');
  t.deepEqual(
    trace(() => ind.show({ led: 'green', buzzer: 'approve' }), 1000),
    [
      [0, true],
      [80, false],
      [160, true],
      [240, false],
    ],
  );
});

test('show() returns at once, and a new show() cancels a running pattern', async (t) => {
  const { ind, trace, timers, lit } = await indicators();
  ind.show({ led: 'red', buzzer: 'decline' });
  timers.advance(300);
  t.true(lit().buzzer);
  t.deepEqual(
    trace(() => ind.show({ led: 'green', buzzer: 'approve' }), 2000),
    [
      [0, true],
      [80, false],
      [160, true],
      [240, false],
    ],
  );
  ind.show({ led: 'red', buzzer: 'error' });
  timers.advance(100);
  ind.show({ led: 'off', buzzer: null });
  t.deepEqual(lit(), { green: false, red: false, yellow: false, buzzer: false });
  t.is(timers.pending, 0);
});

test('stop() leaves every LED and the buzzer off and releases the pins; safe twice', async (t) => {
  const { ind, fake, lit, timers } = await indicators(true);
  ind.show({ led: 'yellow', buzzer: 'decline' });
  await ind.stop();
  t.deepEqual(lit(), { green: false, red: false, yellow: false, buzzer: false });
  t.deepEqual(fake.unexported.sort(), [529, 534, 535, 539]);
  t.is(timers.pending, 0);
  await ind.stop();
  ind.show({ led: 'green', buzzer: 'tap' });
  t.false(lit().green, 'show after stop does nothing');
});

test('the exit hook switches everything off; it can be removed', async (t) => {
  const { ind, lit } = await indicators();
  const proc = new EventEmitter();
  const unhook = switchOffOnExit(ind, proc as unknown as NodeJS.Process);
  ind.show({ led: 'green', buzzer: 'decline' });
  proc.emit('exit', 0);
  t.deepEqual(lit(), { green: false, red: false, yellow: false, buzzer: false });
  ind.show({ led: 'green', buzzer: null });
  unhook();
  proc.emit('exit', 0);
  t.true(lit().green);
  t.is(proc.listenerCount('exit'), 0);
});

test('a failing pin write is logged, not thrown into the sale', async (t) => {
  const fail = () => {
    throw new Error('EIO: i/o error, write');
  };
  const failing = { write: fail, writeSync: fail, close: () => undefined };
  const ind = new GpioIndicators({
    open: async () => ({ green: failing, red: failing, yellow: failing, buzzer: failing }),
    timers: new ManualTimers(),
  });
  await ind.start();
  t.notThrows(() => ind.show({ led: 'green', buzzer: 'tap' }));
  await t.notThrowsAsync(ind.stop());
});
