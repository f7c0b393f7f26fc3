// GPIO over Linux sysfs (/sys/class/gpio), through onoff or rpi-gpio. The kernel has deprecated
// this interface and Raspberry Pi OS Trixie's kernel is built without it; gpio-gpiod.ts is the
// driver for that. Each library is imported only when chosen and both are injectable.
import { access, readdir, readFile } from 'node:fs/promises';
import { constants } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from '../../../lib/log.ts';
import { loadOptional, PiHardwareError } from '../../../lib/load-optional.ts';
import { nativePart, NOT_ACCESSIBLE, type LineOpener } from './gpio-line.ts';

/** What hal/pi uses of onoff's module. */
export interface OnoffModule {
  Gpio: {
    readonly accessible: boolean;
    new (gpio: number, direction: 'high' | 'low'): { writeSync(value: 0 | 1): void; unexport(): void };
  };
}
/** What hal/pi uses of rpi-gpio's module (one shared instance). */
export type RpiGpioModule = Pick<
  typeof import('rpi-gpio').default,
  'MODE_BCM' | 'DIR_HIGH' | 'DIR_LOW' | 'setMode' | 'promise'
>;

export interface SysfsModules {
  onoff: () => Promise<OnoffModule>;
  rpiGpio: () => Promise<RpiGpioModule>;
}

/** The libraries' imports; their native part is epoll. */
export const defaultSysfsModules: SysfsModules = {
  onoff: () => import('onoff'),
  rpiGpio: async () => (await import('rpi-gpio')).default,
};

export const SYSFS_GPIO = '/sys/class/gpio';
/** Labels of the chip behind the 40-pin header: Pi 1-3/Zero, Pi 4, Pi 5 (SoC and RP1). */
const HEADER_CHIP = /^pinctrl-(bcm2835|bcm2711|bcm2712|rp1)$/;

/** True when this kernel has the sysfs GPIO interface (CONFIG_GPIO_SYSFS). */
export async function hasSysfsGpio(sysfsRoot = SYSFS_GPIO): Promise<boolean> {
  return access(join(sysfsRoot, 'export')).then(
    () => true,
    () => false,
  );
}

/**
 * Kernels since 6.6 number sysfs GPIO lines from a dynamic base (512 on a Pi 4, higher on a Pi 5
 * whose SoC chips come first) instead of 0, so BCM GPIO 17 may be sysfs line 529. 'auto' finds
 * the header's chip by its label among /sys/class/gpio/gpiochip*.
 */
export async function resolveGpioBase(base: number | 'auto', sysfsRoot = SYSFS_GPIO): Promise<number> {
  if (base !== 'auto') return base;
  let names: string[];
  try {
    names = (await readdir(sysfsRoot)).filter((n) => /^gpiochip\d+$/.test(n));
  } catch {
    throw new PiHardwareError(
      `${NOT_ACCESSIBLE} (no ${sysfsRoot}: a kernel without GPIO sysfs, e.g. Raspberry Pi OS Trixie; set pi.gpio.driver to "auto" or "gpiod")`,
    );
  }
  const chips = await Promise.all(
    names.map(async (name) => {
      const read = (f: string) =>
        readFile(join(sysfsRoot, name, f), 'utf8').then(
          (s) => s.trim(),
          () => '',
        );
      return {
        name,
        base: Number.parseInt(await read('base'), 10),
        label: await read('label'),
        ngpio: Number.parseInt(await read('ngpio'), 10) || 0,
      };
    }),
  );
  const header = chips.filter((c) => HEADER_CHIP.test(c.label)).sort((a, b) => b.ngpio - a.ngpio);
  const chip = header[0] ?? (chips.length === 1 ? chips[0] : undefined);
  if (!chip || !Number.isInteger(chip.base)) {
    const found = chips.map((c) => `${c.name} "${c.label}"`).join(', ') || 'none';
    throw new PiHardwareError(
      `cannot tell which GPIO chip drives the pin header (found: ${found}): set gpio.base in the config`,
    );
  }
  return chip.base;
}

