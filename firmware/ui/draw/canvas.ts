// A character-cell canvas the screens draw into; serialised to SGR lines for one blessed box.
// Drawing into plain cells keeps every layout a pure function of (model, size), testable without a tty.

import { COLORS, consoleCell, type Color } from './theme.ts';

export { COLORS, type Color };
export interface Style {
  fg?: Color;
  bg?: Color;
  bold?: boolean;
}
export interface Rect {
  x: number;
  y: number;
  w: number;
  h: number;
}

// C0/C1 control characters (ESC above all) from ledger data must never reach the terminal.
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/g;

// Only glyphs every font of a terminal has: the console's (Lat15 Terminus and Fixed) and xterm's
// standard 9x15 (ISO 8859-1; the line-drawing characters xterm draws itself) lack dashes, '…', '●' and arrows.
// What texts (and the ledger's names) have beyond Latin-1 is spelled with what is there.
export const SAFE_GLYPHS = /^[\u0020-\u007e\u00a0-\u00ff─│┌┐└┘├┤┬┴┼]$/u;
const SUBSTITUTES: Record<string, string> = {
  '—': '-',
  '–': '-',
  '‐': '-',
  '−': '-',
  '…': '...',
  '●': '*',
  '•': '*',
  '↑': '^',
  '↓': 'v',
  '←': '<-',
  '→': '->',
  '‘': "'",
  '’': "'",
  '‚': ',',
  '“': '"',
  '”': '"',
  '„': '"',
  '€': 'EUR',
  '\u00ad': '',
};
const UNSAFE = /[^\u0020-\u007e\u00a0-\u00ff─│┌┐└┘├┤┬┴┼]/gu;

export function sanitize(s: string): string {
  return s
    .replace(CONTROL, ' ')
    .replace(
      UNSAFE,
      (c) => SUBSTITUTES[c] ?? (c.normalize('NFD')[0]?.match(SAFE_GLYPHS) ? c.normalize('NFD')[0] : '?'),
    );
}

/** Code points, so 'ø' is one cell (the screen uses no double-width characters). */
export const chars = (s: string): string[] => Array.from(sanitize(s));
export const width = (s: string): number => chars(s).length;

/** Cuts a text to `w` cells, ending in '.' when something was cut ('…' is not in every font). */
export function fit(s: string, w: number): string {
  const cs = chars(s);
  if (cs.length <= w) return cs.join('');
  return w <= 0 ? '' : cs.slice(0, w - 1).join('') + '.';
}

/** Word-wraps to lines of at most `w` cells; a word longer than a line is cut. */
export function wrap(s: string, w: number): string[] {
  const out: string[] = [];
  for (const para of sanitize(s).split(/\s*\n\s*/)) {
    let line = '';
    for (const word of para.split(/\s+/).filter(Boolean)) {
      const next = line ? `${line} ${word}` : word;
      if (width(next) <= w) {
        line = next;
        continue;
      }
      if (line) out.push(line);
      line = fit(word, w);
    }
    out.push(line);
  }
  return out;
}

export const padLeft = (s: string, w: number): string => ' '.repeat(Math.max(0, w - width(s))) + s;

export class Canvas {
  readonly #ch: string[];
  readonly #fg: Int16Array;
  readonly #bg: Int16Array;
  readonly #bold: Uint8Array;
  /** For a pixel of big text, the background around it (else -1): the console needs it to choose. */
  readonly #ground: Int16Array;

  /** Every cell starts as the screen's own background and text colour, never the terminal's default. */
  constructor(
    readonly w: number,
    readonly h: number,
  ) {
    const n = Math.max(0, w * h);
    this.#ch = new Array<string>(n).fill(' ');
    this.#fg = new Int16Array(n).fill(COLORS.white);
    this.#bg = new Int16Array(n).fill(COLORS.bg);
    this.#bold = new Uint8Array(n);
    this.#ground = new Int16Array(n).fill(-1);
  }

  get rect(): Rect {
    return { x: 0, y: 0, w: this.w, h: this.h };
  }

  /** One cell; style fields left out keep what the cell had (text over a filled panel keeps its colour). */
  put(x: number, y: number, ch: string, st: Style = {}): void {
    if (x < 0 || y < 0 || x >= this.w || y >= this.h) return;
    const i = y * this.w + x;
    this.#ch[i] = ch;
    if (st.fg !== undefined) this.#fg[i] = st.fg;
    if (st.bg !== undefined) this.#bg[i] = st.bg;
    if (st.bold !== undefined) this.#bold[i] = st.bold ? 1 : 0;
    this.#ground[i] = -1;
  }

