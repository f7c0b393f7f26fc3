// confirm, balance and result: the child's photo large beside name and money, and the verdict.
import { COLORS, cols, inset, wrap, type Canvas, type Rect, type Style } from './canvas.ts';
import { BIG_ROWS, drawBig } from './bigtext.ts';
import { drawPhoto, photoCellSize } from './photo.ts';
import { formatKr } from './format.ts';
import { keyCap, labels, type Lang } from './labels.ts';
import { resultLines } from './result-text.ts';
import { drawTotal } from './screens-sale.ts';
import type { DrawContext, ScreenRenderer } from './draw-context.ts';
import type { ScreenCard, ScreenModel } from '../../contract/index.ts';

/** Wrapped text centred in the rect from row y; returns the rows used. */
function centredLines(c: Canvas, r: Rect, y: number, text: string, st: Style): number {
  const lines = wrap(text, r.w).slice(0, Math.max(0, r.y + r.h - y));
  lines.forEach((s, i) => c.centre(r, y + i, s, st));
  return lines.length;
}

/** A warning that fills the photo box: nothing must look like "a photo is coming". */
function photoWarning(c: Canvas, box: Rect, text: string): void {
  c.fill(box, { bg: COLORS.errBg });
  const inner = inset(box, 1);
  const lines = wrap(text, inner.w);
  const top = box.y + Math.max(0, Math.floor((box.h - lines.length - BIG_ROWS - 1) / 2));
  const y = top + drawBig(c, inner, top, '!', { fg: COLORS.yellow, bold: true }) + 1;
  centredLines(c, inner, y, text, { fg: COLORS.white, bold: true });
}

/** The photo box on the left (as large as the photo allows), the rest of the body for the text. */
function cardLayout(c: Canvas, body: Rect, card: ScreenCard, ctx: DrawContext, lang: Lang): Rect {
  const l = labels(lang);
  const mode = ctx.photoMode ?? { kind: 'cells' };
  // Without a way to show it, the photo is not even loaded.
  const state = card.photo && mode.kind !== 'none' ? ctx.photo(card.photo) : null;
  const maxW = Math.floor(body.w * 0.55);
  // A portrait 3:4 box until the photo's real shape is known.
  const shape = state?.kind === 'ready' ? state.img : { width: 3, height: 4 };
  const boxW = Math.min(maxW, photoCellSize(shape, maxW - 2, body.h, mode.kind === 'pixels' ? mode.cell : undefined).cols + 2);
  const [box, info] = cols(body, boxW, 2);
  c.fill(box, { bg: COLORS.photoBg });
  if (card.photo && mode.kind === 'none') photoWarning(c, box, l.photoCannotShow.toUpperCase());
  else if (state === null) photoWarning(c, box, l.noPhoto.toUpperCase());
  else if (state.kind === 'missing') photoWarning(c, box, l.photoMissing.toUpperCase());
  else if (state.kind === 'loading') c.centre(box, box.y + Math.floor(box.h / 2), l.photoLoading, { fg: COLORS.grey });
  else if (mode.kind === 'pixels') mode.place(inset(box, 1), state.img);
  else drawPhoto(c, inset(box, 1), state.img);
  return info;
}

function drawName(c: Canvas, r: Rect, name: string): number {
  const lines = wrap(name, r.w).slice(0, 2);
  lines.forEach((s, i) => c.text(r.x, r.y + i, s, { bold: true, fg: COLORS.white }));
  return lines.length;
}

/** The keys the cashier can press now as coloured buttons, one a row, from the bottom up. */
function drawButtons(c: Canvas, r: Rect, m: ScreenModel): void {
  const l = labels(m.view.lang);
  const bottom = r.y + r.h;
  if (m.view.busy) {
    c.fill({ ...r, y: bottom - 1, h: 1 }, { bg: COLORS.yellow });
    c.centre(r, bottom - 1, l.working, { fg: COLORS.black, bold: true });
    return;
  }
  const hints = m.view.hints.slice(-Math.max(0, Math.floor((r.h + 1) / 2)));
  hints.forEach((h, i) => {
    const y = bottom - (hints.length - i) * 2 + 1;
    const bg = h.key === 'enter' ? COLORS.okBg : h.key === 'escape' ? COLORS.errBg : COLORS.panel;
    c.fill({ ...r, y, h: 1 }, { bg });
    c.text(r.x + 1, y, `${keyCap(h.key)}  ${h.label}`, { fg: COLORS.white, bold: true }, r.w - 2);
  });
}

