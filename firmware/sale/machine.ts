// Pure transitions of the sale state machine: (state, event, context) → (state, effects).
import type { KeyName, CatalogItem } from '../../contract/index.ts';
import { basketTotal, checkBasket, type BasketCheck } from '../rules/basket.ts';
import { blockedBy, checkParentRules, withCategories, type RuleRefusal } from '../rules/parents.ts';
import { afterStaffTap, mayVoid } from '../rules/cashiers.ts';
import { resolveBasket, type ResolvedBasket } from '../rules/basket-catalog.ts';
import type { TextKey } from '../words.ts';
import type { BasketLine } from '../../contract/index.ts';
import {
  PAGE_SIZE,
  type CardView,
  type Effect,
  type KeptBasket,
  type SaleContext,
  type SaleEvent,
  type SaleState,
  type TapLookup,
} from './types.ts';

export interface Step {
  state: SaleState;
  effects: Effect[];
}

export const initialState = (): SaleState => ({ screen: 'idle', lines: [], page: 0, notice: null });

const stay = (state: SaleState): Step => ({ state, effects: [] });
const off: Effect = { type: 'indicate', led: 'off', buzzer: null };

/** What the cashier is told when an item cannot be added. */
const NOTICE = {
  item_too_expensive: 'itemTooExpensive',
  over_max_purchase: 'overMaxPurchase',
  too_many_lines: 'tooManyLines',
  too_many_of_item: 'tooManyOfItem',
} as const satisfies Record<Exclude<BasketCheck, 'ok'>, TextKey>;

export const pageCount = (catalog: readonly unknown[]): number => Math.max(1, Math.ceil(catalog.length / PAGE_SIZE));

/** The reader is gone or silent: the screen shows the error and only clearing the basket is possible. */
export const readerBlocksSelling = (s: SaleState, ctx: SaleContext): boolean =>
  ctx.reader !== 'ready' && (s.screen === 'idle' || s.screen === 'basket' || s.screen === 'tap');

export function transition(state: SaleState, ev: SaleEvent, ctx: SaleContext): Step {
  switch (ev.type) {
    case 'key':
      return onKey(state, ev.key, ctx);
    case 'tap':
      return onTap(state, ev.lookup, ctx);
    case 'reader':
      // Pulled out or silent (and again when a re-plug is asked for): red and the error sound;
      // ready again: the lights go off where nothing else shows.
      if (ev.status === ctx.reader) return stay(state);
      if (ev.status !== 'ready') return { state, effects: [{ type: 'indicate', led: 'red', buzzer: 'error' }] };
      return { state, effects: state.screen === 'idle' ? [off] : [] };
    case 'readError':
      if (state.screen !== 'tap' && state.screen !== 'basket' && state.screen !== 'idle') return stay(state);
      return { state: { ...state, notice: 'readError' }, effects: [{ type: 'indicate', led: 'red', buzzer: 'error' }] };
    case 'decided':
      if (state.screen !== 'confirm' || !state.busy) return stay(state);
      return showResult(
        {
          screen: 'result',
          result: ev.result,
          card: ev.card,
          offline: ev.offline,
          voided: false,
          kept: ev.result.status === 'declined' ? { lines: state.lines, page: state.page } : null,
        },
        ctx,
      );
    case 'catalogChanged':
      return onCatalog(state, ctx);
    case 'cardChanged': {
      // A card blocked or closed while the cashier looks at it is refused at once; so is a basket
      // the parents' new rules refuse.
      if (state.screen !== 'confirm' || state.busy || state.card.uid !== lookupUid(ev.lookup)) return stay(state);
      // So is one whose money no longer covers the basket (spent at another terminal meanwhile).
      const kept = { lines: state.lines, page: state.page };
      if (!ev.lookup.ok) return refuse(ev.lookup.reason, ev.lookup.card, kept, ctx);
      const refusal = tapRefusal(ev.lookup.card, state.lines, ctx);
      return refusal ? refuse(refusal, ev.lookup.card, kept, ctx) : stay({ ...state, card: ev.lookup.card });
    }
    case 'voidLoaded':
      return state.screen === 'void' ? stay({ screen: 'void', sale: ev.sale }) : stay(state);
    case 'voided':
      if (state.screen !== 'void') return stay(state);
      return showResult(
        { screen: 'result', result: ev.result, card: null, offline: false, voided: true, void: state.sale },
        ctx,
      );
    case 'reportLoaded':
      return state.screen === 'report' ? stay({ screen: 'report', report: ev.report }) : stay(state);
    case 'timeout':
      return state.screen === 'result' || state.screen === 'balance' ? afterResult(state, ctx) : stay(state);
    case 'recovered':
      if (state.screen !== 'idle' || state.lines.length > 0) return stay(state);
      return showResult(
        { screen: 'result', result: ev.result, card: ev.card, offline: ev.offline, voided: false },
        ctx,
      );
  }
}

