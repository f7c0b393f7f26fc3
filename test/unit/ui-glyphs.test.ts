// Every character the cashier screen draws is in the fonts a terminal has: the Linux console's
// (console-setup's Lat15 Terminus and Fixed, as Raspberry Pi OS sets them up) and xterm's standard
// 9x15 (ISO 8859-1; xterm draws the line-drawing characters itself). The half blocks are not:
// with fewer than 256 colours or a pixel path none is drawn.
import test from 'ava';
import { renderFrame } from '../../firmware/ui/frame.ts';
import type { PhotoMode } from '../../firmware/ui/draw-context.ts';
import { PNG } from 'pngjs';
import { demoModels, PHOTO_SHA } from '../fixtures/ui/models.ts';
import { facePng } from '../fixtures/ui/face.ts';
import { psfCharacters } from '../fixtures/ui/psf.ts';
import { SimPanel } from '../../firmware/ui/sim-panel.ts';

const FONTS = ['Lat15-Terminus16', 'Lat15-TerminusBold16', 'Lat15-Terminus32x16', 'Lat15-Fixed16'];
const XTERM_9X15 = (c: string) => /^[\u0020-\u007e\u00a0-\u00ff─│┌┐└┘├┤┬┴┼]$/u.test(c);
const face = PNG.sync.read(facePng());
const img = { width: face.width, height: face.height, data: new Uint8Array(face.data) };

const MODES: [string, PhotoMode][] = [
  ['none (8 colours)', { kind: 'none' }],
  ['pixels', { kind: 'pixels', cell: { w: 9, h: 15 }, place: () => {} }],
];

test('every screen in both languages uses only glyphs the console and xterm fonts have', (t) => {
  const drawn = new Set<string>();
  for (const [, photoMode] of MODES) {
    for (const lang of ['da', 'en'] as const) {
      for (const m of Object.values(demoModels(lang))) {
        for (const [w, h] of [
          [50, 16],
          [80, 24],
          [100, 30],
        ] as const) {
          const c = renderFrame(m, w, h, {
            lang,
            now: new Date(2026, 10, 24, 14, 5),
            photoMode,
            photo: (sha) => (sha === PHOTO_SHA ? { kind: 'ready', img } : { kind: 'missing' }),
          });
          for (const row of c.plain()) for (const ch of row) drawn.add(ch);
        }
      }
    }
  }
  // The simulator's panel with its card list open (a framed popup).
  const panel = new SimPanel(
    {
      cards: [{ uid: '04A1', label: 'Ida Sørensen' }],
      tap: () => {},
      remove: () => {},
      togglePlug: () => {},
      toggleLedger: () => {},
      ledgerRunning: true,
    },
    () => {},
  );
  panel.handle('k', { name: 'k' });
  const withPanel = renderFrame(demoModels('da').idle!, 80, 24, {
    lang: 'da',
    now: new Date(),
    photo: () => ({ kind: 'missing' }),
    overlay: panel,
  });
  for (const row of withPanel.plain()) for (const ch of row) drawn.add(ch);
  t.true(
    drawn.has('#') && drawn.has('ø') && drawn.has('│') && drawn.has('┌'),
    "the big font, Danish letters, the rule and the panel's frame are drawn",
  );
  for (const f of FONTS) {
    const has = psfCharacters(`/usr/share/consolefonts/${f}.psf.gz`);
    t.false(has.has('▀'), `${f} lacks the half block (why the big font is not made of them)`);
    const missing = [...drawn].filter((c) => !has.has(c));
    t.deepEqual(missing, [], `${f} (Debian package console-setup-linux) lacks ${missing.join(' ')}`);
  }
  t.deepEqual(
    [...drawn].filter((c) => !XTERM_9X15(c)),
    [],
    'xterm 9x15 (ISO 8859-1 + line drawing)',
  );
});
