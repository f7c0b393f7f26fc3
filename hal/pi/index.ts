// Real drivers for a Raspberry Pi terminal: ACR122U reader over pcscd, LEDs and buzzer on GPIO.
// The keypad is the UI's tty (see hal/keypad-map.ts) and the display its terminal, so neither is here.
import { createLogger, type Logger } from '../../lib/log.ts';
import type { PiHardwareConfig } from './config/config.ts';
import {
  Acr122uReader,
  importNfcPcsc,
  loadNfcPcsc,
  nfcFactory,
  PCSCD_SOCKET,
  probePcscd,
  type NfcFactory,
  type NfcPcscModule,
} from './reader/acr122u-reader.ts';
import { checkGpio, openOutputPins, type GpioModules, type GpioOptions } from './gpio/gpio.ts';
import type { GpiodRunner } from './gpio/gpio-gpiod.ts';
import { GpioIndicators } from './gpio/gpio-indicators.ts';
import { PiIndicators } from './gpio/pi-indicators.ts';
import type { ReaderSignal } from './reader/acr122u-led.ts';
import { PiHardwareError } from '../../lib/load-optional.ts';
import type { Intervals, Timers } from '../../lib/timers.ts';

export { PiHardwareConfig, type PiHardwareConfigInput } from './config/config.ts';
export { Acr122uReader } from './reader/acr122u-reader.ts';
export { GpioIndicators, switchOffOnExit } from './gpio/gpio-indicators.ts';
export { PiIndicators } from './gpio/pi-indicators.ts';
export { mapKey } from '../keypad-map.ts';
export { PiHardwareError };

/** Everything the drivers reach outside the process; tests replace these with fakes. */
export interface PiDeps {
  log?: Logger;
  timers?: Timers & Intervals;
  importNfcPcsc?: () => Promise<NfcPcscModule>;
  createNfc?: NfcFactory;
  pcscdAvailable?: () => Promise<boolean>;
  /** Stands for `systemctl restart pcscd.service` (a test's own pcscd). */
  restartPcscd?: () => Promise<void>;
  gpioModules?: Partial<GpioModules>;
  /** Stands for /sys/class/gpio. */
  sysfsRoot?: string;
  /** Stands for running Debian's gpiod tools. */
  gpiod?: GpiodRunner;
  /** Stands for /dev (gpiochip*). */
  devRoot?: string;
}

export interface PiHardware {
  reader: Acr122uReader;
  indicators: PiIndicators;
}

export interface PiPrerequisites {
  ok: boolean;
  /** Each names what to install or change; any of them stops createPiHardware. */
  errors: string[];
  /** Conditions the drivers recover from by themselves once fixed (pcscd not running yet). */
  warnings: string[];
  /** Why the LEDs and buzzer cannot be driven, or null. Never stops selling (PiIndicators). */
  gpio: string | null;
}

/** The GPIO driver's options for this config and these deps. */
export const gpioOptions = (cfg: PiHardwareConfig, deps: PiDeps): GpioOptions => ({
  driver: cfg.gpio.driver,
  base: cfg.gpio.base,
  sysfsRoot: deps.sysfsRoot,
  modules: deps.gpioModules,
  gpiod: deps.gpiod,
  devRoot: deps.devRoot,
  log: deps.log,
});

export async function checkPiPrerequisites(cfg: PiHardwareConfig, deps: PiDeps = {}): Promise<PiPrerequisites> {
  const errors: string[] = [];
  const warnings: string[] = [];
  try {
    await loadNfcPcsc(deps.importNfcPcsc ?? importNfcPcsc);
  } catch (err) {
    errors.push((err as Error).message);
  }
  if (!(await (deps.pcscdAvailable ?? probePcscd)())) {
    warnings.push(
      `pcscd is not running (no ${PCSCD_SOCKET}): apt-get install pcscd && systemctl enable --now pcscd.socket`,
    );
  }
  const gpio = await checkGpio(gpioOptions(cfg, deps));
  return { ok: errors.length === 0, errors, warnings, gpio };
}

/**
 * Builds the Pi drivers, not yet started. Throws a PiHardwareError whose message lists every
 * missing prerequisite of the reader, for the daemon to print and exit with; missing GPIO is
 * logged and the indicators fall back to the reader's LED and beeper (PiIndicators).
 */
export async function createPiHardware(cfg: PiHardwareConfig, deps: PiDeps = {}): Promise<PiHardware> {
  const log = deps.log ?? createLogger({ name: 'hal-pi' });
  const pre = await checkPiPrerequisites(cfg, deps);
  for (const w of pre.warnings) log.warn(w);
  if (!pre.ok) throw new PiHardwareError(pre.errors.join('\n'));
  if (pre.gpio) log.warn({ err: pre.gpio }, 'GPIO LEDs and buzzer not available');
  const reader = new Acr122uReader({
    readerName: cfg.reader.name,
    // A test's stand-in for nfc-pcsc runs in this process; the real one in a child (pcsc-proxy.ts).
    createNfc: deps.createNfc ?? (deps.importNfcPcsc ? nfcFactory(deps.importNfcPcsc) : undefined),
    pcscdAvailable: deps.pcscdAvailable,
    restartPcscd: deps.restartPcscd,
    timers: deps.timers,
    log: log.child({ dev: 'reader' }),
  });
  const gpio = new GpioIndicators({
    open: () => openOutputPins(cfg.gpio.pins, { ...gpioOptions(cfg, deps), log }),
    timers: deps.timers,
    log: log.child({ dev: 'indicators' }),
  });
  // The reader speaks with its own LED and beeper where its driver offers ReaderSignal.
  const indicators = new PiIndicators(gpio, reader as Partial<ReaderSignal>, log.child({ dev: 'indicators' }));
  return { reader, indicators };
}

/**
 * Drives every configured output low and releases it: `klubkort outputs-off`, the unit's
 * ExecStopPost, after a daemon that could not switch them off itself (killed, crashed).
 */
export async function switchOutputsOff(cfg: PiHardwareConfig, deps: PiDeps = {}): Promise<void> {
  const pins = await openOutputPins(cfg.gpio.pins, gpioOptions(cfg, deps));
  for (const p of Object.values(pins)) {
    p.writeSync(false);
    p.close();
  }
}
