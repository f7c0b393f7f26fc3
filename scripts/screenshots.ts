// Screenshots of the cashier screens in real terminals, to look at (issue 26): a real xterm with
// sixel (`-ti vt340`, 88×32 cells of 9×15 px: an 800×480 panel) with its own colours black on white
// and white on black (the UI must look the same on both), and the kiosk's foot (systemd/foot.ini)
// full screen in cage on an 800×480 panel. All under Xvfb; the screens are the UI harness's demo
// models (test/fixtures/ui/models.ts), the photo a demo portrait.
//   npm run screenshots -- [--out DIR] [--screens idle,basket,...] [--terminals xterm-white,xterm-black,kiosk] [--docs]
// Writes DIR/<terminal>-<screen>.png (DIR: .tmp/screenshots); --docs (all screens and terminals)
// also copies a few into docs/screenshots/ and writes the README's picture,
// docs/screenshot-confirm.png: the confirm screen (with a parent's note) as the kiosk shows it.
// Debian packages: xvfb xterm xfonts-base x11-apps imagemagick, and for the kiosk cage foot
// xwayland fonts-dejavu-core xdotool (cage runs as nobody: the checkout must be readable by nobody).
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { portraitPng } from '../sim/photos.ts';
import type { Rgba } from '../firmware/ui/photo/photo.ts';
import {
  XtermHarness,
  harnessStarted,
  photoShown,
  settledShot,
  writePng,
  type ScreenTerminal,
} from '../test/fixtures/ui/xterm.ts';
import { KioskHarness } from '../test/fixtures/ui/kiosk.ts';

/** The pictures kept in docs/screenshots/ (small: the confirm screen's photo makes the largest). */
const DOCS = [
  'kiosk-idle',
  'kiosk-basket',
  'kiosk-declined',
  'kiosk-void',
  'kiosk-report',
  'kiosk-offline',
  'xterm-white-confirmNote',
  'xterm-white-basket',
  'xterm-black-declined',
];
const ROOT = resolve(fileURLToPath(new URL('..', import.meta.url)));
const { values } = parseArgs({
  options: {
    out: { type: 'string', default: join(ROOT, '.tmp/screenshots') },
    screens: { type: 'string', default: 'idle,basket,confirmNote,declined,void,report,offline' },
    terminals: { type: 'string', default: 'xterm-white,xterm-black,kiosk' },
    docs: { type: 'boolean', default: false },
    lang: { type: 'string', default: 'da' },
  },
});
const lang = values.lang === 'en' ? 'en' : 'da';
const screens = values.screens.split(',').filter(Boolean);
/** Shows each screen and writes its picture once it has settled. */
async function shoot(term: ScreenTerminal, name: string, area: { w: number; h: number }): Promise<void> {
  await harnessStarted(term);
  let before: Rgba | null = null;
  for (const screen of screens) {
    // The photo screens: until the photo is painted (decoded in a worker, after the frame).
    before = await settledShot(
      term,
      screen,
      area,
      before,
      /^(confirm|balance)/.test(screen) && screen !== 'confirmNoPhoto' ? photoShown : undefined,
    );
    const file = join(values.out, `${name}-${screen}.png`);
    writePng(file, before);
    process.stdout.write(`${file}\n`);
  }
}

mkdirSync(values.out, { recursive: true });
// The demo portrait, where nobody (the kiosk's user) can read it.
const photoDir = mkdtempSync(join(tmpdir(), 'klubkort-shots-'));
chmodSync(photoDir, 0o755);
const photo = join(photoDir, 'portrait.png');
writeFileSync(photo, portraitPng('demo-h-3', { width: 300, height: 375 }));
chmodSync(photo, 0o644);
try {
  for (const t of values.terminals.split(',').filter(Boolean)) {
    if (t === 'kiosk') {
      const k = new KioskHarness({ lang, args: ['--photo-png', photo] });
      try {
        await k.start();
        await shoot(k, t, { w: 800, h: 480 });
      } finally {
        k.kill();
      }
      continue;
    }
    const white = t === 'xterm-white';
    if (!white && t !== 'xterm-black') throw new Error(`unknown terminal ${t} (xterm-white, xterm-black, kiosk)`);
    const x = new XtermHarness({
      cols: 88,
      rows: 32,
      lang,
      bg: white ? 'white' : 'black',
      fg: white ? 'black' : 'white',
      args: ['--photo-png', photo],
    });
    try {
      await x.start();
      await shoot(x, t, { w: 88 * 9, h: 32 * 15 });
    } finally {
      x.kill();
    }
  }
  if (values.docs) {
    const copy = (name: string, to: string) => {
      copyFileSync(join(values.out, `${name}.png`), to);
      process.stdout.write(`${to}\n`);
    };
    copy('kiosk-confirmNote', join(ROOT, 'docs/screenshot-confirm.png'));
    mkdirSync(join(ROOT, 'docs/screenshots'), { recursive: true });
    for (const name of DOCS) copy(name, join(ROOT, 'docs/screenshots', `${name}.png`));
  }
} finally {
  rmSync(photoDir, { recursive: true, force: true });
}