export interface SysfsOptions {
  driver: 'onoff' | 'rpi-gpio';
  base: number | 'auto';
  sysfsRoot?: string;
  modules?: Partial<SysfsModules>;
  log?: Logger;
}

export async function sysfsOpener(opts: SysfsOptions): Promise<LineOpener> {
  const sysfsRoot = opts.sysfsRoot ?? SYSFS_GPIO;
  const mods = { ...defaultSysfsModules, ...opts.modules };
  const base = await resolveGpioBase(opts.base, sysfsRoot);
  return opts.driver === 'onoff' ? onoffOpener(mods, base) : rpiGpioOpener(mods, base, sysfsRoot, opts.log);
}

async function onoffOpener(mods: SysfsModules, base: number): Promise<LineOpener> {
  const { Gpio } = await loadOptional(nativePart('onoff'), mods.onoff);
  if (!Gpio.accessible) throw new PiHardwareError(`${NOT_ACCESSIBLE} (cannot write ${SYSFS_GPIO}/export)`);
  return async (bcm, initialHigh) => {
    const line = base + bcm;
    let gpio: InstanceType<OnoffModule['Gpio']>;
    try {
      // 'high'/'low' makes it an output already at that level: no glitch on an active-low part.
      gpio = new Gpio(line, initialHigh ? 'high' : 'low');
    } catch (err) {
      throw new PiHardwareError(
        `GPIO line ${line} could not be opened (${(err as Error).message}): ${NOT_ACCESSIBLE}, or wrong gpio.base`,
      );
    }
    const set = (high: boolean) => gpio.writeSync(high ? 1 : 0);
    return { set, setSync: set, release: () => gpio.unexport() };
  };
}

/**
 * rpi-gpio accepts only BCM numbers 0-27 and writes them unchanged to /sys/class/gpio/export, so
 * it reaches the right line only where the header chip's base is 0: kernels before 6.6. Nothing
 * outside the library can change that (its channel check and export path are internal).
 */
export const rpiGpioBaseError = (base: number) =>
  `rpi-gpio cannot drive GPIO lines numbered from ${base} (kernel 6.6 and later): it exports BCM numbers unchanged, which only works where the base is 0; set pi.gpio.driver to "auto" (or "gpiod", "onoff")`;

async function rpiGpioOpener(mods: SysfsModules, base: number, sysfsRoot: string, log?: Logger): Promise<LineOpener> {
  if (base !== 0) throw new PiHardwareError(rpiGpioBaseError(base));
  const gpio = await loadOptional(nativePart('rpi-gpio'), mods.rpiGpio);
  try {
    await access(join(sysfsRoot, 'export'), constants.W_OK);
  } catch {
    throw new PiHardwareError(`${NOT_ACCESSIBLE} (cannot write ${sysfsRoot}/export)`);
  }
  gpio.setMode(gpio.MODE_BCM);
  // Its writes are asynchronous: chain them so a fast on/off pair lands in order.
  let queue = Promise.resolve();
  const enqueue = (op: () => Promise<void>) => {
    queue = queue.then(op).catch((err: Error) => log?.warn({ err: err.message }, 'rpi-gpio write failed'));
  };
  let open = 0;
  return async (line, initialHigh) => {
    try {
      await gpio.promise.setup(line, initialHigh ? gpio.DIR_HIGH : gpio.DIR_LOW);
    } catch (err) {
      throw new PiHardwareError(
        `rpi-gpio could not set up GPIO ${line} (${(err as Error).message.split('\n')[0]}): ${NOT_ACCESSIBLE}`,
      );
    }
    open++;
    const set = (high: boolean) => enqueue(() => gpio.promise.write(line, high));
    return {
      set,
      // The library has no synchronous write: an exit hook can only queue it (docs/hardware.md).
      setSync: set,
      // destroy() unexports every pin of the shared instance, so only after the last one closes.
      release: () => {
        if (--open === 0) enqueue(() => gpio.promise.destroy());
      },
    };
  };
}
