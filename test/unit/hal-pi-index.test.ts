// The pi section of the config, the keypad map, and what a machine without the hardware
// libraries is told.
import test from 'ava';
import { EventEmitter } from 'node:events';
import {
  checkPiPrerequisites,
  createPiHardware,
  PiHardwareConfig,
  PiHardwareError,
  type PiDeps,
} from '../../hal/pi/index.ts';
import { keyToken, mapKey } from '../../hal/keypad-map.ts';
import type { OnoffModule } from '../../hal/pi/gpio/gpio.ts';
import type { NfcPcscModule } from '../../hal/pi/reader/acr122u-reader.ts';
import { ManualTimers } from '../helpers/manual-timers.ts';
import { GpioIndicators } from '../../hal/pi/gpio/gpio-indicators.ts';
import { PiIndicators } from '../../hal/pi/gpio/pi-indicators.ts';
import { ledBuzzerCommand, type ReaderSignal } from '../../hal/pi/reader/acr122u-led.ts';
import type { IndicatorState } from '../../hal/types.ts';
import { createLogger } from '../../firmware/log.ts';

test('config defaults fill the whole pi section', (t) => {
  t.deepEqual(PiHardwareConfig.parse({}), {
    gpio: {
      driver: 'auto',
      base: 'auto',
      pins: {
        green: { pin: 17, activeLow: false },
        red: { pin: 27, activeLow: false },
        yellow: { pin: 22, activeLow: false },
        buzzer: { pin: 23, activeLow: false },
      },
    },
    reader: {},
    keypad: {},
  });
  const cfg = PiHardwareConfig.parse({
    gpio: { base: 512, pins: { red: { pin: 5, activeLow: true } } },
    reader: { name: 'ACR122' },
    keypad: { map: { '*': 'escape' } },
  });
  t.deepEqual(cfg.gpio.pins.red, { pin: 5, activeLow: true });
  t.is(cfg.gpio.pins.green.pin, 17);
  t.is(cfg.gpio.base, 512);
});

test('config rejects shared pins, unknown keys and fields', (t) => {
  t.false(PiHardwareConfig.safeParse({ gpio: { pins: { red: { pin: 17 } } } }).success);
  t.false(PiHardwareConfig.safeParse({ keypad: { map: { '*': 'cancel' } } }).success);
  t.false(PiHardwareConfig.safeParse({ gpio: { base: 'guess' } }).success);
  t.false(PiHardwareConfig.safeParse({ gpio: { driver: 'pigpio' } }).success);
  t.false(PiHardwareConfig.safeParse({ reader: { nmae: 'ACR' } }).success);
});

test('keypad keys map to contract keys, by name, character or raw sequence', (t) => {
  // blessed: digits and symbols come without a name.
  t.is(mapKey(undefined, '7'), '7');
  // blessed reports '\r' as 'return' and again as 'enter': one Enter.
  t.is(mapKey('return', '\r'), null);
  t.is(mapKey('enter', '\r'), 'enter');
  t.is(mapKey('linefeed', '\n'), 'enter');
  t.is(mapKey('escape', '\x1b'), 'escape');
  t.is(mapKey('backspace', '\x7f'), 'backspace');
  t.is(mapKey('up', '\x1b[A'), 'up');
  t.is(mapKey('down', '\x1bOB'), 'down');
  t.is(mapKey('pagedown', '\x1b[6~'), 'down');
  t.is(mapKey('f2', '\x1bOQ'), 'f2');
  t.is(mapKey('f12', '\x1b[24~'), 'f12');
  for (const [seq, key] of [
    ['+', 'down'],
    ['-', 'escape'],
    ['/', 'f2'],
    ['*', 'f3'],
    ['.', 'backspace'],
    [',', 'backspace'],
  ] as const) {
    t.is(mapKey(undefined, seq), key, seq);
  }
  // Numpad in application keypad mode (raw SS3 sequences; blessed names them 'undefined').
  t.is(mapKey('undefined', '\x1bOM'), 'enter');
  t.is(mapKey('undefined', '\x1bOu'), '5');
  t.is(mapKey('undefined', '\x1bOk'), 'down');
  t.is(mapKey('undefined', '\x1bOo'), 'f2');
  // Nothing to do with these.
  t.is(mapKey('left', '\x1b[D'), null);
  t.is(mapKey('a', 'a'), null);
  t.is(mapKey('undefined', '\x1b[99~'), null);
  t.is(mapKey('constructor'), null);
  t.is(keyToken('undefined', '\x1bOj'), '*');
});

