// Who is signed in at this terminal (contract 1.1 § Cashiers). Kept in memory only, so a restart
// signs out; `cashierIdleMinutes` without a key or a tap signs out too, measured on a monotonic
// clock (a step of the wall clock neither keeps a cashier in nor throws one out).
import type { Cashier } from '../rules/cashiers.ts';
import type { RowMark } from '../journal/types.ts';

/** `mark`: where the cashier's figures begin, the newest sale and void rows at sign-in. */
export interface SignedIn {
  cashier: Cashier;
  mark: RowMark;
}

export class CashierSession {
  #current: SignedIn | null = null;
  #lastActive = 0;

  /** `mono`: milliseconds on a monotonic clock (tests inject one). */
  constructor(
    private readonly idleMs: number,
    private readonly mono: () => number,
    private readonly markNow: () => Promise<RowMark>,
  ) {}

  /** The signed-in cashier, or null; signs out first if they have been idle too long. */
  get cashier(): Cashier | null {
    return this.signedIn?.cashier ?? null;
  }

  get signedIn(): SignedIn | null {
    this.expireIfIdle();
    return this.#current;
  }

  /** A key or a tap: the cashier is at the till. */
  touch(): void {
    this.#lastActive = this.mono();
  }

  /** Signs out after `idleMs` without a key or a tap; says whether it did. */
  expireIfIdle(): boolean {
    if (!this.#current || this.mono() - this.#lastActive < this.idleMs) return false;
    this.#current = null;
    return true;
  }

  /** The signed-in card's record changed (a new role or name) or is gone (signed out): keeps the sign-in's mark. */
  update(cardUid: string, cashier: Cashier | null): boolean {
    if (!this.#current || this.#current.cashier.cardUid !== cardUid) return false;
    this.#current = cashier ? { ...this.#current, cashier } : null;
    return true;
  }

  async set(cashier: Cashier | null): Promise<void> {
    this.#current = cashier ? { cashier, mark: await this.markNow() } : null;
    this.touch();
  }
}
