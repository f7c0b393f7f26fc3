/**
 * Waits for `p` at most `ms`; says whether it settled in time. For shutdown steps that talk to the
 * network: a stop must finish (systemd, tests) even when a broker never acknowledges.
 */
export function within(p: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<boolean>((resolve) => { timer = setTimeout(() => resolve(false), ms); });
  return Promise.race([p.then(() => true, () => true), late]).finally(() => clearTimeout(timer));
}

/** A wait of at most `ms` that `wake()` ends early; `done` says whether it was woken (else it timed out). */
export function wakeableWait(ms: number): { done: Promise<boolean>; wake: () => void } {
  let wake: () => void = () => undefined;
  const done = new Promise<boolean>((resolve) => {
    const timer = setTimeout(() => resolve(false), ms);
    wake = () => { clearTimeout(timer); resolve(true); };
  });
  return { done, wake };
}
