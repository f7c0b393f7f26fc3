// The GPIO character-device driver against a fake of libgpiod 1.6's and 2.x's tools (as on
// Bookworm and Trixie) on Pi 4 and Pi 5 chip layouts, and the hold script (sh). The real Debian
// gpiod tools: test/system/hal-pi-gpiod-debian.test.ts.
import test from 'ava';
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chooseGpioDriver, openOutputPins, type GpioOptions } from '../../hal/pi/gpio/gpio.ts';
import { HOLD_SCRIPT, probeGpiod, systemGpiodRunner } from '../../hal/pi/gpio/gpio-gpiod.ts';
import { GpioIndicators, switchOffOnExit } from '../../hal/pi/gpio/gpio-indicators.ts';
import { PiHardwareConfig } from '../../hal/pi/config/config.ts';
import { EventEmitter } from 'node:events';
import { fakeGpiod, PI4_CHIPS, PI5_CHIPS_61, PI5_CHIPS_66, type FakeGpiodOptions } from '../helpers/fake-gpiod.ts';
import { until } from '../helpers/until.ts';

const roots: string[] = [];
test.after.always(() => Promise.all(roots.map((r) => rm(r, { recursive: true, force: true }))));

/** A /dev with the given gpiochip nodes (plain files: only their names are looked at). */
async function devRoot(chips: number[]): Promise<string> {
  const root = await mkdtemp(join(tmpdir(), 'klubkort-dev-'));
  roots.push(root);
  for (const n of chips) await writeFile(join(root, `gpiochip${n}`), '');
  return root;
}
/** A /sys/class/gpio that is not there (Trixie's kernel). */
const NO_SYSFS = '/nonexistent/sys/class/gpio';

const pins = PiHardwareConfig.parse({}).gpio.pins;
async function setup(o: FakeGpiodOptions, over: Partial<GpioOptions> = {}) {
  const fake = fakeGpiod(o);
  const opts: GpioOptions = {
    driver: 'auto',
    base: 'auto',
    sysfsRoot: NO_SYSFS,
    gpiod: fake.runner,
    devRoot: await devRoot([0, 1, 4]),
    ...over,
  };
  return { fake, opts };
}
const lit = (fake: ReturnType<typeof fakeGpiod>) => ({
  green: fake.level('GPIO17'),
  red: fake.level('GPIO27'),
  yellow: fake.level('GPIO22'),
  buzzer: fake.level('GPIO23'),
});
const settled = (fake: ReturnType<typeof fakeGpiod>, want: Record<string, 0 | 1>) =>
  until(
    () => JSON.stringify(lit(fake)) === JSON.stringify(want),
    `levels ${JSON.stringify(want)}, have ${JSON.stringify(lit(fake))}`,
    3000,
  );

test('"auto" takes onoff where /sys/class/gpio exists and the character device where it does not', async (t) => {
  const sysfs = await mkdtemp(join(tmpdir(), 'klubkort-sysfs-'));
  roots.push(sysfs);
  await writeFile(join(sysfs, 'export'), '');
  t.is(await chooseGpioDriver('auto', sysfs), 'onoff');
  t.is(await chooseGpioDriver('auto', NO_SYSFS), 'gpiod');
  t.is(await chooseGpioDriver('rpi-gpio', NO_SYSFS), 'rpi-gpio', 'an explicit choice stands');
  t.is(PiHardwareConfig.parse({}).gpio.driver, 'auto');
});

test('the tools tell their libgpiod version apart: 1.6 (Bookworm) and 2.x (Trixie)', async (t) => {
  t.deepEqual(await probeGpiod(fakeGpiod({ major: 1, chips: PI4_CHIPS }).runner), {
    major: 1,
    version: '1.6.3',
    banner: false,
  });
  t.deepEqual(await probeGpiod(fakeGpiod({ major: 2, chips: PI4_CHIPS }).runner), {
    major: 2,
    version: '2.2.1',
    banner: true,
  });
  await t.throwsAsync(probeGpiod(fakeGpiod({ major: 2, chips: PI4_CHIPS, installed: false }).runner), {
    message: 'the gpiod tools are not installed (no gpioset): apt-get install gpiod',
  });
});

