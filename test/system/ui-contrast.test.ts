// Every screen paints every cell itself, in colours whose RGB is known, with at least 4.5:1 (WCAG 2.x)
// between each text cell and its background: on xterm and foot (256 colours) and on the Linux
// console (8 colours, bold brightens, its palette known). The SGR the screen sends is what is read
// back, cell by cell; a light terminal (xterm's black on white) showed white names on white.
import test from 'ava';
import { PNG } from 'pngjs';
import { renderFrame } from '../../firmware/ui/frame.ts';
import { SimPanel } from '../../firmware/ui/sim-panel.ts';
import type { DrawContext, PhotoMode } from '../../firmware/ui/draw-context.ts';
import type { PhotoState } from '../../firmware/ui/photo/photo-cache.ts';
import type { ScreenModel } from '../../contract/index.ts';
import { demoModels, PHOTO_SHA } from '../fixtures/ui/models.ts';
import { facePng } from '../fixtures/ui/face.ts';
import { XtermHarness, harnessStarted, settledShot, writePng } from '../fixtures/ui/xterm.ts';
import type { Rgba } from '../../firmware/ui/photo/photo.ts';
import { join } from 'node:path';

type Rgb = [number, number, number];
// xterm's (and foot's, tmux's) fixed 256-colour palette above 15: the cube and the grey ramp.
const LEVELS = [0, 95, 135, 175, 215, 255];
const xterm = (n: number): Rgb =>
  n >= 232
    ? [8 + 10 * (n - 232), 8 + 10 * (n - 232), 8 + 10 * (n - 232)]
    : [LEVELS[Math.floor((n - 16) / 36)]!, LEVELS[Math.floor((n - 16) / 6) % 6]!, LEVELS[(n - 16) % 6]!];
