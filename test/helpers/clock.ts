// A clock for tests: real time passing, plus what a test does to it. `step` moves only the wall
// clock (NTP, a wrong saved time); `pass` lets time really pass (the terminal off, a long wait):
// wall, monotonic and boot time all move. `reboot` is a new boot (boot time from 0, new boot id).
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import type { Clock } from '../../firmware/clock.ts';
import { systemTimers } from '../../lib/timers.ts';

export interface FakeClock extends Clock {
  step(ms: number): void;
  pass(ms: number): void;
  reboot(): void;
  trusted: boolean;
}

export function fakeClock(o: { wallOffsetMs?: number; trusted?: boolean } = {}): FakeClock {
  let wall = o.wallOffsetMs ?? 0;
  let passed = 0;
  let bootId = randomUUID();
  let bootZero = 0;
  const mono = () => performance.now() + passed;
  const c: FakeClock = {
    trusted: o.trusted ?? false,
    timers: systemTimers,
    now: () => new Date(Date.now() + wall + passed),
    mono,
    boot: () => ({ id: bootId, ms: Math.round(60_000 + mono() - bootZero) }),
    wallTrusted: () => c.trusted,
    step(ms) {
      wall += ms;
    },
    pass(ms) {
      passed += ms;
    },
    reboot() {
      bootId = randomUUID();
      bootZero = mono();
    },
  };
  return c;
}
