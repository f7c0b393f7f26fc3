// Projects the sale state (plus terminal status) onto the screen model every display draws.
import { nextText, text, reasonText, type HintKey, type Lang, type TextKey } from '../words.ts';
import { basketTotal } from '../rules/basket.ts';
import { pageCount, readerBlocksSelling, rulesRefusal } from './machine.ts';
import { leftToday } from '../rules/parents.ts';
import { mayVoid } from '../rules/cashiers.ts';
import { PAGE_SIZE, type CardView, type SaleContext, type SaleState } from './types.ts';
import type {
  ScreenCard,
  ScreenModel,
  ScreenView,
  BasketLine,
  OfflineReason,
  RulesView,
  VoidView,
} from '../../contract/index.ts';

export interface TerminalStatus {
  lang: Lang;
  clubId: string;
  terminalId: string;
  online: boolean;
  /** While not online: why (the status bar says it). */
  offlineReason?: OfflineReason | null;
  /** Since when the ledger has not answered (ISO), or null (the status bar says it). */
  ledgerSilentSince?: string | null;
  queue: number;
  indicators: ScreenView['indicators'];
}

/** The parent's note goes with the card (already stripped of control characters). */
const card = (c: CardView | null): ScreenCard | null =>
  c ? { name: c.name, balance: c.available, photo: c.photo, note: c.note ?? null } : null;

/** On confirm, how much is left today after this basket; on a refusal by the rules, which item or how much is left. */
function rulesView(c: CardView, lines: BasketLine[], ctx: SaleContext, refused: string | null): RulesView | null {
  const refusal = rulesRefusal(c, lines, ctx);
  if (refused === 'category_blocked' && refusal?.reason === 'category_blocked')
    return { leftToday: leftToday(c.rules, c.spentToday ?? 0), blockedItem: refusal.item };
  const left = leftToday(c.rules, c.spentToday ?? 0);
  if (left === null) return null;
  return { leftToday: refused ? left : Math.max(0, left - basketTotal(lines)), blockedItem: null };
}
/** A notice as the cashier reads it: a catalog change, or the `0` key, names the items it took out of the basket. */
function noticeText(
  lang: Lang,
  s: { notice: TextKey | null; removed?: readonly string[] },
  otherwise: TextKey,
): string {
  const msg = text(lang, s.notice ?? otherwise);
  return s.notice === 'catalogItemRemoved' || s.notice === 'blockedRemoved'
    ? msg.replace('{items}', (s.removed ?? []).join(', '))
    : msg;
}

/** The void screen's line when the signed-in cashier may not void the sale: who must sign in instead. */
function voidRefusal(lang: Lang, sale: VoidView): string {
  if (!sale.cashierId) return text(lang, 'voidLeadOnly');
  return text(lang, 'voidSellerOrLead').replace('{seller}', sale.seller ?? text(lang, 'theSeller'));
}

type ResultState = Extract<SaleState, { screen: 'result' }>;

/** After a result, in words: what the cashier does next (the keys for it are the hints). */
function nextStep(s: ResultState): string {
  const ok = s.result.status === 'approved';
  if (s.voided) return ok ? 'voided' : 'voidFailed';
  if (ok) return s.offline ? 'approvedOffline' : 'approved';
  return s.result.reason ?? 'invalid';
}
const basket = (lines: BasketLine[]) => ({ items: lines.map((l) => ({ ...l })), total: basketTotal(lines) });

type Hint = ScreenView['hints'][number];
type HintPair = [key: string, label: HintKey];
const hints = (lang: Lang, ...pairs: HintPair[]): Hint[] => pairs.map(([key, h]) => ({ key, label: text(lang, h) }));

/**
 * Every result ends with what comes next: a declined basket goes back to the basket (a blocked
 * category's lines can be taken out with 0), anything else to a new customer or back.
 */
function resultHints(s: ResultState, kept: boolean): HintPair[] {
  if (kept)
    return s.result.reason === 'category_blocked'
      ? [
          ['0', 'hintRemoveBlocked'],
          ['enter', 'hintToBasket'],
        ]
      : [['enter', 'hintToBasket']];
  return [['enter', s.voided || s.result.status === 'declined' ? 'hintBack' : 'hintNextCustomer']];
}

