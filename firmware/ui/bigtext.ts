// Large text for what a cashier reads at arm's length (totals, the verdict, "tap card"): a 3×5
// pixel font, one cell a pixel. A pixel is a '#' in its own colour on a background of that colour,
// so it is a solid block on every terminal whatever its font has (the console's Terminus and
// xterm's fixed fonts lack the half blocks ▀▄█), and reads as '#' in a text capture.
import { COLORS, type Canvas, type Rect, type Style } from './draw/canvas.ts';

// '#' = pixel. Most glyphs are 3 wide; M, N, W, Æ, Ø need more to stay readable.
const FONT: Record<string, string[]> = {
  '0': ['###', '# #', '# #', '# #', '###'],
  '1': [' # ', '## ', ' # ', ' # ', '###'],
  '2': ['###', '  #', '###', '#  ', '###'],
  '3': ['###', '  #', ' ##', '  #', '###'],
  '4': ['# #', '# #', '###', '  #', '  #'],
  '5': ['###', '#  ', '###', '  #', '###'],
  '6': ['###', '#  ', '###', '# #', '###'],
  '7': ['###', '  #', '  #', '  #', '  #'],
  '8': ['###', '# #', '###', '# #', '###'],
  '9': ['###', '# #', '###', '  #', '###'],
  ',': ['  ', '  ', '  ', ' #', '# '],
  '.': [' ', ' ', ' ', ' ', '#'],
  ':': [' ', '#', ' ', '#', ' '],
  '-': ['   ', '   ', '###', '   ', '   '],
  '!': ['#', '#', '#', ' ', '#'],
  ' ': ['  ', '  ', '  ', '  ', '  '],
  A: ['###', '# #', '###', '# #', '# #'],
  B: ['## ', '# #', '## ', '# #', '## '],
  C: ['###', '#  ', '#  ', '#  ', '###'],
  D: ['## ', '# #', '# #', '# #', '## '],
  E: ['###', '#  ', '## ', '#  ', '###'],
  F: ['###', '#  ', '## ', '#  ', '#  '],
  G: ['###', '#  ', '# #', '# #', '###'],
  H: ['# #', '# #', '###', '# #', '# #'],
  I: ['###', ' # ', ' # ', ' # ', '###'],
  J: ['  #', '  #', '  #', '# #', '###'],
  K: ['# #', '# #', '## ', '# #', '# #'],
  L: ['#  ', '#  ', '#  ', '#  ', '###'],
  M: ['#   #', '## ##', '# # #', '#   #', '#   #'],
  N: ['#  #', '## #', '# ##', '#  #', '#  #'],
  O: ['###', '# #', '# #', '# #', '###'],
  P: ['###', '# #', '###', '#  ', '#  '],
  Q: ['###', '# #', '# #', '###', '  #'],
  R: ['## ', '# #', '## ', '# #', '# #'],
  S: ['###', '#  ', '###', '  #', '###'],
  T: ['###', ' # ', ' # ', ' # ', ' # '],
  U: ['# #', '# #', '# #', '# #', '###'],
  V: ['# #', '# #', '# #', '# #', ' # '],
  W: ['#   #', '#   #', '# # #', '## ##', '#   #'],
  X: ['# #', '# #', ' # ', '# #', '# #'],
  Y: ['# #', '# #', ' # ', ' # ', ' # '],
  Z: ['###', '  #', ' # ', '#  ', '###'],
  Æ: ['####', '# # ', '### ', '# # ', '# ##'],
  Ø: ['####', '#  #', '# ##', '## #', '####'],
  Å: [' # ', '###', '# #', '###', '# #'],
};

export const BIG_ROWS = 5;

// A letter without a glyph of its own is drawn as its base letter (É as E, Ü as U): names have them.
const glyph = (c: string): string[] | undefined => FONT[c] ?? FONT[c.normalize('NFD')[0] ?? ''];

const glyphs = (s: string): string[][] | null => {
  const gs = Array.from(s.toUpperCase()).map(glyph);
  return gs.every((g) => g !== undefined) ? (gs as string[][]) : null;
};

/** Cells a text takes in the big font (glyphs plus one column between them); null if it has no glyph. */
export function bigWidth(s: string): number | null {
  const gs = glyphs(s);
  return gs ? gs.reduce((n, g) => n + g[0].length, 0) + Math.max(0, gs.length - 1) : null;
}

/** The text as five rows of '#' (pixel) and ' ', or null when a character has no glyph. */
export function bigText(s: string): string[] | null {
  const gs = glyphs(s);
  return gs ? [0, 1, 2, 3, 4].map((y) => gs.map((g) => g[y]).join(' ')) : null;
}

/**
 * Draws a text big and centred in the rect from row `y` when it fits, else as one bold line;
 * returns the rows used.
 */
export function drawBig(c: Canvas, r: Rect, y: number, s: string, st: Style = {}): number {
  const rows = bigText(s);
  const w = bigWidth(s);
  if (rows && w !== null && w <= r.w && y + BIG_ROWS <= r.y + r.h) {
    const x0 = r.x + Math.floor((r.w - w) / 2);
    const colour = st.fg ?? COLORS.white;
    rows.forEach((row, i) =>
      Array.from(row).forEach((px, x) => {
        if (px === '#') c.pixel(x0 + x, y + i, colour);
      }),
    );
    return BIG_ROWS;
  }
  c.centre(r, y, s, { ...st, bold: true });
  return 1;
}
