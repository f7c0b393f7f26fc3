// idle, basket and tap: the catalog page with its hotkeys, the basket, the total.
import { COLORS, cols, wrap, type Canvas, type Rect } from './draw/canvas.ts';
import { BIG_ROWS, bigWidth, drawBig } from './bigtext.ts';
import { formatClock, formatKr } from './format.ts';
import { connectionLabel, itemCountText, labels, readerLabel, type Labels, type Lang } from './labels.ts';
import type { ScreenRenderer } from './draw-context.ts';
import type { ScreenBasket, ScreenView } from '../../contract/index.ts';

const bold = { bold: true } as const;

function drawCatalog(c: Canvas, r: Rect, catalog: ScreenView['catalog'], lang: Lang): void {
  const l = labels(lang);
  const items = catalog?.items ?? [];
  const pages = catalog && catalog.pages > 1 ? `${l.page} ${catalog.page}/${catalog.pages} ↑↓` : '';
  c.spread(r, r.y, l.items, pages, { bold: true, fg: COLORS.white }, { fg: COLORS.dim });
  if (items.length === 0) {
    c.text(r.x, r.y + 2, l.noItems, { fg: COLORS.dim }, r.w);
    return;
  }
  // Double spacing when there is room: easier to hit the right line with the eye.
  const step = r.h - 2 >= 2 * items.length - 1 ? 2 : 1;
  const top = r.y + (step === 2 ? 2 : 1);
  items.forEach((it, i) => {
    const y = top + i * step;
    if (y >= r.y + r.h) return;
    c.text(r.x, y, it.key, { bold: true, fg: COLORS.yellow });
    c.spread({ ...r, x: r.x + 2, w: r.w - 2 }, y, it.name, formatKr(it.price, lang), { fg: COLORS.white });
  });
}

/** The total: big under a label when it fits, else one bold line. Returns the rows used. */
export function drawTotal(
  c: Canvas,
  r: Rect,
  y: number,
  label: string,
  amount: number,
  lang: Lang,
  fg: number = COLORS.yellow,
): number {
  const text = formatKr(amount, lang);
  if (y + 1 + BIG_ROWS <= r.y + r.h && (bigWidth(text) ?? Infinity) <= r.w) {
    c.centre(r, y, label, { fg: COLORS.grey });
    return 1 + drawBig(c, r, y + 1, text, { fg, bold: true });
  }
  c.spread(r, y, label, text, { bold: true }, { bold: true, fg });
  return 1;
}

const itemCount = (b: ScreenBasket | null, l: Labels) =>
  itemCountText(
    l,
    (b?.items ?? []).reduce((n, line) => n + line.qty, 0),
  );

function drawBasket(c: Canvas, r: Rect, basket: ScreenBasket | null, lang: Lang): void {
  const l = labels(lang);
  const lines = basket?.items ?? [];
  c.spread(
    r,
    r.y,
    l.basket,
    lines.length ? itemCount(basket, l) : '',
    { bold: true, fg: COLORS.white },
    { fg: COLORS.dim },
  );
  if (lines.length === 0) {
    c.text(r.x, r.y + 2, l.basketEmpty, { fg: COLORS.dim }, r.w);
    return;
  }
  const bigTotal =
    (r.h >= lines.length + 7 || r.h >= 12) && (bigWidth(formatKr(basket?.total ?? 0, lang)) ?? Infinity) <= r.w;
  const totalRows = bigTotal ? 1 + BIG_ROWS : 1;
  const room = Math.max(1, r.h - 2 - totalRows - 1);
  // The newest lines matter most: when they do not all fit, the oldest give way.
  const shown = lines.length > room ? lines.slice(lines.length - room + 1) : lines;
  let y = r.y + 2;
  if (shown.length < lines.length) c.text(r.x, y++, `… +${lines.length - shown.length}`, { fg: COLORS.dim });
  for (const line of shown) {
    c.spread(r, y++, `${line.qty}× ${line.name}`, formatKr(line.qty * line.unitPrice, lang), { fg: COLORS.white });
  }
  c.text(r.x, r.y + r.h - totalRows - 1, '─'.repeat(r.w), { fg: COLORS.line });
  drawTotal(c, r, r.y + r.h - totalRows, l.total, basket?.total ?? 0, lang);
}

/** Catalog on the left, `right` beside it, a thin rule between. */
function split(c: Canvas, body: Rect): [Rect, Rect] {
  const [left, right] = cols(body, Math.floor((body.w - 3) / 2), 3);
  for (let y = body.y; y < body.y + body.h; y++) c.put(left.x + left.w + 1, y, '│', { fg: COLORS.line });
  return [left, right];
}

export const drawIdle: ScreenRenderer = (c, body, m, ctx) => {
  const l = labels(m.view.lang);
  const [left, right] = split(c, body);
  drawCatalog(c, left, m.view.catalog, m.view.lang);
  let y = right.y;
  c.centre(right, y++, m.view.clubId, { ...bold, fg: COLORS.blue });
  y++;
  y += drawBig(c, right, y, formatClock(ctx.now, ctx.timeZone), { fg: COLORS.white }) + 1;
  const ready = m.view.reader === 'ready';
  // The same words as the status bar (the ledger not answering since when, offline and why), wrapped.
  const link = connectionLabel(l, m, ctx.timeZone);
  const lines: [string, number][] = [
    [`${l.reader}: ${readerLabel(l, m.view.reader)}`, ready ? COLORS.green : COLORS.red],
    ...wrap(`● ${link.text}`, right.w).map((s): [string, number] => [s, link.ok ? COLORS.green : COLORS.yellow]),
    [`${l.queue}: ${m.view.queue}`, m.view.queue > 0 ? COLORS.yellow : COLORS.grey],
  ];
  for (const [s, fg] of lines) if (y < right.y + right.h) c.centre(right, y++, s, { ...bold, fg });
  y++;
  for (const hint of ready ? [l.pickItems, l.tapForBalance] : [l.pickItems]) {
    for (const s of wrap(hint, right.w)) if (y < right.y + right.h) c.centre(right, y++, s, { fg: COLORS.grey });
  }
};

export const drawBasketScreen: ScreenRenderer = (c, body, m) => {
  const [left, right] = split(c, body);
  drawCatalog(c, left, m.view.catalog, m.view.lang);
  drawBasket(c, right, m.basket, m.view.lang);
};

export const drawTap: ScreenRenderer = (c, body, m) => {
  const l = labels(m.view.lang);
  const used = BIG_ROWS + 2 + 1 + BIG_ROWS + 1;
  let y = body.y + Math.max(0, Math.floor((body.h - used) / 2));
  y += drawBig(c, body, y, l.tapTitle, { fg: COLORS.yellow, bold: true }) + 2;
  y += drawTotal(c, body, y, l.total, m.basket?.total ?? 0, m.view.lang, COLORS.white);
  if (y < body.y + body.h) c.centre(body, y, itemCount(m.basket, l), { fg: COLORS.dim });
};
