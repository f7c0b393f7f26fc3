// An open basket against a new catalog version: the catalog is the truth for price, name and
// category, so a basket rung up before the change is resolved again (a sku is an item's identity:
// an item whose sku is gone is gone, even if one with the same name came in its place).
import type { BasketLine, CatalogItem } from '../../contract/index.ts';

export interface ResolvedBasket {
  lines: BasketLine[];
  /** Names of the lines taken out because their sku is no longer in the catalog. */
  removed: string[];
  /** A line was taken out or its price changed: the cashier must see the basket again. */
  changed: boolean;
}

/** The basket with each line's name and price from `catalog`; lines whose sku is gone are taken out. */
export function resolveBasket(lines: readonly BasketLine[], catalog: readonly CatalogItem[]): ResolvedBasket {
  const bySku = new Map(catalog.map((i) => [i.sku, i]));
  const out: BasketLine[] = [];
  const removed: string[] = [];
  let repriced = false;
  for (const l of lines) {
    const item = bySku.get(l.sku);
    if (!item) {
      removed.push(l.name);
      continue;
    }
    if (item.price !== l.unitPrice) repriced = true;
    out.push({ sku: l.sku, name: item.name, unitPrice: item.price, qty: l.qty });
  }
  return { lines: out, removed, changed: repriced || removed.length > 0 };
}

/** Every line is an item of `catalog` at its price there (else the basket was rung up on another catalog). */
export const basketMatchesCatalog = (lines: readonly BasketLine[], catalog: readonly CatalogItem[]): boolean =>
  !resolveBasket(lines, catalog).changed;
