// Projects the sale state (plus terminal status) onto the screen model every display draws.
import { text, reasonText, type Lang, type TextKey } from '../i18n.ts';
import { basketTotal } from '../rules/authorise.ts';
import { pageCount, readerBlocksSelling, rulesRefusal } from './machine.ts';
import { leftToday } from '../rules/parents.ts';
import { PAGE_SIZE, type CardView, type SaleContext, type SaleState } from './types.ts';
import type { ScreenCard, ScreenModel, ScreenView, BasketLine, OfflineReason, RulesView } from '../../contract/index.ts';

export interface TerminalStatus {
  lang: Lang;
  clubId: string;
  terminalId: string;
  online: boolean;
  /** While not online: why (the status bar says it). */
  offlineReason?: OfflineReason | null;
  queue: number;
  indicators: ScreenView['indicators'];
}

/** 1.1: the parent's note goes with the card (already stripped of control characters). */
const card = (c: CardView | null): ScreenCard | null => (c ? { name: c.name, balance: c.available, photo: c.photo, note: c.note ?? null } : null);

/** 1.1: on confirm, how much is left today after this basket; on a refusal by the rules, which item or how much is left. */
function rulesView(c: CardView, lines: BasketLine[], ctx: SaleContext, refused: string | null): RulesView | null {
  const refusal = rulesRefusal(c, lines, ctx);
  if (refused === 'category_blocked' && refusal?.reason === 'category_blocked') return { leftToday: leftToday(c.rules, c.spentToday ?? 0), blockedItem: refusal.item };
  const left = leftToday(c.rules, c.spentToday ?? 0);
  if (left === null) return null;
  return { leftToday: refused ? left : Math.max(0, left - basketTotal(lines)), blockedItem: null };
}
const basket = (lines: BasketLine[]) => ({ items: lines.map((l) => ({ ...l })), total: basketTotal(lines) });

type Hint = ScreenView['hints'][number];
const HINTS: Record<string, { da: string; en: string }> = {
  pay: { da: 'Betal', en: 'Pay' }, clear: { da: 'Ryd', en: 'Clear' }, undo: { da: 'Fortryd vare', en: 'Undo item' },
  pages: { da: 'Side', en: 'Page' }, approve: { da: 'Godkend', en: 'Approve' }, cancel: { da: 'Fortryd', en: 'Cancel' },
  back: { da: 'Tilbage', en: 'Back' }, void: { da: 'Annullér', en: 'Void' }, lastSale: { da: 'Sidste salg', en: 'Last sale' },
  report: { da: 'Rapport', en: 'Report' }, forward: { da: 'Send kø', en: 'Forward queue' }, items: { da: 'Vare', en: 'Item' },
};
const hints = (lang: Lang, ...pairs: [string, keyof typeof HINTS][]): Hint[] => pairs.map(([key, h]) => ({ key, label: HINTS[h]![lang] }));

export function toScreenModel(s: SaleState, ctx: SaleContext, st: TerminalStatus): ScreenModel {
  const t = (k: TextKey) => text(st.lang, k);
  const view: ScreenView = {
    lang: st.lang, clubId: st.clubId, terminalId: st.terminalId, queue: st.queue,
    reader: ctx.reader, indicators: st.indicators, offlineReason: st.online ? null : st.offlineReason ?? null,
    catalog: null, report: null, void: null, hints: [], busy: false, errorKind: null,
  };
  const cashier = ctx.cashier ? { name: ctx.cashier.name, role: ctx.cashier.role } : null;
  const base = { basket: null, card: null, result: null, online: st.online, cashier, view };

  if (readerBlocksSelling(s, ctx)) {
    const message = t(ctx.reader === 'replug' ? 'readerReplug' : ctx.reader === 'not_answering' ? 'readerNotAnswering' : 'readerError');
    return { ...base, screen: 'error', message, view: { ...view, errorKind: 'reader', hints: hints(st.lang, ['escape', 'clear']) } };
  }
  switch (s.screen) {
    case 'idle':
    case 'basket': {
      const pages = pageCount(ctx.catalog);
      const page = Math.min(s.page, pages - 1);
      const items = ctx.catalog.slice(page * PAGE_SIZE, (page + 1) * PAGE_SIZE)
        .map((it, i) => ({ key: String(i + 1), sku: it.sku, name: it.name, price: it.price }));
      const h = s.screen === 'idle'
        ? hints(st.lang, ['1-9', 'items'], ['up/down', 'pages'], ['f2', 'lastSale'], ['f3', 'report'], ['f5', 'forward'])
        : hints(st.lang, ['1-9', 'items'], ['enter', 'pay'], ['backspace', 'undo'], ['escape', 'clear'], ['up/down', 'pages']);
      return {
        ...base, screen: s.screen, basket: s.screen === 'basket' ? basket(s.lines) : null,
        message: t(s.notice ?? (s.screen === 'idle' ? 'idle' : 'basket')),
        view: { ...view, catalog: { page: page + 1, pages, items }, hints: h },
      };
    }
    case 'tap':
      return { ...base, screen: 'tap', basket: basket(s.lines), message: t(s.notice ?? 'tap'), view: { ...view, hints: hints(st.lang, ['escape', 'back']) } };
    case 'confirm':
      return {
        ...base, screen: 'confirm', basket: basket(s.lines), card: card(s.card),
        message: t(s.busy ? 'busy' : s.notice ?? (s.card.photo ? 'confirm' : 'confirmNoPhoto')),
        view: {
          ...view, busy: s.busy, hints: s.busy ? [] : hints(st.lang, ['enter', 'approve'], ['escape', 'cancel']),
          rules: rulesView(s.card, s.lines, ctx, null), lowBalance: s.card.available - basketTotal(s.lines) < ctx.lowBalance,
        },
      };
    case 'result': {
      const r = s.result;
      const msg = r.status === 'approved'
        ? t(s.voided ? 'voided' : s.offline ? 'approvedOffline' : 'approved')
        : `${t('declined')}: ${reasonText(st.lang, r.reason ?? 'invalid')}`;
      const byRules = r.reason === 'daily_limit' || r.reason === 'category_blocked';
      return {
        ...base, screen: 'result', card: card(s.card), result: { ...r }, message: msg,
        view: {
          ...view,
          rules: byRules && s.card && s.kept ? rulesView(s.card, s.kept.lines, ctx, r.reason) : null,
          lowBalance: r.status === 'approved' && !s.voided && r.balance !== null && r.balance < ctx.lowBalance,
        },
      };
    }
    case 'balance':
      return { ...base, screen: 'balance', card: card(s.card), message: t('balance') };
    case 'void':
      return {
        ...base, screen: 'void', message: t(s.refused ? 'voidNotAllowed' : s.sale ? 'voidPrompt' : 'voidNone'),
        view: { ...view, void: s.sale, hints: s.sale ? hints(st.lang, ['enter', 'void'], ['escape', 'back']) : hints(st.lang, ['escape', 'back']) },
      };
    case 'report':
      return { ...base, screen: 'report', message: t('report'), view: { ...view, report: { ...s.report, queue: st.queue }, hints: hints(st.lang, ['escape', 'back']) } };
  }
}