for (const [label, o] of [
  ['libgpiod 1.6, Pi 4', { major: 1, chips: PI4_CHIPS }],
  ['libgpiod 2.x, Pi 4', { major: 2, chips: PI4_CHIPS }],
  ['libgpiod 1.6, Pi 5 on kernel 6.1 (header = gpiochip4)', { major: 1, chips: PI5_CHIPS_61 }],
  ['libgpiod 2.x, Pi 5 on kernel 6.6+ (header = gpiochip0)', { major: 2, chips: PI5_CHIPS_66 }],
] as [string, FakeGpiodOptions][]) {
  test(`${label}: lines are found by name, held off from the start, set, and released off`, async (t) => {
    const { fake, opts } = await setup(o);
    const out = await openOutputPins({ ...pins, red: { pin: 27, activeLow: true } }, opts);
    t.deepEqual(lit(fake), { green: 0, red: 1, yellow: 0, buzzer: 0 }, 'off at once; active-low off is high');
    t.is(fake.holders(), 1, 'one gpioset holds the chip');
    const header = o.chips.find((c) => c.lines[17] === 'GPIO17')!.name;
    const hold = fake.holds().at(-1)!;
    t.is(
      hold,
      o.major === 1
        ? `hold gpioset --mode=signal ${header} 17=0 27=1 22=0 23=0`
        : `hold gpioset --banner --consumer klubkort --chip ${header} 17=0 27=1 22=0 23=0`,
    );
    out.green.write(true);
    out.red.write(true);
    await settled(fake, { green: 1, red: 0, yellow: 0, buzzer: 0 });
    for (const p of Object.values(out)) p.close();
    await settled(fake, { green: 0, red: 1, yellow: 0, buzzer: 0 });
    await until(() => fake.holders() === 0, 'lines released');
    t.regex(fake.calls.at(-1)!, / 17=0 27=1 22=0 23=0$/, 'left off by a one-shot gpioset');
  });
}

test('a burst of writes coalesces: the last state wins, without one gpioset per write', async (t) => {
  const { fake, opts } = await setup({ major: 1, chips: PI4_CHIPS });
  const out = await openOutputPins(pins, opts);
  const before = fake.holds().length;
  for (let i = 0; i < 20; i++) out.buzzer.write(i % 2 === 0);
  out.yellow.write(true);
  await settled(fake, { green: 0, red: 0, yellow: 1, buzzer: 0 });
  // The levels can read right while a last restart is still between its kill and its spawn.
  await until(() => fake.holders() === 1, 'one gpioset holding the lines', 3000);
  t.deepEqual(lit(fake), { green: 0, red: 0, yellow: 1, buzzer: 0 });
  t.true(fake.holds().length - before <= 3, `${fake.holds().length - before} restarts for 21 writes`);
});

test('the exit hook leaves every line off synchronously, with a one-shot gpioset', async (t) => {
  for (const major of [1, 2] as const) {
    const { fake, opts } = await setup({ major, chips: PI4_CHIPS });
    const cfg = PiHardwareConfig.parse({}).gpio;
    const ind = new GpioIndicators({ open: () => openOutputPins(cfg.pins, opts) });
    await ind.start();
    ind.show({ led: 'green', buzzer: null });
    await settled(fake, { green: 1, red: 0, yellow: 0, buzzer: 0 });
    const proc = new EventEmitter();
    switchOffOnExit(ind, proc as unknown as NodeJS.Process);
    ind.show({ led: 'red', buzzer: 'decline' });
    proc.emit('exit', 1);
    t.deepEqual(lit(fake), { green: 0, red: 0, yellow: 0, buzzer: 0 }, `v${major}: off before the hook returned`);
    t.is(fake.holders(), 0);
    t.regex(
      fake.calls.filter((c) => c.startsWith('sync ')).at(-1)!,
      major === 1 ? /^sync gpioset --mode=exit gpiochip0 17=0/ : /^sync gpioset -t 0 --chip gpiochip0 17=0/,
    );
    await ind.stop();
  }
});

