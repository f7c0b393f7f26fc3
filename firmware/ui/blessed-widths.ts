// blessed works out the width of every cell of every frame (fullUnicode: a child's name may hold
// wide characters) with a chain of range tests that, for most characters, ends in reading
// process.env.NCURSES_CJK_WIDTH: a call into the C library per cell. That was a tenth of the
// terminal's main-thread time while a cashier typed. A character's width never changes while
// the process runs, so each is worked out once.
import { createRequire } from 'node:module';

interface BlessedUnicode {
  charWidth(str: string | number, i?: number): number;
  codePointAt(str: string, i: number): number | undefined;
}

const TAB = 0x09;
const patched = new WeakSet<object>();

/** blessed's own unicode module, as its widgets use it (packages are not bundled: one instance). */
export const blessedUnicode = (): BlessedUnicode =>
  createRequire(import.meta.url)('blessed/lib/unicode.js') as BlessedUnicode;

/** Makes `unicode.charWidth` remember each code point's width (idempotent). */
export function rememberWidths(unicode: BlessedUnicode = blessedUnicode()): void {
  if (patched.has(unicode)) return;
  patched.add(unicode);
  const width = unicode.charWidth.bind(unicode);
  const known = new Map<number, number>();
  unicode.charWidth = (str, i) => {
    const point = typeof str === 'number' ? str : unicode.codePointAt(str, i ?? 0);
    // A tab's width is the screen's tab size; anything odd goes to blessed as it came.
    if (point === undefined || point === TAB) return width(str, i);
    let w = known.get(point);
    if (w === undefined) {
      w = width(point);
      known.set(point, w);
    }
    return w;
  };
}
