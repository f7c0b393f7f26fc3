// The terminal's clock under the explorer's hand. The terminal process reads its wall offset and its
// boot from a state the explorer sends (in the environment at spawn, then over the IPC channel), so a
// wall-clock step reaches a running terminal at once, and a "new boot" survives into the process
// started after a kill. Monotonic time is the process's own (it never steps), the boot time is the
// system's CLOCK_MONOTONIC counted from the simulated boot (comparable across processes, as
// CLOCK_BOOTTIME is on a Pi).
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import type { Clock } from '../firmware/clock.ts';
import { systemTimers } from '../lib/timers.ts';

export interface ClockState {
  /** Added to the real wall clock (a step of NTP, a wrong saved time). */
  wallOffsetMs: number;
  bootId: string;
  /** System monotonic ms at which the simulated boot began. */
  bootAtMs: number;
  /** The wall clock is known good (NTP or an RTC): false on a Pi without network. */
  trusted: boolean;
}

export const ENV = 'KLUBKORT_EXPLORE_CLOCK';

/** The system's monotonic clock in ms, the same in every process (libuv's hrtime is CLOCK_MONOTONIC). */
export const systemMono = (): number => Number(process.hrtime.bigint() / 1_000_000n);

export function freshClockState(): ClockState {
  // The boot began a minute ago, as a terminal's daemon starts after the system.
  return { wallOffsetMs: 0, bootId: randomUUID(), bootAtMs: systemMono() - 60_000, trusted: false };
}

export const steppedWall = (s: ClockState, ms: number): ClockState => ({ ...s, wallOffsetMs: s.wallOffsetMs + ms });
export const rebooted = (s: ClockState): ClockState => ({
  ...s,
  bootId: randomUUID(),
  bootAtMs: systemMono() - 20_000,
});

/** The terminal process's Clock over a state that `update` replaces. */
export function explorerClock(initial: ClockState): Clock & { update(s: ClockState): void } {
  let s = initial;
  return {
    timers: systemTimers,
    now: () => new Date(Date.now() + s.wallOffsetMs),
    mono: () => performance.now(),
    boot: () => ({ id: s.bootId, ms: systemMono() - s.bootAtMs }),
    wallTrusted: () => s.trusted,
    update(next) {
      s = next;
    },
  };
}
