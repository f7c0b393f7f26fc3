// Output pins over Linux sysfs GPIO, through onoff (default) or rpi-gpio. Each library is imported
// only when chosen and both are injectable, so tests run with fakes and without a Raspberry Pi.
import { access, readdir, readFile } from 'node:fs/promises';
import { constants } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from '../log.ts';
import type { PinConfig } from './config.ts';
import { loadOptional, PiHardwareError } from './load.ts';

export interface OutputPin {
  write(on: boolean): void;
  /** Switches the part off and releases the line. */
  close(): void;
}

export type GpioDriver = 'onoff' | 'rpi-gpio';

/** What hal/pi uses of onoff's module. */
export interface OnoffModule {
  Gpio: {
    readonly accessible: boolean;
    new (gpio: number, direction: 'high' | 'low'): { writeSync(value: 0 | 1): void; unexport(): void };
  };
}
/** What hal/pi uses of rpi-gpio's module (one shared instance). */
export type RpiGpioModule = Pick<typeof import('rpi-gpio').default, 'MODE_BCM' | 'DIR_HIGH' | 'DIR_LOW' | 'setMode' | 'promise'>;

export interface GpioModules {
  onoff: () => Promise<OnoffModule>;
  rpiGpio: () => Promise<RpiGpioModule>;
}

/** The libraries' imports; their native part is epoll. */
export const defaultGpioModules: GpioModules = {
  onoff: () => import('onoff'),
  rpiGpio: async () => (await import('rpi-gpio')).default,
};
const nativePart = (pkg: string) => ({ pkg, addon: 'epoll', apt: 'build-essential' });

export interface GpioOptions {
  driver: GpioDriver;
  /** Sysfs number of BCM GPIO 0, or 'auto' to read it from the header chip under `sysfsRoot`. */
  base: number | 'auto';
  sysfsRoot?: string;
  modules?: Partial<GpioModules>;
  log?: Logger;
}

export const SYSFS_GPIO = '/sys/class/gpio';
const NOT_ACCESSIBLE = 'GPIO not accessible: not a Raspberry Pi or user not in group gpio';
/** Labels of the chip behind the 40-pin header: Pi 1-3/Zero, Pi 4, Pi 5 (SoC and RP1). */
const HEADER_CHIP = /^pinctrl-(bcm2835|bcm2711|bcm2712|rp1)$/;

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
    throw new PiHardwareError(`${NOT_ACCESSIBLE} (no ${sysfsRoot})`);
  }
  const chips = await Promise.all(names.map(async (name) => {
    const read = (f: string) => readFile(join(sysfsRoot, name, f), 'utf8').then((s) => s.trim(), () => '');
    return { name, base: Number.parseInt(await read('base'), 10), label: await read('label'), ngpio: Number.parseInt(await read('ngpio'), 10) || 0 };
  }));
  const header = chips.filter((c) => HEADER_CHIP.test(c.label)).sort((a, b) => b.ngpio - a.ngpio);
  const chip = header[0] ?? (chips.length === 1 ? chips[0] : undefined);
  if (!chip || !Number.isInteger(chip.base)) {
    const found = chips.map((c) => `${c.name} "${c.label}"`).join(', ') || 'none';
    throw new PiHardwareError(`cannot tell which GPIO chip drives the pin header (found: ${found}): set gpio.base in the config`);
  }
  return chip.base;
}

/** A sysfs line driven at its physical level. */
interface RawLine { set(high: boolean): void; release(): void }
type LineOpener = (line: number, initialHigh: boolean) => Promise<RawLine>;

async function onoffOpener(mods: GpioModules): Promise<LineOpener> {
  const { Gpio } = await loadOptional(nativePart('onoff'), mods.onoff);
  if (!Gpio.accessible) throw new PiHardwareError(`${NOT_ACCESSIBLE} (cannot write ${SYSFS_GPIO}/export)`);
  return async (line, initialHigh) => {
    let gpio: InstanceType<OnoffModule['Gpio']>;
    try {
      // 'high'/'low' makes it an output already at that level: no glitch on an active-low part.
      gpio = new Gpio(line, initialHigh ? 'high' : 'low');
    } catch (err) {
      throw new PiHardwareError(`GPIO line ${line} could not be opened (${(err as Error).message}): ${NOT_ACCESSIBLE}, or wrong gpio.base`);
    }
    return { set: (high) => gpio.writeSync(high ? 1 : 0), release: () => gpio.unexport() };
  };
}

async function rpiGpioOpener(mods: GpioModules, base: number, sysfsRoot: string, log?: Logger): Promise<LineOpener> {
  // rpi-gpio accepts only BCM numbers 0-27 and exports them unchanged.
  if (base !== 0) throw new PiHardwareError(`rpi-gpio cannot drive GPIO lines numbered from ${base} (kernel 6.6+): set gpio.driver to "onoff"`);
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
      throw new PiHardwareError(`rpi-gpio could not set up GPIO ${line} (${(err as Error).message.split('\n')[0]}): ${NOT_ACCESSIBLE}`);
    }
    open++;
    return {
      set: (high) => enqueue(() => gpio.promise.write(line, high)),
      // destroy() unexports every pin of the shared instance, so only after the last one closes.
      release: () => { if (--open === 0) enqueue(() => gpio.promise.destroy()); },
    };
  };
}

async function lineOpener(opts: GpioOptions): Promise<{ base: number; open: LineOpener }> {
  const sysfsRoot = opts.sysfsRoot ?? SYSFS_GPIO;
  const mods = { ...defaultGpioModules, ...opts.modules };
  const base = await resolveGpioBase(opts.base, sysfsRoot);
  const open = opts.driver === 'onoff' ? await onoffOpener(mods) : await rpiGpioOpener(mods, base, sysfsRoot, opts.log);
  return { base, open };
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
export async function openOutputPins<K extends string>(pins: Record<K, PinConfig>, opts: GpioOptions): Promise<Record<K, OutputPin>> {
  const { base, open } = await lineOpener(opts);
  const opened = {} as Record<K, OutputPin>;
  try {
    for (const name of Object.keys(pins) as K[]) {
      const { pin, activeLow } = pins[name];
      opened[name] = outputPin(await open(base + pin, activeLow), activeLow);
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
