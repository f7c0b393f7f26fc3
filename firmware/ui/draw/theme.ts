// The cashier screen's own colours. Every cell is painted with a foreground and a background from
// this palette, never the terminal's default colours: a light terminal (xterm's black on white)
// showed white names on white. The colours are xterm-256 indices 16–255, whose RGB is the same in
// xterm, foot and tmux (the 6×6×6 cube and the grey ramp; 0–15 follow the terminal's theme).
// On the Linux console (8 colours, bold = bright) each colour has a stand-in in its known palette.

/** An xterm-256 palette index, 16–255. */
export type Color = number;
export type Rgb = readonly [number, number, number];

/** The palette, by role. Text on `bg`, `panel` and `photoBg` has at least 4.5:1 (test/system/ui-contrast.test.ts). */
export const COLORS = {
  /** The screen's background, and the text colours on it. */
  bg: 234,
  white: 231,
  grey: 250,
  dim: 247,
  line: 245,
  black: 16,
  header: 24,
  panel: 236,
  photoBg: 235,
  green: 40,
  okBg: 28,
  red: 210,
  errBg: 124,
  yellow: 220,
  warnBg: 214,
  blue: 39,
} as const;

const CUBE = [0, 95, 135, 175, 215, 255];

/** The RGB an xterm-256 index (16–255) has in xterm, foot and tmux. */
export function rgb256(c: Color): Rgb {
  if (c >= 232) {
    const g = 8 + 10 * (c - 232);
    return [g, g, g];
  }
  const i = Math.max(0, c - 16);
  return [CUBE[Math.floor(i / 36)], CUBE[Math.floor(i / 6) % 6], CUBE[i % 6]];
}

/** The Linux console's palette (drivers/tty/vt/vt.c): 0–7 for backgrounds, 8–15 are 0–7 in bold. */
export const CONSOLE_RGB: readonly Rgb[] = [
  [0, 0, 0],
  [170, 0, 0],
  [0, 170, 0],
  [170, 85, 0],
  [0, 0, 170],
  [170, 0, 170],
  [0, 170, 170],
  [170, 170, 170],
  [85, 85, 85],
  [255, 85, 85],
  [85, 255, 85],
  [255, 255, 85],
  [85, 85, 255],
  [255, 85, 255],
  [85, 255, 255],
  [255, 255, 255],
];

/** An sRGB channel (0–255) in linear light. */
function linear(v: number): number {
  const s = v / 255;
  return s <= 0.04045 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
}

/** WCAG 2.x relative luminance of an sRGB colour. */
export function luminance([r, g, b]: Rgb): number {
  return 0.2126 * linear(r) + 0.7152 * linear(g) + 0.0722 * linear(b);
}

/** WCAG 2.x contrast ratio (1–21). */
export function contrast(a: Rgb, b: Rgb): number {
  const [la, lb] = [luminance(a), luminance(b)];
  return (Math.max(la, lb) + 0.05) / (Math.min(la, lb) + 0.05);
}

/** WCAG AA for text. */
export const MIN_CONTRAST = 4.5;

// Each UI colour's stand-in on the console: as text (0–15; 8–15 are drawn bold) and as a background (0–7).
const CONSOLE: ReadonlyMap<Color, { fg: number; bg: number }> = new Map([
  [COLORS.bg, { fg: 0, bg: 0 }],
  [COLORS.white, { fg: 15, bg: 7 }],
  [COLORS.grey, { fg: 7, bg: 7 }],
  [COLORS.dim, { fg: 7, bg: 7 }],
  [COLORS.line, { fg: 7, bg: 7 }],
  [COLORS.black, { fg: 0, bg: 0 }],
  [COLORS.header, { fg: 12, bg: 4 }],
  [COLORS.panel, { fg: 8, bg: 0 }],
  [COLORS.photoBg, { fg: 8, bg: 0 }],
  [COLORS.green, { fg: 10, bg: 2 }],
  [COLORS.okBg, { fg: 2, bg: 2 }],
  [COLORS.red, { fg: 9, bg: 1 }],
  [COLORS.errBg, { fg: 1, bg: 1 }],
  [COLORS.yellow, { fg: 11, bg: 3 }],
  [COLORS.warnBg, { fg: 11, bg: 3 }],
  [COLORS.blue, { fg: 14, bg: 6 }],
]);

/** The nearest console colour among `of` (for colours outside the palette, e.g. a photo's). */
function nearest(c: Color, of: number[]): number {
  const [r, g, b] = rgb256(c);
  let best = of[0],
    bestD = Infinity;
  for (const i of of) {
    const [R, G, B] = CONSOLE_RGB[i];
    const d = (R - r) ** 2 + (G - g) ** 2 + (B - b) ** 2;
    if (d < bestD) {
      bestD = d;
      best = i;
    }
  }
  return best;
}
const BASE = [0, 1, 2, 3, 4, 5, 6, 7];
const ALL = [...BASE, 8, 9, 10, 11, 12, 13, 14, 15];
// Every frame maps each of the screen's cells (a photo's too): the stand-ins and the console
// colours' contrasts are worked out once, in tables, not per cell (that was a third of a frame).
const CONSOLE_BG = Array.from({ length: 256 }, (_, c) => CONSOLE.get(c)?.bg ?? nearest(c, BASE));
const CONSOLE_FG = Array.from({ length: 256 }, (_, c) => CONSOLE.get(c)?.fg ?? nearest(c, ALL));
const consoleBg = (c: Color): number => CONSOLE_BG[c] ?? nearest(c, BASE);
const consoleFg = (c: Color): number => CONSOLE_FG[c] ?? nearest(c, ALL);
/** Whether console colour a (0–15) keeps 4.5:1 against b: CONTRASTING[a * 16 + b]. */
const CONTRASTING = Array.from(
  { length: 256 },
  (_, i) => contrast(CONSOLE_RGB[i >> 4], CONSOLE_RGB[i & 15]) >= MIN_CONTRAST,
);
/** Per console background: white or black, whichever has more contrast on it. */
const STRONGEST = CONSOLE_RGB.map((on) => (contrast(CONSOLE_RGB[15], on) >= contrast(CONSOLE_RGB[0], on) ? 15 : 0));

/** The text colour with the most contrast on a console background, when the stand-in has too little. */
function readableOn(fg: number, bg: number): number {
  return CONTRASTING[fg * 16 + bg] ? fg : STRONGEST[bg];
}

/** A cell as the console shows it: background 0–7, text 0–15 (8–15 by bold), the character. */
export interface ConsoleCell {
  fg: number;
  bg: number;
  ch: string;
}

/**
 * A cell on the console. Text keeps 4.5:1 against its background (else white or black); a pixel of
 * big text (`ground` is the colour around it) is a solid block where its stand-in keeps 4.5:1 to
 * the ground's, else a bright '#' on the ground (the console has only 8 dim backgrounds).
 */
export function consoleCell(ch: string, fg: Color, bg: Color, ground: Color | null): ConsoleCell {
  if (ground === null) {
    const b = consoleBg(bg);
    return { ch, bg: b, fg: readableOn(consoleFg(fg), b) };
  }
  const px = consoleBg(bg),
    g = consoleBg(ground);
  if (CONTRASTING[px * 16 + g]) return { ch, fg: px, bg: px };
  return { ch: '#', bg: g, fg: readableOn(consoleFg(bg), g) };
}
