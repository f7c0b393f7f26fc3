// Time as the terminal uses it, injected everywhere (tests step the wall clock by hours and years).
// The wall clock may be wrong and may step at any moment (a Raspberry Pi has no real-time clock:
// after a boot it shows the last saved time until NTP steps it), so it only stamps what is shown
// or sent. Every wait, interval and age is measured on the monotonic part.
import { execFile } from 'node:child_process';
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
  /** Asked when neither tells (chrony or ntpd instead of timesyncd): systemd's `timedatectl`. */
  timedatectl: string;
}

const LINUX: SystemClockPaths = {
  bootId: '/proc/sys/kernel/random/boot_id',
  uptime: '/proc/uptime',
  timesyncFlag: '/run/systemd/timesync/synchronized',
  rtcDir: '/sys/class/rtc',
  timedatectl: 'timedatectl',
};

/** How long timedatectl's answer stands before wallTrusted() asks again. */
const TRUST_CHECK_MS = 60_000;
/** timedatectl asks systemd-timedated over D-Bus, which may first have to start. */
const TRUST_CHECK_TIMEOUT_MS = 2000;

export function systemClock(paths: SystemClockPaths = LINUX): Clock {
  let bootId: string | null | undefined;
  /** timedatectl's last answer, and whether it is being asked now. */
  let asked: { at: number; value: boolean } | null = null;
  let asking = false;
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
  // In the background: a command run synchronously held the event loop (the screen, the keys, the
  // sale) for as long as it took, up to its timeout, at every ledger status change before NTP synced.
  const askTimedatectl = (): void => {
    if (asking) return;
    asking = true;
    const answer = (value: boolean) => {
      asking = false;
      asked = { at: performance.now(), value };
    };
    try {
      // chrony or ntpd instead of timesyncd: systemd still knows through the kernel's sync status.
      execFile(
        paths.timedatectl,
        ['show', '-p', 'NTPSynchronized', '--value'],
        { timeout: TRUST_CHECK_TIMEOUT_MS, encoding: 'utf8' },
        (err, stdout) => answer(!err && stdout.trim() === 'yes'),
      );
    } catch {
      answer(false);
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
    // The files are cheap to read (/run, sysfs) and tell at once; timedatectl's answer comes later,
    // and until it has, the clock is not trusted: a mark then only makes the offline age unknown.
    wallTrusted() {
      if (existsSync(paths.timesyncFlag) || rtcSetClock()) return true;
      if (!asked || performance.now() - asked.at > TRUST_CHECK_MS) askTimedatectl();
      return asked?.value ?? false;
    },
  };
}
