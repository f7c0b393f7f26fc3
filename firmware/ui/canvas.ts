// A character-cell canvas the screens draw into; serialised to SGR lines for one blessed box.
// Drawing into plain cells keeps every layout a pure function of (model, size), testable without a tty.

/** An xterm-256 palette index, or -1 for the terminal's default colour. */
export type Color = number;
export interface Style { fg?: Color; bg?: Color; bold?: boolean }
export interface Rect { x: number; y: number; w: number; h: number }

/** The palette; each colour has a chosen stand-in among the 8 of the console (BASIC8). */
export const COLORS = {
  default: -1, black: 0, white: 15, grey: 250, dim: 244, line: 240,
  header: 24, panel: 236, photoBg: 235,
  green: 40, okBg: 28, red: 196, errBg: 124, yellow: 220, warnBg: 166, blue: 39,
} as const;

// What each UI colour becomes on an 8- or 16-colour terminal (TERM=linux): blessed's own reduction
// turned yellow totals and warning backgrounds red. 0 black, 1 red, 2 green, 3 yellow (brown on
// the console; bold text brightens it), 4 blue, 6 cyan, 7 white.
const BASIC8 = new Map<number, number>([
  [COLORS.black, 0], [COLORS.white, 7], [COLORS.grey, 7], [COLORS.dim, 7], [COLORS.line, 7],
  [COLORS.header, 4], [COLORS.panel, 0], [COLORS.photoBg, 0], [COLORS.green, 2], [COLORS.okBg, 2],
  [COLORS.red, 1], [COLORS.errBg, 1], [COLORS.yellow, 3], [COLORS.warnBg, 3], [COLORS.blue, 6],
]);
const RGB8 = [[0, 0, 0], [205, 0, 0], [0, 205, 0], [205, 205, 0], [0, 0, 238], [205, 0, 205], [0, 205, 205], [229, 229, 229]];
const CUBE = [0, 95, 135, 175, 215, 255];

/** The nearest of the 8 basic colours to an xterm-256 index (for colours outside the UI palette). */
export function basic8(c: Color): number {
  const known = BASIC8.get(c);
  if (known !== undefined) return known;
  if (c < 16) return c & 7;
  const rgb = c < 232 ? [CUBE[Math.floor((c - 16) / 36)]!, CUBE[Math.floor((c - 16) / 6) % 6]!, CUBE[(c - 16) % 6]!] : [8 + 10 * (c - 232), 8 + 10 * (c - 232), 8 + 10 * (c - 232)];
  let best = 0, bestD = Infinity;
  RGB8.forEach((b, i) => { const d = (b[0]! - rgb[0]!) ** 2 + (b[1]! - rgb[1]!) ** 2 + (b[2]! - rgb[2]!) ** 2; if (d < bestD) { bestD = d; best = i; } });
  return best;
}

// C0/C1 control characters (ESC above all) from ledger data must never reach the terminal.
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/g;

// Only glyphs every font of a terminal has: the console's (Lat15 Terminus and Fixed) and xterm's
// standard 9x15 (ISO 8859-1; the line-drawing characters xterm draws itself) lack dashes, '…', '●' and arrows.
// What texts (and the ledger's names) have beyond Latin-1 is spelled with what is there.
export const SAFE_GLYPHS = /^[\u0020-\u007e\u00a0-\u00ff─│┌┐└┘├┤┬┴┼]$/u;
const SUBSTITUTES: Record<string, string> = {
  '—': '-', '–': '-', '‐': '-', '−': '-', '…': '...', '●': '*', '•': '*', '↑': '^', '↓': 'v', '←': '<-', '→': '->',
  '‘': "'", '’': "'", '‚': ',', '“': '"', '”': '"', '„': '"', '€': 'EUR', '\u00ad': '',
};
const UNSAFE = /[^\u0020-\u007e\u00a0-\u00ff─│┌┐└┘├┤┬┴┼]/gu;

export function sanitize(s: string): string {
  return s.replace(CONTROL, ' ').replace(UNSAFE, (c) => SUBSTITUTES[c] ?? (c.normalize('NFD')[0]?.match(SAFE_GLYPHS) ? c.normalize('NFD')[0]! : '?'));
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
      if (width(next) <= w) { line = next; continue; }
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

  constructor(readonly w: number, readonly h: number) {
    const n = Math.max(0, w * h);
    this.#ch = new Array<string>(n).fill(' ');
    this.#fg = new Int16Array(n).fill(-1);
    this.#bg = new Int16Array(n).fill(-1);
    this.#bold = new Uint8Array(n);
  }

  get rect(): Rect { return { x: 0, y: 0, w: this.w, h: this.h }; }

  /** One cell; style fields left out keep what the cell had (text over a filled panel keeps its colour). */
  put(x: number, y: number, ch: string, st: Style = {}): void {
    if (x < 0 || y < 0 || x >= this.w || y >= this.h) return;
    const i = y * this.w + x;
    this.#ch[i] = ch;
    if (st.fg !== undefined) this.#fg[i] = st.fg;
    if (st.bg !== undefined) this.#bg[i] = st.bg;
    if (st.bold !== undefined) this.#bold[i] = st.bold ? 1 : 0;
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
   * 256 colours or more, else the 8 basic colours (30–37 / 40–47) chosen by BASIC8.
   */
  lines(colors = 256): string[] {
    const few = colors < 256;
    const fgCode = (c: number) => (c < 0 ? '39' : few ? String(30 + basic8(c)) : `38;5;${c}`);
    const bgCode = (c: number) => (c < 0 ? '49' : few ? String(40 + basic8(c)) : `48;5;${c}`);
    const rows: string[] = [];
    for (let y = 0; y < this.h; y++) {
      let row = '';
      let last = '';
      for (let x = 0; x < this.w; x++) {
        const i = y * this.w + x;
        const fg = this.#fg[i]!, bg = this.#bg[i]!;
        const code = `\x1b[${this.#bold[i] ? '1' : '22'};${fgCode(fg)};${bgCode(bg)}m`;
        if (code !== last) { row += code; last = code; }
        row += this.#ch[i];
      }
      rows.push(row + '\x1b[0m');
    }
    return rows;
  }
}

/** Rect helpers: split off columns or rows, shrink by a margin. */
export const cols = (r: Rect, leftW: number, gap = 0): [Rect, Rect] => {
  const lw = Math.max(0, Math.min(r.w, leftW));
  return [{ ...r, w: lw }, { ...r, x: r.x + lw + gap, w: Math.max(0, r.w - lw - gap) }];
};
export const rows = (r: Rect, topH: number, gap = 0): [Rect, Rect] => {
  const th = Math.max(0, Math.min(r.h, topH));
  return [{ ...r, h: th }, { ...r, y: r.y + th + gap, h: Math.max(0, r.h - th - gap) }];
};
export const inset = (r: Rect, dx: number, dy = 0): Rect =>
  ({ x: r.x + dx, y: r.y + dy, w: Math.max(0, r.w - 2 * dx), h: Math.max(0, r.h - 2 * dy) });
