// Output pins for LEDs and buzzer, over one of three drivers: libgpiod's tools on the GPIO
// character device ("gpiod"), or sysfs through onoff or rpi-gpio. "auto" takes sysfs where the
// kernel still has it and the character device otherwise (Raspberry Pi OS Trixie). Every
// library and tool is injectable, so tests run with fakes and without a Raspberry Pi.
import type { Logger } from '../../../lib/log.ts';
import type { PinConfig } from '../config/config.ts';
import type { LineOpener, RawLine } from './gpio-line.ts';
import { gpiodOpener, type GpiodRunner } from './gpio-gpiod.ts';
import { hasSysfsGpio, sysfsOpener, SYSFS_GPIO, type SysfsModules } from './gpio-sysfs.ts';
import type { Timers } from '../../../lib/timers.ts';

export { resolveGpioBase, SYSFS_GPIO, type OnoffModule, type RpiGpioModule } from './gpio-sysfs.ts';

export interface OutputPin {
  write(on: boolean): void;
  /** Writes before returning: for a process 'exit' hook. */
  writeSync(on: boolean): void;
  /** Switches the part off and releases the line. */
  close(): void;
}

export type GpioDriverSetting = 'auto' | 'gpiod' | 'onoff' | 'rpi-gpio';
export type GpioDriver = Exclude<GpioDriverSetting, 'auto'>;
export type GpioModules = SysfsModules;

export interface GpioOptions {
  driver: GpioDriverSetting;
  /** Sysfs number of BCM GPIO 0, or 'auto' to read it from the header chip (sysfs drivers only). */
  base: number | 'auto';
  sysfsRoot?: string;
  modules?: Partial<GpioModules>;
  /** The gpiod tools; stands for running gpioset/gpiofind/gpioinfo. */
  gpiod?: GpiodRunner;
  /** Stands for /dev (gpiochip*). */
  devRoot?: string;
  timers?: Timers;
  log?: Logger;
}

/** The driver "auto" means here: onoff while /sys/class/gpio exists, the character device otherwise. */
export async function chooseGpioDriver(setting: GpioDriverSetting, sysfsRoot = SYSFS_GPIO): Promise<GpioDriver> {
  if (setting !== 'auto') return setting;
  return (await hasSysfsGpio(sysfsRoot)) ? 'onoff' : 'gpiod';
}

async function lineOpener(opts: GpioOptions): Promise<{ driver: GpioDriver; open: LineOpener }> {
  const driver = await chooseGpioDriver(opts.driver, opts.sysfsRoot);
  const open =
    driver === 'gpiod'
      ? await gpiodOpener({ runner: opts.gpiod, devRoot: opts.devRoot, timers: opts.timers, log: opts.log })
      : await sysfsOpener({ driver, base: opts.base, sysfsRoot: opts.sysfsRoot, modules: opts.modules, log: opts.log });
  return { driver, open };
}

/** Null when the chosen driver can load and reach the GPIO lines, else what is wrong. */
export async function checkGpio(opts: GpioOptions): Promise<string | null> {
  try {
    await lineOpener(opts);
    return null;
  } catch (err) {
    return (err as Error).message;
  }
}

/** Opens every pin as an output, switched off; closes those already opened if one fails. */
export async function openOutputPins<K extends string>(
  pins: Record<K, PinConfig>,
  opts: GpioOptions,
): Promise<Record<K, OutputPin>> {
  const { driver, open } = await lineOpener(opts);
  opts.log?.info({ driver }, 'GPIO driver');
  const opened = {} as Record<K, OutputPin>;
  try {
    for (const name of Object.keys(pins) as K[]) {
      const { pin, activeLow } = pins[name];
      opened[name] = outputPin(await open(pin, activeLow), activeLow);
    }
  } catch (err) {
    for (const p of Object.values<OutputPin>(opened)) p.close();
    throw err;
  }
  return opened;
}

function outputPin(raw: RawLine, activeLow: boolean): OutputPin {
  let closed = false;
  return {
    write(on) {
      if (!closed) raw.set(on !== activeLow);
    },
    writeSync(on) {
      if (!closed) raw.setSync(on !== activeLow);
    },
    close() {
      if (closed) return;
      closed = true;
      try {
        raw.set(activeLow);
      } finally {
        raw.release();
      }
    },
  };
}
