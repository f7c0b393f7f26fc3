// The photo as real pixels, seen the way the cashier sees it: a real xterm with sixel under Xvfb
// (screenshot), and the framebuffer path writing into a file-backed framebuffer with a fake sysfs.
// Either way the photo must be at least 240×320 and match the source (PSNR ≥ 25 dB).
import test from 'ava';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { portraitPng } from '../../sim/photos.ts';
import { bigText } from '../../firmware/ui/bigtext.ts';
import type { Rgba } from '../../firmware/ui/photo/photo.ts';
import { XtermHarness, writePng } from '../fixtures/ui/xterm.ts';
import { TmuxHarness } from '../fixtures/ui/tmux.ts';
import { bboxOf, crop, findPhoto, psnr, scaled, type Box } from '../fixtures/ui/pixels.ts';

const PHOTO_BG = [38, 38, 38] as const; // xterm's colour 235, the photo box
const YELLOW = [255, 215, 0] as const; // colour 220, the total

function tempDir(t: import('ava').ExecutionContext): string {
  const dir = mkdtempSync(join(tmpdir(), 'klubkort-pixels-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** The demo photo (photo-like: gradients, grain, strands) as a PNG file, and its pixels. */
function sourcePhoto(dir: string): { file: string } {
  const file = join(dir, 'photo.png');
  writeFileSync(file, portraitPng('demo-h-3', { width: 300, height: 375 }));
  return { file };
}

/** Reads a big-font text back from the screenshot: each cell of the box is a pixel of the font. */
function readBig(shot: Rgba, box: Box, cell: { w: number; h: number }): string[] {
  const rows: string[] = [];
  for (let y = box.y + cell.h / 2; y < box.y + box.h; y += cell.h) {
    let row = '';
    for (let x = box.x + cell.w / 2; x < box.x + box.w; x += cell.w) {
      const i = (Math.floor(y) * shot.width + Math.floor(x)) * 4;
      row +=
        Math.abs(shot.data[i]! - YELLOW[0]) +
          Math.abs(shot.data[i + 1]! - YELLOW[1]) +
          Math.abs(shot.data[i + 2]! - YELLOW[2]) <
        30
          ? '#'
          : ' ';
    }
    rows.push(row);
  }
  return rows;
}

/** The big-font pattern with blank columns at either side cut off, as a screenshot's bounding box would. */
function trimmedBig(s: string): string[] {
  const rows = bigText(s)!;
  const used = (x: number) => rows.some((r) => r[x] === '#');
  let a = 0,
    b = rows[0]!.length - 1;
  while (!used(a)) a++;
  while (!used(b)) b--;
  return rows.map((r) => r.slice(a, b + 1));
}

test('xterm -ti vt340 (sixel): the photo is at least 240×320 and matches its source; the big total reads back', async (t) => {
  const dir = tempDir(t);
  const src = sourcePhoto(dir);
  // 88×32 cells of 9×15 pixels: an 800×480 panel.
  const h = new XtermHarness({ cols: 88, rows: 32, args: ['--photo-png', src.file] });
  t.teardown(() => h.kill());
  await h.start();
  await h.until(() => (h.stderr().includes('photo path') ? true : null), 'the harness to start');
  t.regex(h.stderr(), /"photo":"sixel","why":"sixel, cells of 9×15 px"/);
  h.show('confirm');
  const left: Box = { x: 0, y: 0, w: 440, h: 480 };
  const { shot, value: at } = await h.until((s) => {
    const p = findPhoto(s, PHOTO_BG, left);
    return p && p.w >= 200 && p.h >= 200 ? p : null;
  }, 'the photo on screen');
  writePng(join(process.cwd(), '.tmp', 'xterm-confirm.png'), crop(shot, { x: 0, y: 0, w: 792, h: 480 }));
  const db = psnr(crop(shot, at), scaled(src.file, at.w, at.h));
  t.log(
    `photo on screen ${at.w}×${at.h} px at (${at.x},${at.y}); PSNR ${db.toFixed(1)} dB against the source scaled to that size by ImageMagick`,
  );
  t.true(at.w >= 240 && at.h >= 320, `${at.w}×${at.h}`);
  t.true(Math.abs(at.w / at.h - 300 / 375) < 0.02, 'aspect kept');
  t.true(db >= 25, `${db} dB`);
  // The total "28,00 kr" drawn in the big font: read back cell by cell from the pixels.
  const total = bboxOf(shot, YELLOW, { x: 440, y: 0, w: 350, h: 300 }, false, 10);
  t.truthy(total, 'the big total is on screen');
  t.deepEqual(readBig(shot, total!, { w: 9, h: 15 }), trimmedBig('28,00 kr'));
  // The next screen has no photo: none of its pixels may stay behind.
  h.show('declined');
  const gone = await h.until((s) => {
    const red = bboxOf(s, [175, 0, 0], { x: 0, y: 0, w: 792, h: 420 }, false, 3); // colour 124, the declined body
    return red && red.w > 700 ? red : null;
  }, 'the declined screen');
  // Where the photo was, left of the text (the result's last line, what to do next, is wide: it
  // begins at about the 12th cell).
  const left2 = crop(gone.shot, { x: 20, y: 40, w: 80, h: 360 });
  writePng(join(process.cwd(), '.tmp', 'xterm-declined.png'), crop(gone.shot, { x: 0, y: 0, w: 792, h: 480 }));
  const notRed = bboxOf(left2, [175, 0, 0], undefined, true, 3);
  t.is(notRed, null, "the photo's area is the declined screen's red, not the photo");
});

/** A framebuffer file of w×h at bpp, its sysfs geometry beside it. */
function fakeFramebuffer(dir: string, w: number, h: number, bpp: 16 | 32): { device: string; sysfs: string } {
  const sysfs = join(dir, 'sys-fb0');
  mkdirSync(sysfs);
  writeFileSync(join(sysfs, 'bits_per_pixel'), `${bpp}\n`);
  writeFileSync(join(sysfs, 'stride'), `${(w * bpp) / 8}\n`);
  writeFileSync(join(sysfs, 'virtual_size'), `${w},${h}\n`);
  const device = join(dir, 'fb0');
  writeFileSync(device, Buffer.alloc((w * h * bpp) / 8));
  return { device, sysfs };
}

/** The framebuffer file's bytes as RGBA. */
function framebufferRgba(b: Buffer, w: number, h: number, bpp: 16 | 32): Rgba {
  const out = new Uint8Array(w * h * 4);
  for (let i = 0; i < w * h; i++) {
    if (bpp === 32) {
      out[i * 4] = b[i * 4 + 2]!;
      out[i * 4 + 1] = b[i * 4 + 1]!;
      out[i * 4 + 2] = b[i * 4]!;
    } else {
      const v = b.readUInt16LE(i * 2);
      out[i * 4] = (((v >> 11) & 31) * 255) / 31;
      out[i * 4 + 1] = (((v >> 5) & 63) * 255) / 63;
      out[i * 4 + 2] = ((v & 31) * 255) / 31;
    }
    out[i * 4 + 3] = 255;
  }
  return { width: w, height: h, data: out };
}

for (const [bpp, how] of [
  [32, 'auto'],
  [16, 'framebuffer'],
] as const) {
  test(`framebuffer ${bpp === 32 ? 'XRGB8888' : 'RGB565'} (display.photo ${how}, TERM=linux): the photo is written into the photo box's pixels`, async (t) => {
    const dir = tempDir(t);
    const src = sourcePhoto(dir);
    // 800×480 with a 100×30 console: cells of 8×16, as the Terminus 16 font gives.
    const fb = fakeFramebuffer(dir, 800, 480, bpp);
    const h = new TmuxHarness({
      cols: 100,
      rows: 30,
      term: 'linux',
      args: ['--photo', how, '--fb-device', fb.device, '--fb-sysfs', fb.sysfs, '--photo-png', src.file],
    });
    t.teardown(() => h.kill());
    h.start();
    h.show('confirm');
    await h.screen(['Ida Sørensen', 'Enter  Godkend'], ['Henter foto']);
    // The photo goes into the file a row at a time: a read may catch it part written (CI once read
    // 343 of its 416 rows, tall enough, and compared them with the whole photo). So the same bytes
    // twice, 50 ms apart.
    let last: Buffer | null = null;
    const img = await h
      .until(
        () => {
          const bytes = readFileSync(fb.device);
          const same = last?.equals(bytes) ?? false;
          last = bytes;
          return { same, img: framebufferRgba(bytes, 800, 480, bpp) };
        },
        (r) => r.same && (bboxOf(r.img, [0, 0, 0], undefined, true, 0)?.h ?? 0) >= 320,
        'the photo in the framebuffer, written whole',
      )
      .then((r) => r.img);
    const at = bboxOf(img, [0, 0, 0], undefined, true, 0)!;
    const db = psnr(crop(img, at), scaled(src.file, at.w, at.h));
    t.log(`photo ${at.w}×${at.h} px at (${at.x},${at.y}) of 800×480; PSNR ${db.toFixed(1)} dB`);
    t.true(at.w >= 240 && at.h >= 320, `${at.w}×${at.h}`);
    // Inside the photo box: the left part of the body, below the header row.
    t.true(at.x >= 8 && at.y >= 16 && at.x + at.w <= 8 * 55, JSON.stringify(at));
    t.true(db >= 25, `${db} dB`);
    // The box's cells are left blank for the pixels: no half-block photo under them.
    t.false(h.capture().includes('▀'));
    if (bpp === 32) writePng(join(process.cwd(), '.tmp', 'fb-confirm.png'), img);
  });
}

test('TERM=linux without a pixel path: 8 colours only, and the photo is plainly not shown, never a blob', async (t) => {
  const h = new TmuxHarness({ cols: 100, rows: 30, term: 'linux', args: ['--fb-device', '/nonexistent/fb0'] });
  t.teardown(() => h.kill());
  h.start();
  h.show('confirm');
  const screen = await h.screen(['Ida Sørensen', 'FOTOET KAN IKKE VISES', 'BARNETS NAVN']);
  t.false(screen.includes('▀'), 'no photo drawn in cells');
  const sgr = h.capture(true);
  const codes = [...sgr.matchAll(/\x1b\[([\d;]*)m/g)]
    .flatMap((m) => m[1]!.split(';'))
    .filter(Boolean)
    .map(Number);
  t.false(codes.includes(38) || codes.includes(48), 'no 256-colour codes');
  // The total keeps its yellow, not the red that blessed's reduction made of it: the console's
  // yellow background (brown, 4:1 on black) is too dark for it, so it is bright yellow '#' (1;33).
  t.regex(sgr, /\x1b\[33m###/, 'yellow total');
  t.false(codes.includes(39) || codes.includes(49), 'no default colours');
  t.regex(screen, /#{3} #{3}/, 'the big total is drawn with # cells');
});