test('keypad overrides from the config win over the defaults', (t) => {
  const map = PiHardwareConfig.parse({ keypad: { map: { '*': 'escape', '/': 'f1', insert: '0', return: 'enter' } } })
    .keypad.map;
  t.is(mapKey(undefined, '*', map), 'escape');
  t.is(mapKey('undefined', '\x1bOo', map), 'f1');
  t.is(mapKey('insert', '\x1b[2~', map), '0');
  t.is(mapKey('return', '\r', map), 'enter');
  t.is(mapKey('linefeed', '\n', map), 'enter', 'defaults still apply to keys not overridden');
});

// --- prerequisites ---

const cfg = PiHardwareConfig.parse({ gpio: { driver: 'onoff', base: 0 } });
const onoffOk = async (): Promise<OnoffModule> => ({
  Gpio: Object.assign(
    class {
      writeSync() {}
      unexport() {}
    },
    { accessible: true },
  ),
});
const onoffNotPi = async (): Promise<OnoffModule> => ({
  Gpio: Object.assign(
    class {
      writeSync() {}
      unexport() {}
    },
    { accessible: false },
  ),
});
const nfcOk = async () =>
  ({
    NFC: class extends EventEmitter {
      close() {}
    },
  }) as unknown as NfcPcscModule;
const nfcMissing = async (): Promise<NfcPcscModule> => {
  throw Object.assign(new Error("Cannot find package 'nfc-pcsc' imported from /work/main/hal/pi/acr122u-reader.ts"), {
    code: 'ERR_MODULE_NOT_FOUND',
  });
};
const nfcNoLib = async (): Promise<NfcPcscModule> => {
  throw new Error('libpcsclite.so.1: cannot open shared object file: No such file or directory');
};
const deps = (over: PiDeps): PiDeps => ({
  importNfcPcsc: nfcOk,
  pcscdAvailable: async () => true,
  gpioModules: { onoff: onoffOk },
  log: createLogger({ level: 'silent' }),
  timers: new ManualTimers(),
  ...over,
});

test('all there: no errors, no warnings', async (t) => {
  t.deepEqual(await checkPiPrerequisites(cfg, deps({})), { ok: true, errors: [], warnings: [], gpio: null });
});

test('nfc-pcsc not installed, or its native part broken: the message names the packages', async (t) => {
  t.deepEqual((await checkPiPrerequisites(cfg, deps({ importNfcPcsc: nfcMissing }))).errors, [
    'nfc-pcsc is not installed: apt-get install libpcsclite-dev pcscd && npm install',
  ]);
  t.deepEqual((await checkPiPrerequisites(cfg, deps({ importNfcPcsc: nfcNoLib }))).errors, [
    'nfc-pcsc could not be loaded (libpcsclite.so.1: cannot open shared object file: No such file or directory): apt-get install libpcsclite-dev pcscd && npm rebuild @pokusew/pcsclite',
  ]);
});

test('pcscd not running is a warning: the reader waits for it', async (t) => {
  const pre = await checkPiPrerequisites(cfg, deps({ pcscdAvailable: async () => false }));
  t.true(pre.ok);
  t.deepEqual(pre.warnings, [
    'pcscd is not running (no /run/pcscd/pcscd.comm): apt-get install pcscd && systemctl enable --now pcscd.socket',
  ]);
});

