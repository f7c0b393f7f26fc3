// Cashiers at the till (contract 1.1 § Cashiers) as pure functions: who a staff card's tap signs in
// or out, and who may void a sale.
import type { StaffRole } from '../../contract/index.ts';

/** `cardUid`: the staff card that signed in (never shown). */
export interface Cashier {
  staffId: string;
  name: string;
  role: StaffRole;
  cardUid?: string;
}

/** A staff card tapped on idle with an empty basket: signs its holder in, or out when it is them; another replaces. */
export function afterStaffTap(current: Cashier | null, tapped: Cashier): Cashier | null {
  return current?.staffId === tapped.staffId ? null : tapped;
}

/**
 * A void may be made by the cashier who made the sale or by a lead; when nobody is signed in, only
 * if `requireCashier` is false.
 */
export function mayVoid(saleCashierId: string | null, cashier: Cashier | null, requireCashier: boolean): boolean {
  if (!cashier) return !requireCashier;
  return cashier.role === 'lead' || cashier.staffId === saleCashierId;
}
