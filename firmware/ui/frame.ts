// The whole screen for one model: header (club, clock), the screen's body, the message, the keys
// the cashier can press now, and a status line; or a clear note when the terminal is too small.
import { Canvas, COLORS, fit, width, wrap, type Rect } from './draw/canvas.ts';
import { formatClock } from './format.ts';
import { connectionLabel, keyCap, labels, readerLabel, tooSmallText, type Lang } from './labels.ts';
import { drawBasketScreen, drawIdle, drawTap } from './screens-sale.ts';
import { drawBalance, drawConfirm, drawResult } from './screens-card.ts';
import { drawError, drawReport, drawVoid } from './screens-admin.ts';
import type { DrawContext, ScreenRenderer } from './draw-context.ts';
import type { ScreenModel, ScreenName } from '../../contract/index.ts';

/** Below this the catalog's nine lines or the photo no longer fit. */
export const MIN_COLS = 50;
export const MIN_ROWS = 16;

const RENDERERS: Record<ScreenName, ScreenRenderer> = {
  idle: drawIdle,
  basket: drawBasketScreen,
  tap: drawTap,
  confirm: drawConfirm,
  result: drawResult,
  balance: drawBalance,
  void: drawVoid,
  report: drawReport,
  error: drawError,
};

export const PHOTO_SCREENS = new Set<ScreenName>(['confirm', 'balance']);

function tooSmall(c: Canvas, lang: Lang): Canvas {
  c.fill(c.rect, { bg: COLORS.errBg, fg: COLORS.white, bold: true });
  const lines = wrap(tooSmallText(lang, MIN_COLS, MIN_ROWS), c.w).slice(0, c.h);
  const top = Math.floor((c.h - lines.length) / 2);
  lines.forEach((s, i) => c.centre(c.rect, top + i, s));
  return c;
}

function messageStyle(m: ScreenModel): { bg: number; fg: number } {
  if (m.screen === 'result')
    return { bg: m.result?.status === 'approved' ? COLORS.okBg : COLORS.errBg, fg: COLORS.white };
  if (m.screen === 'error') return { bg: COLORS.errBg, fg: COLORS.white };
  if (m.screen === 'confirm' && m.card && !m.card.photo) return { bg: COLORS.warnBg, fg: COLORS.black };
  return { bg: COLORS.panel, fg: COLORS.white };
}

function drawHints(c: Canvas, y: number, m: ScreenModel): void {
  let x = 1;
  for (const h of m.view.hints) {
    const cap = ` ${keyCap(h.key)} `;
    if (x + width(cap) + 1 + width(h.label) > c.w) break;
    x += c.text(x, y, cap, { bg: COLORS.grey, fg: COLORS.black, bold: true });
    x += c.text(x + 1, y, h.label, { fg: COLORS.white }) + 3;
  }
}

function drawStatus(c: Canvas, y: number, m: ScreenModel, timeZone: string | undefined): void {
  const l = labels(m.view.lang);
  const row: Rect = { x: 0, y, w: c.w, h: 1 };
  c.fill(row, { bg: COLORS.panel, fg: COLORS.grey, bold: false });
  let x = 1;
  const part = (s: string, fg: number, bold = false) => {
    x += c.text(x, y, s, { fg, bold }) + 3;
  };
  const link = connectionLabel(l, m, timeZone);
  part(`● ${link.text}`, link.ok ? COLORS.green : COLORS.yellow, true);
  part(`${l.queue}: ${m.view.queue}`, m.view.queue > 0 ? COLORS.yellow : COLORS.grey);
  const ready = m.view.reader === 'ready';
  part(`${l.reader}: ${readerLabel(l, m.view.reader)}`, ready ? COLORS.grey : COLORS.red, !ready);
  // Missing LEDs and buzzer do not stop a sale, but the cashier should know why nothing beeps.
  // Who is signed in (sales and voids carry their staffId).
  if (m.cashier) part(`${m.cashier.role === 'lead' ? l.lead : l.cashier}: ${m.cashier.name}`, COLORS.white, true);
  if (m.view.indicators !== 'ok')
    part(
      `${l.indicators}: ${m.view.indicators === 'reader' ? l.indicatorsReader : l.indicatorsScreen}`,
      COLORS.yellow,
      true,
    );
  const id = m.view.terminalId;
  if (x + width(id) < c.w) c.text(c.w - width(id) - 1, y, id, { fg: COLORS.dim });
}

/** Draws one frame; pure, apart from asking `ctx.photo` (which answers at once). */
export function renderFrame(m: ScreenModel | null, w: number, h: number, ctx: DrawContext): Canvas {
  const c = new Canvas(w, h);
  const lang = m?.view.lang ?? ctx.lang;
  if (w < MIN_COLS || h < MIN_ROWS) return tooSmall(c, lang);
  const extra = ctx.overlay?.rows ?? 0;
  const message = m ? wrap(m.message, w - 2).slice(0, 2) : [];
  const bottom = message.length + 2 + extra;
  // Blank rows around the body only when the screen is tall enough to spare them, and never
  // around the photo: it is what tells the cashier whose card it is (at least 240×320 px in the kiosk).
  const gap = h >= 20 && !PHOTO_SCREENS.has(m?.screen ?? 'idle') ? 1 : 0;
  const body: Rect = { x: 1, y: 1 + gap, w: w - 2, h: h - 1 - 2 * gap - bottom };

  c.fill({ x: 0, y: 0, w, h: 1 }, { bg: COLORS.header, fg: COLORS.white });
  const clock = formatClock(ctx.now, ctx.timeZone);
  c.text(w - width(clock) - 1, 0, clock, { bold: true });
  c.text(1, 0, fit(m?.view.clubId ?? 'klubkort', w - width(clock) - 3), { bold: true });

  if (m) {
    RENDERERS[m.screen]?.(c, body, m, ctx);
    let y = h - bottom;
    c.fill({ x: 0, y, w, h: message.length }, { ...messageStyle(m), bold: true });
    for (const s of message) c.text(1, y++, s);
    drawHints(c, y++, m);
    drawStatus(c, y, m, ctx.timeZone);
  }
  ctx.overlay?.draw(c, { x: 0, y: h - extra, w, h: extra }, body, lang);
  return c;
}