test('createPiHardware without the reader library throws one clear message; missing GPIO is not in it', async (t) => {
  const err = await t.throwsAsync(
    createPiHardware(cfg, deps({ importNfcPcsc: nfcMissing, gpioModules: { onoff: onoffNotPi } })),
    { instanceOf: PiHardwareError },
  );
  t.is(err?.message, 'nfc-pcsc is not installed: apt-get install libpcsclite-dev pcscd && npm install');
  t.is(
    (await checkPiPrerequisites(cfg, deps({ gpioModules: { onoff: onoffNotPi } }))).gpio,
    'GPIO not accessible: not a Raspberry Pi or user not in group gpio (cannot write /sys/class/gpio/export)',
  );
});

test('missing GPIO never stops selling: the indicators start anyway, say why, and speak through the reader', async (t) => {
  const hw = await createPiHardware(
    cfg,
    deps({ gpioModules: { onoff: onoffNotPi }, createNfc: () => Object.assign(new EventEmitter(), { close() {} }) }),
  );
  await t.notThrowsAsync(hw.indicators.start());
  t.deepEqual(hw.indicators.fault, {
    problem: 'GPIO not accessible: not a Raspberry Pi or user not in group gpio (cannot write /sys/class/gpio/export)',
    fallback: typeof (hw.reader as unknown as Partial<ReaderSignal>).signal === 'function' ? 'reader' : 'screen',
  });
  t.notThrows(() => hw.indicators.show({ led: 'green', buzzer: 'approve' }));
  await hw.indicators.stop();

  // With a reader that offers its LED and beeper, the feedback goes there.
  const sent: IndicatorState[] = [];
  const gpio = new GpioIndicators({
    open: async () => {
      throw new PiHardwareError('no GPIO here');
    },
  });
  const ind = new PiIndicators(gpio, {
    signal: async (s) => {
      sent.push(s);
    },
  });
  await ind.start();
  t.deepEqual(ind.fault, { problem: 'no GPIO here', fallback: 'reader' });
  ind.show({ led: 'red', buzzer: 'decline' });
  t.deepEqual(sent, [{ led: 'red', buzzer: 'decline' }]);
  const failing = new PiIndicators(gpio, { signal: () => Promise.reject(new Error('no reader')) });
  await failing.start();
  t.notThrows(() => failing.show({ led: 'green', buzzer: 'tap' }), 'a reader that does not answer changes nothing');
  t.is(
    await (async () => {
      const s = new PiIndicators(gpio, {});
      await s.start();
      return s.fault?.fallback;
    })(),
    'screen',
  );
});

test("the ACR122U's LED and buzzer command (FF 00 40): colours as final states, beeps as T1 repetitions", (t) => {
  const hex = (s: IndicatorState) => ledBuzzerCommand(s).toString('hex');
  t.is(hex({ led: 'green', buzzer: null }), 'ff00400e0400000000');
  t.is(hex({ led: 'red', buzzer: null }), 'ff00400d0400000000');
  t.is(hex({ led: 'yellow', buzzer: null }), 'ff00400f0400000000', 'red and green: amber');
  t.is(hex({ led: 'off', buzzer: null }), 'ff00400c0400000000');
  t.is(hex({ led: 'yellow', buzzer: 'tap' }), 'ff00400f0401000101', 'one 100 ms beep');
  t.is(hex({ led: 'green', buzzer: 'approve' }), 'ff00400e0401010201', 'two short beeps');
  t.is(hex({ led: 'red', buzzer: 'decline' }), 'ff00400d0407000101', 'one 700 ms beep');
  t.is(hex({ led: 'red', buzzer: 'error' }), 'ff00400d0401010301', 'three short beeps');
});

test('createPiHardware builds a reader and indicators that start and stop', async (t) => {
  const hw = await createPiHardware(cfg, deps({ createNfc: () => Object.assign(new EventEmitter(), { close() {} }) }));
  await hw.reader.start();
  await hw.indicators.start();
  hw.indicators.show({ led: 'green', buzzer: 'tap' });
  await hw.indicators.stop();
  await hw.reader.stop();
  t.false(hw.reader.attached);
});
