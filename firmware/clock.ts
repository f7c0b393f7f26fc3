// Time as the terminal uses it, injected everywhere (tests step the wall clock by hours and years).
// The wall clock may be wrong and may step at any moment (a Raspberry Pi has no real-time clock:
// after a boot it shows the last saved time until NTP steps it), so it only stamps what is shown
// or sent. Every wait, interval and age is measured on the monotonic part.
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { type Intervals, systemTimers, type Timers } from '../lib/timers.ts';

/** Time since boot (CLOCK_BOOTTIME, counting suspend) and the boot's id: comparable across restarts within one boot. */
export interface BootTime {
  id: string;
  ms: number;
}

export interface Clock {
  /** Wall-clock time, for timestamps only. */
  now(): Date;
  /** Monotonic milliseconds from an arbitrary origin: never steps. */
  mono(): number;
  /** Null where the system does not tell (not Linux). */
  boot(): BootTime | null;
  /** The wall clock is known good: NTP-synchronised, or set from a real-time clock at boot. */
  wallTrusted(): boolean;
  /** Every wait and interval of the daemon (Node's timers are monotonic). */
  timers: Timers & Intervals;
}

export interface SystemClockPaths {
  bootId: string;
  uptime: string;
  /** systemd-timesyncd creates it once the clock is synchronised. */
  timesyncFlag: string;
  /** An RTC whose `hctosys` is 1 set the system clock at boot (e.g. a DS3231 on I²C). */
  rtcDir: string;
}

const LINUX: SystemClockPaths = {
  bootId: '/proc/sys/kernel/random/boot_id',
  uptime: '/proc/uptime',
  timesyncFlag: '/run/systemd/timesync/synchronized',
  rtcDir: '/sys/class/rtc',
};

/** How long a finding of wallTrusted() stands (it runs a command when the files do not tell). */
const TRUST_CHECK_MS = 60_000;

export function systemClock(paths: SystemClockPaths = LINUX): Clock {
  let bootId: string | null | undefined;
  let trusted: { at: number; value: boolean } | null = null;
  const read = (p: string): string | null => {
    try {
      return readFileSync(p, 'utf8').trim();
    } catch {
      return null;
    }
  };
  const rtcSetClock = (): boolean => {
    try {
      return readdirSync(paths.rtcDir).some((rtc) => read(join(paths.rtcDir, rtc, 'hctosys')) === '1');
    } catch {
      return false;
    }
  };
  const ntpSynchronised = (): boolean => {
    if (existsSync(paths.timesyncFlag)) return true;
    try {
      // chrony or ntpd instead of timesyncd: systemd still knows through the kernel's sync status.
      return (
        execFileSync('timedatectl', ['show', '-p', 'NTPSynchronized', '--value'], {
          timeout: 2000,
          stdio: ['ignore', 'pipe', 'ignore'],
        })
          .toString()
          .trim() === 'yes'
      );
    } catch {
      return false;
    }
  };
  return {
    timers: systemTimers,
    now: () => new Date(),
    mono: () => performance.now(),
    boot() {
      if (bootId === undefined) bootId = read(paths.bootId);
      const up = read(paths.uptime);
      const s = up ? Number(up.split(/\s+/)[0]) : NaN;
      return bootId && Number.isFinite(s) ? { id: bootId, ms: Math.round(s * 1000) } : null;
    },
    wallTrusted() {
      const at = performance.now();
      if (!trusted || at - trusted.at > TRUST_CHECK_MS) trusted = { at, value: rtcSetClock() || ntpSynchronised() };
      return trusted.value;
    },
  };
}