/** 1.1: the parent's note (e.g. an allergy), in yellow so the cashier reads it; returns the rows used. */
function drawNote(c: Canvas, r: Rect, y: number, note: string | null | undefined, lang: Lang): number {
  if (!note) return 0;
  const lines = wrap(`${labels(lang).note}: ${note}`, r.w).slice(0, 3);
  lines.forEach((s, i) => c.text(r.x, y + i, s, { fg: COLORS.yellow, bold: true }));
  return lines.length;
}

/** 1.1: the parents' rules (which item is blocked, how much is left today) and the low-balance warning. */
function ruleLines(m: ScreenModel): [string, Style][] {
  const l = labels(m.view.lang);
  const out: [string, Style][] = [];
  const r = m.view.rules;
  if (r?.blockedItem) out.push([`${l.blockedItem}: ${r.blockedItem}`, { fg: COLORS.yellow, bold: true }]);
  if (r && r.leftToday !== null) out.push([`${l.leftToday}: ${formatKr(r.leftToday, m.view.lang)}`, { fg: COLORS.yellow, bold: true }]);
  if (m.view.lowBalance) out.push([l.lowBalance, { fg: COLORS.yellow, bold: true }]);
  return out;
}

export const drawConfirm: ScreenRenderer = (c, body, m, ctx) => {
  if (!m.card) return;
  const lang = m.view.lang;
  const l = labels(lang);
  const info = cardLayout(c, body, m.card, ctx, lang);
  let y = info.y + drawName(c, info, m.card.name);
  y += drawNote(c, info, y, m.card.note, lang) + 1;
  const total = m.basket?.total ?? 0;
  const after = m.card.balance - total;
  const lines: [string, number, Style][] = [
    [l.balance, m.card.balance, { fg: COLORS.grey }],
    [l.afterSale, after, { fg: after < 0 ? COLORS.red : COLORS.grey, bold: after < 0 }],
  ];
  // The total is big only if the money lines and the buttons still fit below it.
  const below = lines.length + 2 * Math.max(1, m.view.hints.length);
  y += drawTotal(c, { ...info, h: info.h - below }, y, l.total, total, lang) + 1;
  for (const [label, amount, st] of lines) c.spread(info, y++, label, formatKr(amount, lang), st);
  for (const [s, st] of ruleLines(m)) if (y < info.y + info.h) c.text(info.x, y++, s, st, info.w);
  drawButtons(c, { ...info, y: y + 1, h: info.y + info.h - y - 1 }, m);
};

export const drawBalance: ScreenRenderer = (c, body, m, ctx) => {
  if (!m.card) return;
  const lang = m.view.lang;
  const info = cardLayout(c, body, m.card, ctx, lang);
  let y = info.y + drawName(c, info, m.card.name);
  y += drawNote(c, info, y, m.card.note, lang) + 1;
  drawTotal(c, info, y, labels(lang).balance, m.card.balance, lang, m.card.balance < 0 ? COLORS.red : COLORS.green);
};

export const drawResult: ScreenRenderer = (c, body, m) => {
  const r = m.result;
  if (!r) return;
  const lang = m.view.lang;
  const l = labels(lang);
  const ok = r.status === 'approved';
  c.fill(body, { bg: ok ? COLORS.okBg : COLORS.errBg, fg: COLORS.white });
  const lines = resultLines(m, ruleLines(m).map(([s]) => s));
  const inner = inset(body, 1);
  let y = body.y + Math.max(0, Math.floor((body.h - BIG_ROWS - 1 - lines.length) / 2));
  y += drawBig(c, inner, y, ok ? l.approved : l.declined, { fg: COLORS.white, bold: true }) + 1;
  lines.forEach((s, i) => { y += centredLines(c, inner, y, s, { fg: COLORS.white, bold: i === 0 }); });
};