test('errors name the fix: no chip, no tools, no access, the DevicePolicy, a busy line, a missing line', async (t) => {
  const message = async (o: FakeGpiodOptions, over: Partial<GpioOptions> = {}) => {
    const s = await setup(o, over);
    const err = await t.throwsAsync(openOutputPins(pins, s.opts));
    await until(() => s.fake.holders() === 0, 'nothing left holding lines');
    return err?.message;
  };
  const empty = await devRoot([]);
  t.is(
    await message({ major: 2, chips: PI4_CHIPS }, { devRoot: empty }),
    `GPIO not accessible: not a Raspberry Pi or user not in group gpio (no GPIO character device ${empty}/gpiochip*)`,
  );
  t.is(
    await message({ major: 2, chips: PI4_CHIPS, installed: false }),
    'the gpiod tools are not installed (no gpioset): apt-get install gpiod',
  );
  t.is(
    await message({ major: 1, chips: PI4_CHIPS, deny: 'EACCES' }),
    'GPIO not accessible: not a Raspberry Pi or user not in group gpio (GPIO17: unable to access GPIO chips: Permission denied): /dev/gpiochip* must belong to group gpio (systemd/60-klubkort-gpio.rules)',
  );
  t.is(
    await message({ major: 2, chips: PI4_CHIPS, deny: 'EPERM' }),
    "GPIO17: unable to open chip '/dev/gpiochip0': Operation not permitted: the service's DevicePolicy forbids the GPIO chip; klubkort.service needs DeviceAllow=char-gpiochip rw",
  );
  const busy = fakeGpiod({ major: 2, chips: PI4_CHIPS });
  busy.occupy('GPIO22');
  const s = await setup({ major: 2, chips: PI4_CHIPS });
  const err = await t.throwsAsync(openOutputPins(pins, { ...s.opts, gpiod: busy.runner }));
  t.is(
    err?.message,
    "GPIO22 is in use by another program (unable to request lines on chip '/dev/gpiochip0': Device or resource busy; `gpioinfo GPIO22` names it)",
  );
  await until(() => busy.holders() === 0, 'the lines opened before are released');
  const noHeader = [{ name: 'gpiochip0', lines: ['A', 'B'] }];
  for (const major of [1, 2] as const) {
    t.is(
      await message({ major, chips: noHeader }),
      'no GPIO line named GPIO17 (`gpioinfo` lists them): not a Raspberry Pi, or a pin number the header does not have',
    );
  }
});

test('the hold script ends its tool when the daemon side closes stdin, and on a signal to the group', async (t) => {
  const run = () =>
    spawn('sh', ['-c', HOLD_SCRIPT, 'sh', 'sleep', '600'], { detached: true, stdio: ['pipe', 'pipe', 'pipe'] });
  const closed = (c: ReturnType<typeof run>) => new Promise<void>((r) => c.once('close', () => r()));
  const a = run();
  const aClosed = closed(a);
  a.stdin.end();
  await aClosed;
  const b = run();
  const bClosed = closed(b);
  await new Promise((r) => setTimeout(r, 50));
  process.kill(-b.pid!, 'SIGTERM');
  await bClosed;
  const held = systemGpiodRunner.hold('sleep', ['600']);
  await new Promise((r) => setTimeout(r, 50));
  held.kill('SIGTERM');
  t.is((await held.closed).errno, undefined);
  t.pass();
});

test('outputs-off (the unit ExecStopPost): every configured line driven low and released', async (t) => {
  const { switchOutputsOff } = await import('../../hal/pi/index.ts');
  const { fake, opts } = await setup({ major: 2, chips: PI4_CHIPS });
  const cfg = PiHardwareConfig.parse({ gpio: { pins: { buzzer: { pin: 23, activeLow: true } } } });
  await switchOutputsOff(cfg, { gpiod: fake.runner, sysfsRoot: opts.sysfsRoot, devRoot: opts.devRoot });
  t.deepEqual(lit(fake), { green: 0, red: 0, yellow: 0, buzzer: 1 }, 'off; the active-low buzzer off is high');
  await until(() => fake.holders() === 0, 'released');
});