// The Linux console's default palette (drivers/tty/vt/vt.c default_red/grn/blu).
const VGA: Rgb[] = [
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
const lum = (c: Rgb) =>
  c
    .map((v) => {
      const s = v / 255;
      return s <= 0.04045 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
    })
    .reduce((a, v, i) => a + v * [0.2126, 0.7152, 0.0722][i]!, 0);
const ratio = (a: Rgb, b: Rgb) => {
  const [x, y] = [lum(a), lum(b)].sort((p, q) => q - p) as [number, number];
  return (x + 0.05) / (y + 0.05);
};

interface Cell {
  ch: string;
  fg: Rgb | null;
  bg: Rgb | null;
  fgCode: string;
  bgCode: string;
}

/** The cells of SGR rows: what the terminal would show, colours resolved with `pal` (null: the terminal's default). */
function parse(rows: string[], console: boolean): Cell[][] {
  return rows.map((row) => {
    let fg: number | null = null,
      bg: number | null = null,
      bold = false,
      fgExt = false,
      bgExt = false;
    const cells: Cell[] = [];
    for (let i = 0; i < row.length; ) {
      const m = /^\x1b\[([\d;]*)m/.exec(row.slice(i));
      if (m) {
        const p = (m[1] || '0').split(';').map(Number);
        for (let k = 0; k < p.length; k++) {
          const c = p[k]!;
          if (c === 0) {
            fg = bg = null;
            bold = false;
          } else if (c === 1) bold = true;
          else if (c === 22) bold = false;
          else if (c >= 30 && c <= 37) {
            fg = c - 30;
            fgExt = false;
          } else if (c >= 40 && c <= 47) {
            bg = c - 40;
            bgExt = false;
          } else if (c === 39) fg = null;
          else if (c === 49) bg = null;
          else if ((c === 38 || c === 48) && p[k + 1] === 5) {
            if (c === 38) {
              fg = p[k + 2]!;
              fgExt = true;
            } else {
              bg = p[k + 2]!;
              bgExt = true;
            }
            k += 2;
          } else throw new Error(`unexpected SGR ${m[0]}`);
        }
        i += m[0].length;
        continue;
      }
      const ch = String.fromCodePoint(row.codePointAt(i)!);
      i += ch.length;
      // 256 colours: only 16–255 have a fixed RGB. Console: 30–37 (+ bold = 8–15) and 40–47.
      const fgRgb =
        fg === null
          ? null
          : console
            ? fgExt
              ? null
              : VGA[fg + (bold ? 8 : 0)]!
            : fgExt && fg >= 16
              ? xterm(fg)
              : null;
      const bgRgb = bg === null ? null : console ? (bgExt ? null : VGA[bg]!) : bgExt && bg >= 16 ? xterm(bg) : null;
      cells.push({ ch, fg: fgRgb, bg: bgRgb, fgCode: `${fg}${fgExt ? '' : bold ? 'b' : ''}`, bgCode: `${bg}` });
    }
    return cells;
  });
}

const same = (a: Rgb | null, b: Rgb | null) => !!a && !!b && a.every((v, i) => v === b[i]);
/** A pixel of big text: a '#' whose glyph and background are one colour. */
const isPixel = (c: Cell) => c.ch === '#' && same(c.fg, c.bg);

/** Each text cell's contrast; a big-text pixel's is to the background beside it. Throws on a default or theme colour. */
function contrasts(grid: Cell[][]): { ratio: number; at: string }[] {
  const out: { ratio: number; at: string }[] = [];
  grid.forEach((row, y) =>
    row.forEach((c, x) => {
      if (!c.fg || !c.bg)
        throw new Error(`cell ${x},${y} '${c.ch}' is in the terminal's own colours (fg ${c.fgCode}, bg ${c.bgCode})`);
      if (c.ch === ' ' || c.ch === '▀') return; // blanks; the photo's half blocks are a picture
      if (isPixel(c)) {
        const ground = [...row.slice(0, x).reverse(), ...row.slice(x + 1)].find((n) => !isPixel(n));
        out.push({ ratio: ratio(c.bg, ground!.bg!), at: `pixel ${x},${y}` });
      } else
        out.push({
          ratio: ratio(c.fg, c.bg),
          at: `${x},${y} '${c.ch}' ${c.fgCode}/${c.bgCode} in "${row
            .map((n) => n.ch)
            .join('')
            .trim()}"`,
        });
    }),
  );
  return out;
}

const png = PNG.sync.read(facePng());
const ready: PhotoState = {
  kind: 'ready',
  img: { width: png.width, height: png.height, data: new Uint8Array(png.data) },
};
const ctx = (over: Partial<DrawContext> = {}): DrawContext => ({
  lang: 'da',
  now: new Date(2026, 10, 24, 14, 5),
  photo: (sha) => (sha === PHOTO_SHA ? ready : { kind: 'missing' }),
  ...over,
});

/** Every screen the cashier can see, with the variants that change colours. */
function screens(lang: 'da' | 'en'): [string, ScreenModel, Partial<DrawContext>][] {
  const d = demoModels(lang);
  const out: [string, ScreenModel, Partial<DrawContext>][] = Object.entries(d).map(([n, m]) => [n, m, {}]);
  const v = d.void!;
  const confirm = d.confirmNote!;
  const pixels: PhotoMode = { kind: 'pixels', cell: { w: 10, h: 21 }, place: () => undefined };
  out.push(
    ['void, already voided', { ...v, view: { ...v.view, void: { ...v.view.void!, voided: true } } }, {}],
    ['void, no sale', { ...v, view: { ...v.view, void: null } }, {}],
    [
      'confirm, after-sale below zero, blocked item',
      {
        ...confirm,
        card: { ...confirm.card!, balance: 1000 },
        view: { ...confirm.view, rules: { leftToday: 0, blockedItem: 'Sodavand' } },
      },
      {},
    ],
    [
      'declined by the rules',
      { ...d.declined!, view: { ...d.declined!.view, rules: { leftToday: 500, blockedItem: 'Sodavand' } } },
      {},
    ],
    ['balance below zero', { ...d.balance!, card: { ...d.balance!.card!, balance: -500, note: 'Astma' } }, {}],
    ['confirm, photo as pixels', confirm, { photoMode: pixels }],
    ['confirm, photo cannot be shown', confirm, { photoMode: { kind: 'none' } }],
    ['confirm, photo loading', confirm, { photo: () => ({ kind: 'loading' }) }],
    ['confirm, photo missing', confirm, { photo: () => ({ kind: 'missing' }) }],
    [
      'idle, reader unplugged, LEDs missing, lead signed in',
      {
        ...d.offline!,
        cashier: { name: 'Mette', role: 'lead' },
        view: { ...d.offline!.view, reader: 'unplugged', indicators: 'screen' },
      } as ScreenModel,
      {},
    ],
  );
  const panel = new SimPanel(
    {
      cards: [
        { uid: '04A1B2C3', label: 'Ida Sørensen' },
        { uid: '04D5', label: 'Mette', role: 'cashier' },
        { uid: '04D6', label: 'Lars', role: 'lead' },
        { uid: '04BADC0FFEE001', label: '', unknown: true },
        { uid: '04A2', label: 'Freja', blocked: true },
      ],
      tap: () => undefined,
      remove: () => undefined,
      togglePlug: () => undefined,
      toggleLedger: () => undefined,
      ledgerRunning: false,
    },
    () => undefined,
  );
  out.push(["idle with the simulator's panel", d.idle!, { overlay: panel }]);
  const open = new SimPanel(
    {
      cards: [
        { uid: '04A1B2C3', label: 'Ida Sørensen' },
        { uid: '04D5', label: 'Mette', role: 'cashier' },
        { uid: '04D6', label: 'Lars', role: 'lead' },
        { uid: '04BADC0FFEE001', label: '', unknown: true },
        { uid: '04A2', label: 'Freja', blocked: true },
      ],
      tap: () => undefined,
      remove: () => undefined,
      togglePlug: () => undefined,
      toggleLedger: () => undefined,
      ledgerRunning: false,
    },
    () => undefined,
  );
  open.handle('k', { name: 'k' });
  out.push(["idle with the simulator's card list open", d.idle!, { overlay: open }]);
  return out;
}

// 80×24 and 88×32 (xterm), 79×22 (foot in the kiosk), the minimum, a wide one, one too small.
const SIZES: [number, number][] = [
  [80, 24],
  [88, 32],
  [79, 22],
  [50, 16],
  [120, 40],
  [40, 12],
];

for (const [terminal, colors] of [
  ['xterm and foot (256 colours)', 256],
  ['the Linux console (8 colours)', 8],
] as const) {
  test(`every screen on ${terminal}: each cell in the UI's own colours, every text ≥ 4.5:1`, (t) => {
    let lowest = { ratio: Infinity, at: '' };
    const failures: string[] = [];
    let checked = 0;
    for (const lang of ['da', 'en'] as const) {
      for (const [name, m, over] of screens(lang)) {
        for (const [w, h] of SIZES) {
          const rows = renderFrame(m, w, h, ctx(over)).lines(colors);
          let cs: { ratio: number; at: string }[];
          try {
            cs = contrasts(parse(rows, colors < 256));
          } catch (e) {
            failures.push(`${name} ${w}×${h}: ${(e as Error).message}`);
            continue;
          }
          for (const c of cs) {
            checked++;
            if (c.ratio < lowest.ratio) lowest = { ratio: c.ratio, at: `${name} ${lang} ${w}×${h} ${c.at}` };
            if (c.ratio < 4.5) failures.push(`${name} ${lang} ${w}×${h}: ${c.ratio.toFixed(2)}:1 at ${c.at}`);
          }
        }
      }
    }
    t.log(`${checked} text cells; lowest contrast ${lowest.ratio.toFixed(2)}:1 (${lowest.at})`);
    // One line for each screen and colour pair that fails (the first place it does).
    const seen = new Set<string>();
    const distinct = failures.filter((f) => {
      const k = f.replace(/ (da|en) \d+×\d+:/, '').replace(/ at .*? (\S+\/\S+) in .*/, ' $1');
      return !seen.has(k) && !!seen.add(k);
    });
    t.deepEqual(distinct.slice(0, 30), [], `${failures.length} failures`);
    t.true(checked > 10000);
  });
}

test('a real xterm whose own colours are magenta on lime: no pixel of any screen shows them', async (t) => {
  // Neither colour is in the UI's palette: a pixel of either is a cell left to the terminal's default.
  const MAGENTA = [255, 0, 255],
    LIME = [0, 255, 0];
  const x = new XtermHarness({ cols: 80, rows: 24, bg: '#ff00ff', fg: '#00ff00' });
  t.teardown(() => x.kill());
  await x.start();
  await harnessStarted(x);
  let before: Rgba | null = null;
  const names = [
    'idle',
    'basket',
    'tap',
    'confirm',
    'confirmNote',
    'confirmBusy',
    'confirmNoPhoto',
    'approved',
    'declined',
    'balance',
    'void',
    'report',
    'error',
    'offline',
  ];
  for (const name of names) {
    const shot: Rgba = await settledShot(x, name, { w: 80 * 9, h: 24 * 15 }, before);
    before = shot;
    let own = 0;
    for (let i = 0; i < shot.width * shot.height * 4; i += 4) {
      const px = [shot.data[i], shot.data[i + 1], shot.data[i + 2]];
      if ([MAGENTA, LIME].some((c) => c.every((v, k) => v === px[k]))) own++;
    }
    if (own > 0) writePng(join(process.cwd(), '.tmp', `xterm-own-colours-${name}.png`), shot);
    t.is(own, 0, `${name}: ${own} pixels in xterm's own colours (.tmp/xterm-own-colours-${name}.png)`);
  }
});
