/**
 * Waits for `p` at most `ms`; says whether it settled in time. For shutdown steps that talk to the
 * network: a stop must finish (systemd, tests) even when a broker never acknowledges.
 */
export function within(p: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
  });
  return Promise.race([
    p.then(
      () => true,
      () => true,
    ),
    late,
  ]).finally(() => clearTimeout(timer));
}

/** One wait at a time of at most `ms` that `wake()` ends early; a wake with nobody waiting does nothing. */
export class Wakeable {
  #wake: (() => void) | null = null;

  /** True when woken, false when the time ran out. */
  wait(ms: number): Promise<boolean> {
    return new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => {
        this.#wake = null;
        resolve(false);
      }, ms);
      this.#wake = () => {
        this.#wake = null;
        clearTimeout(timer);
        resolve(true);
      };
    });
  }

  wake(): void {
    this.#wake?.();
  }
}
