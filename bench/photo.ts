// Tap → the cardholder's photo on screen, for a 240×320 JPEG as parents upload them: decoded in
// the worker, the frame rendered, and the photo's pixels out: sixel encoded and written, or
// written into a framebuffer (a file here), each against today's half-block cell renderer in the
// same run. The frame goes to /dev/null as the terminal would take it.
import { openSync, closeSync, writeSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { portraitJpeg } from '../sim/photos.ts';
import { renderFrame } from '../firmware/ui/frame.ts';
import type { PhotoMode } from '../firmware/ui/draw-context.ts';
import { PhotoDecoder } from '../firmware/ui/photo/photo-cache.ts';
import { FramebufferOutput, SixelOutput, type PhotoPlacement } from '../firmware/ui/photo/photo-output.ts';
import { Framebuffer } from '../hal/pi/framebuffer.ts';
import type { Rgba } from '../firmware/ui/photo/photo.ts';
import { demoModels, PHOTO_SHA } from '../test/fixtures/ui/models.ts';
import { latency, msSince, now, type Figure } from './stats.ts';
import type { BenchLog } from './world.ts';

const RUNS = Number(process.env.BENCH_PHOTO_RUNS ?? 60);
const WARMUP = 5;
const MODEL = demoModels('da').confirm;

type Path = 'cells' | 'sixel' | 'framebuffer';

export async function photoPaths(dir: string, _log: BenchLog): Promise<Figure[]> {
  // Different children: a new photo each tap, so nothing is cached between samples.
  const photos = Array.from({ length: 8 }, (_, i) => portraitJpeg(`bench-photo-${i}`, { width: 240, height: 320 }));
  const sink = openSync('/dev/null', 'w');
  const write = (s: string) => {
    writeSync(sink, s);
  };
  const sysfs = join(dir, 'fb0');
  mkdirSync(sysfs);
  writeFileSync(join(sysfs, 'bits_per_pixel'), '32');
  writeFileSync(join(sysfs, 'stride'), String(800 * 4));
  writeFileSync(join(sysfs, 'virtual_size'), '800,480');
  writeFileSync(join(dir, 'fb'), Buffer.alloc(800 * 480 * 4));
  const fb = new FramebufferOutput(Framebuffer.open({ device: join(dir, 'fb'), sysfs }));
  const decoder = new PhotoDecoder();
  // The sizes of an 800×480 panel: foot's 10×20 cells (80×24) for sixel, the console's 8×16
  // (100×30) for the framebuffer, 80×24 half blocks for cells.
  const size: Record<Path, [number, number]> = { cells: [80, 24], sixel: [80, 24], framebuffer: [100, 30] };
  const samples: Record<Path, number[]> = { cells: [], sixel: [], framebuffer: [] };
  const pixelsOut: Record<Path, number> = { cells: 0, sixel: 0, framebuffer: 0 };
  try {
    for (let i = 0; i < WARMUP + RUNS; i++) {
      for (const path of ['cells', 'sixel', 'framebuffer'] as const) {
        const bytes = photos[i % photos.length];
        const t0 = now();
        const img: Rgba = await decoder.decode(bytes);
        const [cols, rows] = size[path];
        const sixel = new SixelOutput(write, { w: 10, h: 20 });
        let placed: PhotoPlacement | null = null;
        const place = (rect: PhotoPlacement['rect'], im: Rgba) => {
          placed = { rect, img: im };
        };
        const photoMode: PhotoMode =
          path === 'cells'
            ? { kind: 'cells' }
            : { kind: 'pixels', cell: path === 'sixel' ? sixel.cell() : fb.cell(cols, rows), place };
        const frame = renderFrame(MODEL, cols, rows, {
          lang: 'da',
          now: new Date(),
          photo: (sha) => (sha === PHOTO_SHA ? { kind: 'ready', img } : { kind: 'missing' }),
          photoMode,
        });
        write(frame.lines().join('\n'));
        const p = placed as PhotoPlacement | null;
        if (path !== 'cells' && !p) throw new Error(`${path}: the photo was not placed`);
        if (path === 'sixel') sixel.paint(p!);
        if (path === 'framebuffer') fb.paint(p!, cols, rows);
        if (i >= WARMUP) samples[path].push(msSince(t0));
        if (p) pixelsOut[path] = p.rect.w * p.rect.h;
      }
    }
  } finally {
    await decoder.close();
    fb.close();
    closeSync(sink);
  }
  const cells = latency(
    'photo.cells',
    "tap → photo drawn: half-block cells (today's renderer)",
    samples.cells,
    250,
    [],
    'decode in the worker + frame + pixels out',
  );
  const vsCells = (id: string, label: string, path: Path): Figure => {
    const f = latency(id, label, samples[path], 250, [{ to: 'of cells (p99)', ms: cells.p99! }]);
    return {
      ...f,
      note: `p50 ${(f.value / cells.value).toFixed(2)}× / p99 ${(f.p99! / cells.p99!).toFixed(2)}× of the cell renderer in the same run; ${pixelsOut[path]} cells of photo`,
    };
  };
  return [
    cells,
    vsCells('photo.sixel', 'tap → photo pixels: sixel encoded and written (240×320)', 'sixel'),
    vsCells('photo.framebuffer', 'tap → photo pixels: framebuffer written (240×320)', 'framebuffer'),
  ];
}
