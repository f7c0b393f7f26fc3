// void, report and error: the screens a cashier sees rarely, so plain and explicit.
import { COLORS, inset, padLeft, wrap, type Rect } from './draw/canvas.ts';
import { drawBig } from './bigtext.ts';
import { formatDate, formatKr, formatTime, shortTxId } from './format.ts';
import { errorTitle, labels, reasonLabel } from './labels.ts';
import { drawTotal } from './screens-sale.ts';
import type { ScreenRenderer } from './draw-context.ts';

export const drawVoid: ScreenRenderer = (c, body, m, ctx) => {
  const lang = m.view.lang;
  const l = labels(lang);
  const v = m.view.void;
  if (!v) {
    c.centre(body, body.y + Math.floor(body.h / 2), l.noSale, { bold: true, fg: COLORS.grey });
    return;
  }
  // Whose sale it is (the child's first name), when, and below what and how much.
  c.spread(
    body,
    body.y,
    [l.lastSale, formatTime(v.createdAt, ctx.timeZone), v.child].filter(Boolean).join(' · '),
    `${l.ref} ${shortTxId(v.txId)}`,
    { bold: true, fg: COLORS.white },
    { fg: COLORS.grey },
  );
  const bottomRows = (v.voided ? 2 : 0) + 5;
  const room = Math.max(0, body.h - 2 - bottomRows);
  let y = body.y + 2;
  const shown = v.items.length > room ? v.items.slice(0, Math.max(0, room - 1)) : v.items;
  for (const it of shown)
    c.spread(body, y++, `${it.qty}× ${it.name}`, formatKr(it.qty * it.unitPrice, lang), { fg: COLORS.white });
  if (shown.length < v.items.length) c.text(body.x, y++, `… +${v.items.length - shown.length}`, { fg: COLORS.dim });
  c.text(body.x, y++, '─'.repeat(body.w), { fg: COLORS.line });
  y += drawTotal(c, body, y, l.total, v.total, lang, v.voided ? COLORS.dim : COLORS.yellow);
  if (v.voided) c.centre(body, y + 1, l.alreadyVoided, { bold: true, fg: COLORS.red });
};

export const drawReport: ScreenRenderer = (c, body, m) => {
  const lang = m.view.lang;
  const l = labels(lang);
  const r = m.view.report;
  if (!r) return;
  c.text(body.x, body.y, `${l.report} — ${formatDate(r.date, lang)}`, { bold: true, fg: COLORS.white });
  // Sales, voids (money back: negative) and what is left after them; the declined sales by reason.
  const rows: [string, number | null, number | null, number][] = [
    [l.sales, r.sales, r.salesTotal, COLORS.white],
    [l.offlineSales, r.offlineSales, r.offlineTotal, COLORS.grey],
    [l.voids, r.voids, -r.voidsTotal, COLORS.white],
    [l.net, null, r.net, COLORS.yellow],
    [l.declinedCount, r.declined, null, COLORS.white],
    ...r.declinedBy.map((d): [string, number, null, number] => [
      `  ${reasonLabel(lang, d.reason)}`,
      d.count,
      null,
      COLORS.grey,
    ]),
    [l.queued, r.queue, null, r.queue > 0 ? COLORS.yellow : COLORS.white],
    // The signed-in cashier's own figures since sign-in.
    ...(r.cashier
      ? ([
          [`${r.cashier.name} ${l.sinceSignIn}: ${l.sales}`, r.cashier.sales, r.cashier.salesTotal, COLORS.yellow],
          [`${r.cashier.name} ${l.sinceSignIn}: ${l.voids}`, r.cashier.voids, -r.cashier.voidsTotal, COLORS.yellow],
        ] as [string, number, number | null, number][])
      : []),
  ];
  const table: Rect = { ...body, w: Math.min(body.w, 60) };
  const step = body.h >= 2 + 2 * rows.length ? 2 : 1;
  rows.forEach(([label, n, total, fg], i) => {
    const y = body.y + 2 + i * step;
    if (y >= body.y + body.h) return;
    c.spread(
      table,
      y,
      label,
      `${padLeft(n === null ? '' : String(n), 5)}  ${padLeft(total === null ? '' : formatKr(total, lang), 12)}`,
      { fg },
      { fg, bold: true },
    );
  });
};

export const drawError: ScreenRenderer = (c, body, m) => {
  const lang = m.view.lang;
  const { title, fix } = errorTitle(lang, m.view.errorKind, m.view.reader);
  c.fill(body, { bg: COLORS.errBg, fg: COLORS.white });
  const inner = inset(body, 2);
  const texts = [
    ...wrap(title, inner.w).map((s) => ({ s, bold: true })),
    { s: '', bold: false },
    ...wrap(fix, inner.w).map((s) => ({ s, bold: false })),
  ];
  let y = body.y + Math.max(0, Math.floor((body.h - 4 - texts.length) / 2));
  y += drawBig(c, inner, y, labels(lang).error, { fg: COLORS.yellow, bold: true }) + 1;
  for (const t of texts) if (y < body.y + body.h) c.centre(inner, y++, t.s, { fg: COLORS.white, bold: t.bold });
};
