// confirm, balance and result: the child's photo large beside name and money, and the verdict.
import { COLORS, cols, inset, width, wrap, type Canvas, type Rect, type Style } from './draw/canvas.ts';
import { BIG_ROWS, bigWidth, drawBig } from './bigtext.ts';
import { drawPhoto, photoCellSize } from './photo/photo.ts';
import { formatKr } from './format.ts';
import { keyCap, labels, type Lang } from './labels.ts';
import { resultLines } from './result-text.ts';
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
  const boxW = Math.min(
    maxW,
    photoCellSize(shape, maxW - 2, body.h, mode.kind === 'pixels' ? mode.cell : undefined).cols + 2,
  );
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

/** One part of the text column: its height, and how to draw it from row y. */
interface Block {
  rows: number;
  draw(y: number): void;
}
const SPACER: Block = { rows: 1, draw: () => undefined };

/**
 * The child's name as large as the column allows, for "is this the right child?": the first name
 * (what the cashier asks the child) in the big font, the whole name in bold under it; without room
 * (`big` false) or a glyph for it, only the whole name in bold, on up to two lines.
 */
function nameBlock(c: Canvas, r: Rect, name: string, big: boolean): Block {
  const first = name.trim().split(/\s+/)[0] ?? '';
  const lines = wrap(name, r.w).slice(0, 2);
  const text = (y: number) => lines.forEach((s, i) => c.text(r.x, y + i, s, { bold: true, fg: COLORS.white }, r.w));
  if (big && first !== '' && (bigWidth(first) ?? Infinity) <= r.w) {
    return {
      rows: BIG_ROWS + lines.length,
      draw: (y) => {
        bigLeft(c, r, y, first, COLORS.white);
        text(y + BIG_ROWS);
      },
    };
  }
  return { rows: lines.length, draw: text };
}

/** Big text from the rect's left edge (the name and the amounts line up with the text under them). */
function bigLeft(c: Canvas, r: Rect, y: number, s: string, fg: number): void {
  drawBig(c, { ...r, w: bigWidth(s) ?? r.w }, y, s, { fg, bold: true });
}

/** An amount under its label: big with the label to its left when both fit, else one line. */
function amountBlock(c: Canvas, r: Rect, label: string, amount: number, lang: Lang, fg: number, big: boolean): Block {
  const text = formatKr(amount, lang);
  const w = bigWidth(text) ?? Infinity;
  if (big && width(label) + 2 + w <= r.w) {
    return {
      rows: BIG_ROWS,
      draw: (y) => {
        c.text(r.x, y + 2, label, { fg: COLORS.grey });
        bigLeft(c, { ...r, x: r.x + r.w - w }, y, text, fg);
      },
    };
  }
  if (big && w <= r.w)
    return {
      rows: 1 + BIG_ROWS,
      draw: (y) => {
        c.text(r.x, y, label, { fg: COLORS.grey });
        bigLeft(c, { ...r, x: r.x + r.w - w }, y + 1, text, fg);
      },
    };
  return { rows: 1, draw: (y) => c.spread(r, y, label, text, { bold: true, fg: COLORS.white }, { bold: true, fg }) };
}

/** The keys the cashier can press now as coloured buttons side by side (one a row when they do not fit). */
function buttonsBlock(c: Canvas, r: Rect, m: ScreenModel): Block {
  const l = labels(m.view.lang);
  if (m.view.busy) {
    return {
      rows: 1,
      draw: (y) => {
        c.fill({ ...r, y, h: 1 }, { bg: COLORS.yellow });
        c.centre(r, y, l.working, { fg: COLORS.black, bold: true });
      },
    };
  }
  const hints = m.view.hints;
  const caps = hints.map((h) => ` ${keyCap(h.key)}  ${h.label} `);
  const bg = (key: string) => (key === 'enter' ? COLORS.okBg : key === 'escape' ? COLORS.errBg : COLORS.panel);
  const oneRow = caps.reduce((n, s) => n + width(s), 0) + 2 * Math.max(0, caps.length - 1) <= r.w;
  return {
    rows: oneRow ? Math.min(1, hints.length) : Math.max(0, 2 * hints.length - 1),
    draw: (y) => {
      let x = r.x;
      hints.forEach((h, i) => {
        const row = oneRow ? y : y + 2 * i;
        const w = oneRow ? width(caps[i]) : r.w;
        c.fill({ x, y: row, w, h: 1 }, { bg: bg(h.key) });
        c.text(x, row, caps[i], { fg: COLORS.white, bold: true }, w);
        if (oneRow) x += w + 2;
      });
    },
  };
}

/** The parent's note (e.g. an allergy), in yellow so the cashier reads it. */
function noteBlock(c: Canvas, r: Rect, note: string | null | undefined, lang: Lang): Block {
  const lines = note ? wrap(`${labels(lang).note}: ${note}`, r.w).slice(0, 3) : [];
  return {
    rows: lines.length,
    draw: (y) => lines.forEach((s, i) => c.text(r.x, y + i, s, { fg: COLORS.yellow, bold: true })),
  };
}