function lookupUid(l: TapLookup): string | undefined {
  return l.card?.uid;
}

/** 1.1 `requireCashier`: nothing is sold while nobody is signed in (also a basket rung up before an idle sign-out). */
const cashierMissing = (ctx: SaleContext): boolean => ctx.requireCashier && !ctx.cashier;
const needCashier = (state: Extract<SaleState, { notice: unknown }>): Step => ({
  state: { ...state, notice: 'cashierRequired' },
  effects: [{ type: 'indicate', led: 'red', buzzer: 'error' }],
});

function toIdle(): Step {
  return { state: initialState(), effects: [off] };
}

/**
 * After a declined sale the basket is kept (back to `basket` with the same lines); else idle.
 * A catalog that changed while the result was shown is applied on the way back.
 */
function afterResult(state: SaleState, ctx: SaleContext): Step {
  const kept = state.screen === 'result' ? state.kept : null;
  if (!kept || kept.lines.length === 0) return toIdle();
  const r = resolveBasket(kept.lines, ctx.catalog);
  if (r.changed) return basketChanged(r, kept.page);
  return { state: { screen: 'basket', lines: r.lines, page: kept.page, notice: null }, effects: [off] };
}

/** The basket a new catalog changed (an item gone or a price): shown again, with what changed, and a signal. */
function basketChanged(r: ResolvedBasket, page: number, screen: 'basket' | 'tap' = 'basket'): Step {
  const notice = r.removed.length
    ? { notice: 'catalogItemRemoved' as const, removed: r.removed }
    : { notice: 'catalogChanged' as const };
  return {
    state: { screen: r.lines.length ? screen : 'idle', lines: r.lines, page, ...notice },
    effects: [{ type: 'indicate', led: 'red', buzzer: 'error' }],
  };
}

/**
 * A new catalog version: the open basket takes its prices, names and categories (the parents'
 * rules read them from the catalog), and loses the items that are gone. On `confirm` a changed
 * basket goes back to `basket`: the cashier never approves a total that was not shown, and the
 * next tap runs every check of the tap (money, rules, card) on the new basket. While the sale is
 * being decided nothing changes here: the authoriser checks the basket against the catalog once
 * more, and a kept basket is resolved when the result gives way.
 */
function onCatalog(state: SaleState, ctx: SaleContext): Step {
  if (state.screen !== 'basket' && state.screen !== 'tap' && (state.screen !== 'confirm' || state.busy))
    return stay(state);
  const r = resolveBasket(state.lines, ctx.catalog);
  if (r.changed) return basketChanged(r, state.page, state.screen === 'tap' ? 'tap' : 'basket');
  const renamed = r.lines.some((l, i) => l.name !== state.lines[i].name);
  const next = renamed ? { ...state, lines: r.lines } : state;
  if (next.screen !== 'confirm') return stay(next);
  // Same prices, but an item's category may have changed: the parents' rules judge the new one.
  const refusal = tapRefusal(next.card, next.lines, ctx);
  return refusal ? refuse(refusal, next.card, { lines: next.lines, page: next.page }, ctx) : stay(next);
}

/** What the parents' rules say about this basket for this card (null: nothing against it). */
export function rulesRefusal(card: CardView, lines: readonly BasketLine[], ctx: SaleContext): RuleRefusal | null {
  return checkParentRules(card.rules, withCategories(lines, ctx.catalog), card.spentToday ?? 0);
}

/**
 * Why a card that may pay is refused this basket before the cashier can approve it, or null: the
 * parents' rules, then the money (contract 1.1, clarified: a card whose available money is
 * below the basket's total is refused at the tap, online as offline, as a blocked one is).
 */
export function tapRefusal(card: CardView, lines: readonly BasketLine[], ctx: SaleContext): string | null {
  const refusal = rulesRefusal(card, lines, ctx);
  if (refusal) return refusal.reason;
  return card.available < basketTotal(lines) ? 'insufficient_funds' : null;
}

function showResult(state: Extract<SaleState, { screen: 'result' }>, ctx: SaleContext): Step {
  const ok = state.result.status === 'approved';
  return {
    state,
    effects: [
      { type: 'indicate', led: ok ? 'green' : 'red', buzzer: ok ? 'approve' : 'decline' },
      { type: 'resetAfter', ms: ctx.resultScreenMs },
    ],
  };
}

