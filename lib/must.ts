// Where the types cannot see an invariant (an aggregate query always returns a row, a piped child
// always has its stdin), `must` states it and fails loudly, by name, when it breaks; a `x!` would
// instead carry the undefined on to fail somewhere unrelated.

/** `value`, or a thrown Error naming `what` when it is null or undefined. */
export function must<T>(value: T | null | undefined, what: string): T {
  if (value === null || value === undefined) throw new Error(`missing: ${what}`);
  return value;
}