  /** A pixel of big text: a cell all of colour `c` (a '#' in a text capture) over what was there. */
  pixel(x: number, y: number, c: Color): void {
    if (x < 0 || y < 0 || x >= this.w || y >= this.h) return;
    const i = y * this.w + x;
    const ground = this.#ground[i] >= 0 ? this.#ground[i] : this.#bg[i];
    this.put(x, y, '#', { fg: c, bg: c, bold: false });
    this.#ground[i] = ground;
  }

  /** The background of a cell (what text or a pixel drawn there is seen against). */
  bgAt(x: number, y: number): Color {
    return this.#bg[y * this.w + x] ?? COLORS.bg;
  }

  fill(r: Rect, st: Style, ch = ' '): void {
    for (let y = r.y; y < r.y + r.h; y++) for (let x = r.x; x < r.x + r.w; x++) this.put(x, y, ch, st);
  }

  /** Writes a text from (x, y), cut to `maxW` cells; returns the cells written. */
  text(x: number, y: number, s: string, st: Style = {}, maxW = this.w - x): number {
    const cs = chars(fit(s, maxW));
    cs.forEach((c, i) => this.put(x + i, y, c, st));
    return cs.length;
  }

  /** A text centred in the rect's row `y`. */
  centre(r: Rect, y: number, s: string, st: Style = {}): void {
    const t = fit(s, r.w);
    this.text(r.x + Math.floor((r.w - width(t)) / 2), y, t, st, r.w);
  }

  /** A left part and a right part on one row of the rect (e.g. a name and a price). */
  spread(r: Rect, y: number, left: string, right: string, st: Style = {}, rightSt: Style = st): void {
    const rw = Math.min(width(right), r.w);
    this.text(r.x, y, left, st, Math.max(0, r.w - rw - 1));
    this.text(r.x + r.w - rw, y, right, rightSt, rw);
  }

  /** The plain characters, one string a row (for tests and logs). */
  plain(): string[] {
    const rows: string[] = [];
    for (let y = 0; y < this.h; y++) rows.push(this.#ch.slice(y * this.w, (y + 1) * this.w).join(''));
    return rows;
  }

  /**
   * Rows with SGR colour codes, emitted only where the style changes: 38;5 / 48;5 on a terminal of
   * 256 colours or more, else the console's 8 colours (30–37 / 40–47, bold for the bright 8–15)
   * chosen by consoleCell so that text keeps its contrast there too.
   */
  lines(colors = 256): string[] {
    const few = colors < 256;
    const rows: string[] = [];
    for (let y = 0; y < this.h; y++) {
      let row = '';
      let last = '';
      for (let x = 0; x < this.w; x++) {
        const i = y * this.w + x;
        let ch = this.#ch[i],
          code: string;
        if (few) {
          const k = consoleCell(ch, this.#fg[i], this.#bg[i], this.#ground[i] >= 0 ? this.#ground[i] : null);
          ch = k.ch;
          code = `\x1b[${k.fg >= 8 ? '1' : '22'};${30 + (k.fg & 7)};${40 + k.bg}m`;
        } else {
          code = `\x1b[${this.#bold[i] ? '1' : '22'};38;5;${this.#fg[i]};48;5;${this.#bg[i]}m`;
        }
        if (code !== last) {
          row += code;
          last = code;
        }
        row += ch;
      }
      rows.push(row + '\x1b[0m');
    }
    return rows;
  }
}

/** Rect helpers: split off columns or rows, shrink by a margin. */
export const cols = (r: Rect, leftW: number, gap = 0): [Rect, Rect] => {
  const lw = Math.max(0, Math.min(r.w, leftW));
  return [
    { ...r, w: lw },
    { ...r, x: r.x + lw + gap, w: Math.max(0, r.w - lw - gap) },
  ];
};
export const rows = (r: Rect, topH: number, gap = 0): [Rect, Rect] => {
  const th = Math.max(0, Math.min(r.h, topH));
  return [
    { ...r, h: th },
    { ...r, y: r.y + th + gap, h: Math.max(0, r.h - th - gap) },
  ];
};
export const inset = (r: Rect, dx: number, dy = 0): Rect => ({
  x: r.x + dx,
  y: r.y + dy,
  w: Math.max(0, r.w - 2 * dx),
  h: Math.max(0, r.h - 2 * dy),
});
