// What every GPIO driver gives hal/pi/gpio/gpio.ts: one output line, driven at its physical level.
// Polarity (activeLow) is applied above this, once for all drivers.

export interface RawLine {
  /** Drives the line; may complete asynchronously, but changes land in order. */
  set(high: boolean): void;
  /** Drives the line before returning, also from a process 'exit' hook. */
  setSync(high: boolean): void;
  release(): void;
}

/** Opens BCM GPIO `bcm` ("GPIO17" is 17) as an output already at the given level. */
export type LineOpener = (bcm: number, initialHigh: boolean) => Promise<RawLine>;

export const NOT_ACCESSIBLE = 'GPIO not accessible: not a Raspberry Pi or user not in group gpio';
/** Debian packages the sysfs drivers' native part (epoll) needs to build. */
export const nativePart = (pkg: string) => ({ pkg, addon: 'epoll', apt: 'build-essential' });