/**
 * Blocked, closed, unknown, against the parents' rules or without the money: refused before confirm,
 * nothing sent; the basket is kept, and the refusal of a basket goes into the journal (the report
 * counts it).
 */
function refuse(reason: string, card: CardView | null, kept: KeptBasket | null, ctx: SaleContext): Step {
  const step = showResult(
    {
      screen: 'result',
      result: { status: 'declined', reason, balance: card?.available ?? null, txId: null },
      card,
      offline: false,
      voided: false,
      kept,
    },
    ctx,
  );
  if (!kept || kept.lines.length === 0) return step;
  return { ...step, effects: [...step.effects, { type: 'recordRefusal', lines: kept.lines, card, reason }] };
}

/**
 * `0` on the refusal of a blocked category: the blocked lines leave the basket and the rest comes
 * back (Backspace takes only the last line; a blocked one may be in the middle). The basket is
 * first resolved against the catalog, which may have changed while the result was shown.
 */
function removeBlocked(state: Extract<SaleState, { screen: 'result' }>, ctx: SaleContext): Step | null {
  const { kept, card } = state;
  if (state.result.reason !== 'category_blocked' || !kept || !card) return null;
  const r = resolveBasket(kept.lines, ctx.catalog);
  const isBlocked = blockedBy(card.rules);
  const ruled = withCategories(r.lines, ctx.catalog);
  const lines = r.lines.filter((_, i) => !isBlocked(ruled[i]));
  if (r.changed) return basketChanged({ ...r, lines }, kept.page);
  const removed = r.lines.filter((_, i) => isBlocked(ruled[i])).map((l) => l.name);
  if (removed.length === 0) return null;
  return {
    state: { screen: lines.length ? 'basket' : 'idle', lines, page: kept.page, notice: 'blockedRemoved', removed },
    effects: [off],
  };
}

function onTap(state: SaleState, lookup: TapLookup, ctx: SaleContext): Step {
  if (readerBlocksSelling(state, ctx)) return stay(state);
  const tapped: Effect = { type: 'indicate', led: 'yellow', buzzer: 'tap' };
  if (lookup.ok === false && lookup.reason === 'staff') {
    // A staff card never pays; on idle with an empty basket it signs in or out, elsewhere it is ignored.
    if (state.screen !== 'idle' || state.lines.length > 0) return stay(state);
    const cashier = afterStaffTap(ctx.cashier, lookup.staff);
    // Signed in: the newcomer's role; signed out: the tapped card's (its holder leaves).
    const lead = (cashier ?? lookup.staff).role === 'lead';
    const notice = cashier ? (lead ? 'leadSignedIn' : 'signedIn') : lead ? 'leadSignedOut' : 'signedOut';
    return { state: { ...state, notice }, effects: [tapped, { type: 'setCashier', cashier }] };
  }
  const hasBasket = (state.screen === 'basket' || state.screen === 'tap') && state.lines.length > 0;
  // A tap where no sale is going on shows the balance.
  const balanceScreens = state.screen === 'idle' || state.screen === 'result' || state.screen === 'balance';
  if (!hasBasket && !balanceScreens) return stay(state);
  const b = hasBasket ? (state as Extract<SaleState, { screen: 'basket' | 'tap' }>) : null;
  const kept = b && { lines: b.lines, page: b.page };
  if (!lookup.ok) return refuse(lookup.reason, lookup.card, kept, ctx);
  if (!b)
    return {
      state: { screen: 'balance', card: lookup.card },
      effects: [tapped, { type: 'resetAfter', ms: ctx.resultScreenMs }],
    };
  if (cashierMissing(ctx)) return needCashier(b);
  // The parents' rules and the money, checked at the tap, before the cashier can approve.
  const refusal = tapRefusal(lookup.card, b.lines, ctx);
  if (refusal) return refuse(refusal, lookup.card, kept, ctx);
  return {
    state: { screen: 'confirm', lines: b.lines, page: b.page, notice: null, card: lookup.card, busy: false },
    effects: [tapped],
  };
}

