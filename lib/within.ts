import type { TimerHandle, Timers } from './timers.ts';

/**
 * Waits for `p` at most `ms`; says whether it settled in time. For shutdown steps that talk to the
 * network: a stop must finish (systemd, tests) even when a broker never acknowledges.
 */
export function within(p: Promise<unknown>, ms: number, timers: Timers): Promise<boolean> {
  let timer: TimerHandle | undefined;
  const late = new Promise<boolean>((resolve) => {
    timer = timers.setTimeout(() => resolve(false), ms);
  });
  return Promise.race([
    p.then(
      () => true,
      () => true,
    ),
    late,
  ]).finally(() => timers.clearTimeout(timer));
}

/** One wait at a time of at most `ms` that `wake()` ends early; a wake with nobody waiting does nothing. */
export class Wakeable {
  #wake: (() => void) | null = null;

  constructor(private readonly timers: Timers) {}

  /** True when woken, false when the time ran out. */
  wait(ms: number): Promise<boolean> {
    return new Promise<boolean>((resolve) => {
      const timer = this.timers.setTimeout(() => {
        this.#wake = null;
        resolve(false);
      }, ms);
      this.#wake = () => {
        this.#wake = null;
        this.timers.clearTimeout(timer);
        resolve(true);
      };
    });
  }

  wake(): void {
    this.#wake?.();
  }
}
