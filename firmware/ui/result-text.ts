// The words under a result's verdict, in order: why (a refusal's reason), whose (the child; after a
// void, the amount given back and the child's first name), the money (a new balance only when it
// changed; after a refusal the balance as it is, and for too little money what is available
// against the sale), the reference, the parents' rules, and last what the cashier does next.
import { formatKr, shortTxId } from './format.ts';
import { labels, reasonLabel } from './labels.ts';
import type { ScreenModel } from '../../contract/index.ts';

/** `rules`: the parents' rules and the low-balance warning, as the card screens word them. */
export function resultLines(m: ScreenModel, rules: readonly string[]): string[] {
  const r = m.result;
  if (!r) return [];
  const lang = m.view.lang;
  const l = labels(lang);
  const kr = (n: number) => formatKr(n, lang);
  const ok = r.status === 'approved';
  const lines: string[] = [];
  if (!ok) lines.push(reasonLabel(lang, r.reason ?? 'invalid'));
  const sale = m.view.void;
  if (sale) {
    if (ok) lines.push(`${l.voidedAmount}: ${kr(sale.total)}`);
    if (sale.child) lines.push(sale.child);
  } else if (m.card) lines.push(m.card.name);
  if (r.balance !== null) {
    if (ok) lines.push(`${l.newBalance}: ${kr(r.balance)}`);
    else if (r.reason === 'insufficient_funds')
      lines.push(`${l.available}: ${kr(r.balance)}${m.basket ? ` · ${l.thisSale}: ${kr(m.basket.total)}` : ''}`);
    else lines.push(`${l.balance}: ${kr(r.balance)}`);
  }
  if (r.txId) lines.push(`${l.ref} ${shortTxId(r.txId)}`);
  lines.push(...rules);
  if (m.view.next) lines.push(m.view.next);
  return lines;
}