function onKey(state: SaleState, key: KeyName, ctx: SaleContext): Step {
  if (readerBlocksSelling(state, ctx)) {
    return key === 'escape' && state.screen !== 'idle' ? toIdle() : stay(state);
  }
  switch (state.screen) {
    case 'idle':
    case 'basket':
      return onBasketKey(state, key, ctx);
    case 'tap':
      return key === 'escape' ? stay({ ...state, screen: 'basket', notice: null }) : stay(state);
    case 'confirm':
      if (state.busy) return stay(state);
      if (key === 'enter' && cashierMissing(ctx)) return needCashier(state);
      if (key === 'enter')
        return {
          state: { ...state, busy: true },
          effects: [{ type: 'authorise', lines: state.lines, card: state.card }],
        };
      if (key === 'escape')
        return { state: { screen: 'basket', lines: state.lines, page: state.page, notice: null }, effects: [off] };
      return stay(state);
    case 'result':
      return (key === '0' && removeBlocked(state, ctx)) || afterResult(state, ctx);
    case 'balance':
      return afterResult(state, ctx);
    case 'void':
      if (key === 'escape') return toIdle();
      if (key === 'enter' && state.sale && !state.sale.voided) {
        // Only the cashier who made the sale or a lead (nobody signed in: only without requireCashier);
        // the screen already says who must sign in and offers no Enter.
        if (!mayVoid(state.sale.cashierId ?? null, ctx.cashier, ctx.requireCashier)) {
          return { state, effects: [{ type: 'indicate', led: 'red', buzzer: 'error' }] };
        }
        return { state, effects: [{ type: 'void', txId: state.sale.txId }] };
      }
      return stay(state);
    case 'report':
      return key === 'escape' || key === 'enter' ? toIdle() : stay(state);
  }
}

function onBasketKey(state: Extract<SaleState, { screen: 'idle' | 'basket' }>, key: KeyName, ctx: SaleContext): Step {
  const pages = pageCount(ctx.catalog);
  const page = Math.min(state.page, pages - 1);
  const withLines = (lines: BasketLine[]): Step =>
    stay({ screen: lines.length ? 'basket' : 'idle', lines, page, notice: null });
  if (/^[1-9]$/.test(key)) {
    // With requireCashier nothing is sold while nobody is signed in.
    if (cashierMissing(ctx)) return needCashier(state);
    const item = ctx.catalog[page * PAGE_SIZE + Number(key) - 1];
    if (!item) return ctx.catalog.length === 0 ? stay({ ...state, notice: 'catalogPending' }) : stay(state);
    const lines = addItem(state.lines, item);
    const check = checkBasket(lines, ctx.maxPurchase);
    if (check !== 'ok') {
      return {
        state: { ...state, notice: NOTICE[check] },
        effects: [{ type: 'indicate', led: 'red', buzzer: 'error' }],
      };
    }
    return withLines(lines);
  }
  switch (key) {
    case 'up':
      return stay({ ...state, page: (page + pages - 1) % pages });
    case 'down':
      return stay({ ...state, page: (page + 1) % pages });
    case 'backspace':
      return withLines(removeLast(state.lines));
    case 'escape':
      return state.lines.length ? toIdle() : stay({ ...state, notice: null });
    case 'enter':
      if (state.lines.length && cashierMissing(ctx)) return needCashier(state);
      return state.lines.length ? stay({ screen: 'tap', lines: state.lines, page, notice: null }) : stay(state);
    case 'f2':
      return state.screen === 'idle'
        ? { state: { screen: 'void', sale: null }, effects: [{ type: 'loadVoid' }] }
        : stay(state);
    case 'f3':
      return state.screen === 'idle'
        ? { state: { screen: 'report', report: emptyReport() }, effects: [{ type: 'loadReport' }] }
        : stay(state);
    case 'f5':
      return { state, effects: [{ type: 'forward' }] };
    default:
      return stay(state);
  }
}

/** Adds one of `item`; repeated presses of the same key raise the last line's quantity. */
export function addItem(lines: readonly BasketLine[], item: CatalogItem): BasketLine[] {
  const last = lines[lines.length - 1];
  if (last && last.sku === item.sku && last.unitPrice === item.price)
    return [...lines.slice(0, -1), { ...last, qty: last.qty + 1 }];
  return [...lines, { sku: item.sku, name: item.name, unitPrice: item.price, qty: 1 }];
}

/** Backspace undoes the last item added. */
export function removeLast(lines: readonly BasketLine[]): BasketLine[] {
  const last = lines[lines.length - 1];
  if (!last) return [];
  return last.qty > 1 ? [...lines.slice(0, -1), { ...last, qty: last.qty - 1 }] : lines.slice(0, -1);
}

const emptyReport = () => ({
  date: '',
  sales: 0,
  salesTotal: 0,
  offlineSales: 0,
  offlineTotal: 0,
  voids: 0,
  voidsTotal: 0,
  net: 0,
  declined: 0,
  declinedBy: [],
  queue: 0,
});