/**
 * Stacks the blocks from the top of the rect, `bottom` against its foot. Tries each layout in turn
 * (e.g. big name and big total with blank rows between, then without them, then smaller) and
 * draws the first that fits, else the last cut to the rect.
 */
function stack(r: Rect, layouts: { top: Block[]; bottom: Block }[]): void {
  const height = (l: { top: Block[]; bottom: Block }) => l.top.reduce((n, b) => n + b.rows, 0) + l.bottom.rows;
  const chosen = layouts.find((l) => height(l) <= r.h) ?? layouts[layouts.length - 1];
  let y = r.y;
  const end = r.y + r.h - chosen.bottom.rows;
  for (const b of chosen.top) {
    if (y + b.rows > end) break;
    b.draw(y);
    y += b.rows;
  }
  if (chosen.bottom.rows <= r.h) chosen.bottom.draw(end);
}

/** Big name and big amount if they fit, with blank rows between parts; then without; then the name small; then all small. */
function cardLayouts(
  make: (bigName: boolean, bigAmount: boolean) => { parts: Block[][]; bottom: Block },
): { top: Block[]; bottom: Block }[] {
  return (
    [
      [true, true, true],
      [true, true, false],
      [false, true, false],
      [false, false, false],
    ] as const
  ).map(([name, amount, spaced]) => {
    const { parts, bottom } = make(name, amount);
    const top = parts
      .filter((p) => p.some((b) => b.rows > 0))
      .flatMap((p, i) => (spaced && i > 0 ? [SPACER, ...p] : p));
    return { top: spaced && bottom.rows > 0 ? [...top, SPACER] : top, bottom };
  });
}

/** The parents' rules (which item is blocked, how much is left today) and the low-balance warning. */
function ruleLines(m: ScreenModel): [string, Style][] {
  const l = labels(m.view.lang);
  const out: [string, Style][] = [];
  const r = m.view.rules;
  if (r?.blockedItem) out.push([`${l.blockedItem}: ${r.blockedItem}`, { fg: COLORS.yellow, bold: true }]);
  if (r && r.leftToday !== null)
    out.push([`${l.leftToday}: ${formatKr(r.leftToday, m.view.lang)}`, { fg: COLORS.yellow, bold: true }]);
  if (m.view.lowBalance) out.push([l.lowBalance, { fg: COLORS.yellow, bold: true }]);
  return out;
}

export const drawConfirm: ScreenRenderer = (c, body, m, ctx) => {
  const card = m.card;
  if (!card) return;
  const lang = m.view.lang;
  const l = labels(lang);
  const info = cardLayout(c, body, card, ctx, lang);
  const total = m.basket?.total ?? 0;
  const after = card.balance - total;
  const money: Block = {
    rows: 2,
    draw: (y) => {
      c.spread(info, y, l.balance, formatKr(card.balance, lang), { fg: COLORS.grey });
      c.spread(
        info,
        y + 1,
        l.afterSale,
        formatKr(after, lang),
        after < 0 ? { fg: COLORS.red, bold: true } : { fg: COLORS.grey },
      );
    },
  };
  const rules = ruleLines(m).map(([s, st]): Block => ({ rows: 1, draw: (y) => c.text(info.x, y, s, st, info.w) }));
  stack(
    info,
    cardLayouts((bigName, bigTotal) => ({
      parts: [
        [nameBlock(c, info, card.name, bigName), noteBlock(c, info, card.note, lang)],
        [amountBlock(c, info, l.total, total, lang, COLORS.yellow, bigTotal), money, ...rules],
      ],
      bottom: buttonsBlock(c, info, m),
    })),
  );
};

export const drawBalance: ScreenRenderer = (c, body, m, ctx) => {
  const card = m.card;
  if (!card) return;
  const lang = m.view.lang;
  const info = cardLayout(c, body, card, ctx, lang);
  const none: Block = { rows: 0, draw: () => undefined };
  stack(
    info,
    cardLayouts((bigName, bigAmount) => ({
      parts: [
        [nameBlock(c, info, card.name, bigName), noteBlock(c, info, card.note, lang)],
        [
          amountBlock(
            c,
            info,
            labels(lang).balance,
            card.balance,
            lang,
            card.balance < 0 ? COLORS.red : COLORS.green,
            bigAmount,
          ),
        ],
      ],
      bottom: none,
    })),
  );
};

export const drawResult: ScreenRenderer = (c, body, m) => {
  const r = m.result;
  if (!r) return;
  const lang = m.view.lang;
  const l = labels(lang);
  const ok = r.status === 'approved';
  c.fill(body, { bg: ok ? COLORS.okBg : COLORS.errBg, fg: COLORS.white });
  const lines = resultLines(
    m,
    ruleLines(m).map(([s]) => s),
  );
  const inner = inset(body, 1);
  let y = body.y + Math.max(0, Math.floor((body.h - BIG_ROWS - 1 - lines.length) / 2));
  y += drawBig(c, inner, y, ok ? l.approved : l.declined, { fg: COLORS.white, bold: true }) + 1;
  lines.forEach((s, i) => {
    y += centredLines(c, inner, y, s, { fg: COLORS.white, bold: i === 0 });
  });
};
