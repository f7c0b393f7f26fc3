// blessed's cell widths, remembered per code point (firmware/ui/blessed-widths.ts), are blessed's
// own for every code point and every way blessed asks (a number, a string, a string and an index).
import test from 'ava';
import { createRequire } from 'node:module';
import { rememberWidths } from '../../firmware/ui/blessed-widths.ts';

// A fresh copy of blessed's unicode module to compare with (the require cache is the shared one).
const freshUnicode = () => {
  const req = createRequire(import.meta.url);
  const path = req.resolve('blessed/lib/unicode.js');
  delete req.cache[path];
  const m = req(path) as {
    charWidth(s: string | number, i?: number): number;
    codePointAt(s: string, i: number): number;
  };
  delete req.cache[path];
  return m;
};

test('every code point has the width blessed gives it, asked in each of its ways', (t) => {
  const plain = freshUnicode();
  const remembered = freshUnicode();
  rememberWidths(remembered);
  rememberWidths(remembered); // idempotent
  let differ = 0;
  for (let cp = 0; cp <= 0x3ffff; cp += cp < 0x3400 ? 1 : 7) {
    if (cp >= 0xd800 && cp <= 0xdfff) continue;
    const s = String.fromCodePoint(cp);
    for (const [a, b] of [
      [plain.charWidth(cp), remembered.charWidth(cp)],
      [plain.charWidth(s), remembered.charWidth(s)],
      [plain.charWidth(`x${s}`, 1), remembered.charWidth(`x${s}`, 1)],
      [plain.charWidth(s), remembered.charWidth(s)], // from memory this time
    ])
      if (a !== b) differ++;
  }
  t.is(differ, 0);
  t.is(remembered.charWidth('\t'), plain.charWidth('\t'), 'a tab: the screen decides');
  t.is(remembered.charWidth('宽'), 2);
  t.is(remembered.charWidth('æ'), 1);
  t.is(remembered.charWidth('\u0301'), 0, 'a combining accent');
});