export function toScreenModel(s: SaleState, ctx: SaleContext, st: TerminalStatus): ScreenModel {
  const t = (k: TextKey) => text(st.lang, k);
  const view: ScreenView = {
    lang: st.lang,
    clubId: st.clubId,
    terminalId: st.terminalId,
    queue: st.queue,
    reader: ctx.reader,
    indicators: st.indicators,
    offlineReason: st.online ? null : (st.offlineReason ?? null),
    ledgerSilentSince: st.ledgerSilentSince ?? null,
    catalog: null,
    report: null,
    void: null,
    hints: [],
    busy: false,
    errorKind: null,
  };
  const cashier = ctx.cashier ? { name: ctx.cashier.name, role: ctx.cashier.role } : null;
  const base = { basket: null, card: null, result: null, online: st.online, cashier, view };

  if (readerBlocksSelling(s, ctx)) {
    const message = t(
      ctx.reader === 'replug'
        ? 'readerReplugPrompt'
        : ctx.reader === 'not_answering'
          ? 'readerRestarting'
          : 'readerError',
    );
    return {
      ...base,
      screen: 'error',
      message,
      view: { ...view, errorKind: 'reader', hints: hints(st.lang, ['escape', 'hintClear']) },
    };
  }
  switch (s.screen) {
    case 'idle':
    case 'basket': {
      const pages = pageCount(ctx.catalog);
      const page = Math.min(s.page, pages - 1);
      const items = ctx.catalog
        .slice(page * PAGE_SIZE, (page + 1) * PAGE_SIZE)
        .map((it, i) => ({ key: String(i + 1), sku: it.sku, name: it.name, price: it.price }));
      const h =
        s.screen === 'idle'
          ? hints(
              st.lang,
              ['1-9', 'hintItems'],
              ['up/down', 'hintPages'],
              ['f2', 'hintLastSale'],
              ['f3', 'hintReport'],
              ['f5', 'hintForward'],
            )
          : hints(
              st.lang,
              ['1-9', 'hintItems'],
              ['enter', 'hintPay'],
              ['backspace', 'hintUndo'],
              ['escape', 'hintClear'],
              ['up/down', 'hintPages'],
            );
      return {
        ...base,
        screen: s.screen,
        basket: s.screen === 'basket' ? basket(s.lines) : null,
        // "Still loading" goes once the catalog is here.
        message: noticeText(
          st.lang,
          s.notice === 'catalogPending' && ctx.catalog.length > 0 ? { notice: null } : s,
          s.screen === 'idle' ? 'idle' : 'basketPrompt',
        ),
        view: { ...view, catalog: { page: page + 1, pages, items }, hints: h },
      };
    }
    case 'tap':
      return {
        ...base,
        screen: 'tap',
        basket: basket(s.lines),
        message: noticeText(st.lang, s, 'tap'),
        view: { ...view, hints: hints(st.lang, ['escape', 'hintBack']) },
      };
    case 'confirm':
      return {
        ...base,
        screen: 'confirm',
        basket: basket(s.lines),
        card: card(s.card),
        message: t(s.busy ? 'busy' : (s.notice ?? (s.card.photo ? 'confirm' : 'confirmNoPhoto'))),
        view: {
          ...view,
          busy: s.busy,
          hints: s.busy ? [] : hints(st.lang, ['enter', 'hintApprove'], ['escape', 'hintCancel']),
          rules: rulesView(s.card, s.lines, ctx, null),
          lowBalance: s.card.available - basketTotal(s.lines) < ctx.lowBalance,
        },
      };
    case 'result': {
      const r = s.result;
      const msg =
        r.status === 'approved'
          ? t(s.voided ? 'voided' : s.offline ? 'approvedOffline' : 'saleApproved')
          : `${t('saleDeclined')}: ${reasonText(st.lang, r.reason ?? 'invalid')}`;
      const byRules = r.reason === 'daily_limit' || r.reason === 'category_blocked';
      const kept = r.status === 'declined' && s.kept && s.kept.lines.length ? s.kept : null;
      return {
        ...base,
        screen: 'result',
        card: card(s.card),
        result: { ...r },
        message: msg,
        basket: kept && basket(kept.lines),
        view: {
          ...view,
          hints: hints(st.lang, ...resultHints(s, kept !== null)),
          next: nextText(st.lang, nextStep(s)),
          void: s.void ?? null,
          rules: byRules && s.card && s.kept ? rulesView(s.card, s.kept.lines, ctx, r.reason) : null,
          lowBalance: r.status === 'approved' && !s.voided && r.balance !== null && r.balance < ctx.lowBalance,
        },
      };
    }
    case 'balance':
      return { ...base, screen: 'balance', card: card(s.card), message: t('balance') };
    case 'void': {
      // Enter is offered only to who may void the sale; anyone else is told who must sign in.
      const allowed = s.sale !== null && mayVoid(s.sale.cashierId ?? null, ctx.cashier, ctx.requireCashier);
      return {
        ...base,
        screen: 'void',
        message: !s.sale ? t('voidNone') : allowed ? t('voidPrompt') : voidRefusal(st.lang, s.sale),
        view: {
          ...view,
          void: s.sale,
          hints: allowed
            ? hints(st.lang, ['enter', 'hintVoid'], ['escape', 'hintBack'])
            : hints(st.lang, ['escape', 'hintBack']),
        },
      };
    }
    case 'report':
      return {
        ...base,
        screen: 'report',
        message: t('reportPrompt'),
        view: { ...view, report: { ...s.report, queue: st.queue }, hints: hints(st.lang, ['escape', 'hintBack']) },
      };
  }
}
