/** Polls `fn` until it returns a truthy value; fails with `what` after `ms`. */
export async function until<T>(fn: () => Promise<T> | T, what: string, ms = 15000): Promise<NonNullable<T>> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v as NonNullable<T>;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}
