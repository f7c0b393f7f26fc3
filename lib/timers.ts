// Timers are injected so that beep patterns, read timeouts and reconnect backoff run on a
// deterministic clock in tests instead of the wall clock.

export type TimerHandle = unknown;

export interface Timers {
  /** `unref`: one that alone does not keep the process alive. */
  setTimeout(fn: () => void, ms: number, unref?: boolean): TimerHandle;
  clearTimeout(handle: TimerHandle): void;
}

/** Repeating timers; `unref`: one that alone does not keep the process alive. */
export interface Intervals {
  setInterval(fn: () => void, ms: number, unref?: boolean): TimerHandle;
  clearInterval(handle: TimerHandle): void;
}

export const systemTimers: Timers & Intervals = {
  setTimeout: (fn, ms, unref = false) => {
    const t = setTimeout(fn, ms);
    if (unref) t.unref();
    return t;
  },
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
  setInterval: (fn, ms, unref = false) => {
    const t = setInterval(fn, ms);
    if (unref) t.unref();
    return t;
  },
  clearInterval: (handle) => clearInterval(handle as ReturnType<typeof setInterval>),
};
