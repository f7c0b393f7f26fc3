import test from 'ava';
import jpeg from 'jpeg-js';
import { PNG } from 'pngjs';
import { fitSize, resample, xterm256, photoCellSize, drawPhoto, type Rgba } from '../../firmware/ui/photo/photo.ts';
import { PhotoCache, PhotoDecoder, type PhotoState } from '../../firmware/ui/photo/photo-cache.ts';
import { Canvas } from '../../firmware/ui/draw/canvas.ts';
import { facePng } from '../fixtures/ui/face.ts';

const solid = (w: number, h: number, rgb: [number, number, number], a = 255): Rgba => {
  const data = new Uint8Array(w * h * 4);
  for (let i = 0; i < w * h; i++) data.set([...rgb, a], i * 4);
  return { width: w, height: h, data };
};

test('fitSize keeps the aspect ratio within the box', (t) => {
  t.deepEqual(fitSize(120, 160, 40, 40), { w: 30, h: 40 });
  t.deepEqual(fitSize(160, 120, 40, 40), { w: 40, h: 30 });
  t.deepEqual(fitSize(10, 10, 100, 50), { w: 50, h: 50 });
  t.deepEqual(fitSize(1000, 1, 10, 10), { w: 10, h: 1 });
  t.deepEqual(fitSize(0, 10, 10, 10), { w: 0, h: 0 });
});

test('a cell is 1×2 pixels: a 3:4 portrait in a 40×20-cell box is 30 cells wide, 20 rows high', (t) => {
  t.deepEqual(photoCellSize({ width: 300, height: 400 }, 40, 20), { cols: 30, rows: 20 });
  t.deepEqual(photoCellSize({ width: 400, height: 300 }, 40, 20), { cols: 40, rows: 15 });
});

test('resampling averages blocks; alpha is laid over black', (t) => {
  const img = solid(4, 2, [0, 0, 0]);
  img.data.set([200, 100, 0, 255], 0); // one of the first block's four pixels
  const r = resample(img, 2, 1);
  t.deepEqual([...r.data.slice(0, 4)], [50, 25, 0, 255]);
  t.deepEqual([...r.data.slice(4, 8)], [0, 0, 0, 255]);
  t.deepEqual([...resample(solid(1, 1, [255, 255, 255], 0), 1, 1).data], [0, 0, 0, 255]);
});

test('xterm-256 colours: cube for colours, grey ramp for greys', (t) => {
  t.is(xterm256(255, 0, 0), 196);
  t.is(xterm256(0, 0, 0), 16);
  t.is(xterm256(255, 255, 255), 231);
  t.is(xterm256(128, 128, 128), 244);
  t.is(xterm256(95, 135, 175), 67);
});

test('drawPhoto fills its box with upper half blocks, upper pixel in front, lower behind', (t) => {
  const img = solid(2, 4, [255, 0, 0]);
  img.data.set([0, 0, 255, 255, 0, 0, 255, 255], 8); // second pixel row blue
  const c = new Canvas(6, 3);
  const at = drawPhoto(c, { x: 0, y: 0, w: 6, h: 2 }, img);
  t.deepEqual(at, { x: 2, y: 0, w: 2, h: 2 });
  t.deepEqual(c.plain(), ['  ▀▀  ', '  ▀▀  ', '      ']);
  t.regex(c.lines()[0]!, /38;5;196;48;5;21m▀▀/);
  t.regex(c.lines()[1]!, /38;5;196;48;5;196m▀▀/);
});

test('the decoder thread reads PNG and JPEG and rejects anything else', async (t) => {
  const d = new PhotoDecoder();
  t.teardown(() => d.close());
  const png = await d.decode(facePng(60, 80));
  t.deepEqual([png.width, png.height], [60, 80]);
  const src = PNG.sync.read(facePng(60, 80));
  const jpg = await d.decode(jpeg.encode({ data: src.data, width: 60, height: 80 }, 90).data);
  t.deepEqual([jpg.width, jpg.height], [60, 80]);
  t.is(jpg.data.length, 60 * 80 * 4);
  await t.throwsAsync(d.decode(Buffer.from('not an image')), { message: /neither PNG nor JPEG/ });
  await t.throwsAsync(d.decode(Buffer.from([0x89, 0x50, 0x4e, 0x47, 1, 2, 3])));
});

/** The cache's state for `sha` once it stops loading (its first answer must be 'loading'). */
function settle(
  make: (onChange: () => void) => PhotoCache,
  sha: string,
): Promise<{ cache: PhotoCache; state: PhotoState }> {
  return new Promise((resolve, reject) => {
    const cache = make(() => {
      const s = cache.get(sha);
      if (s.kind !== 'loading') resolve({ cache, state: s });
    });
    if (cache.get(sha).kind !== 'loading') reject(new Error('the first answer must be loading'));
  });
}

test('the cache answers at once (loading), then holds the decoded photo by sha', async (t) => {
  let lookups = 0;
  const { cache, state } = await settle(
    (cb) =>
      new PhotoCache(async () => {
        lookups++;
        return facePng();
      }, cb),
    'abc',
  );
  t.teardown(() => cache.close());
  t.is(state.kind, 'ready');
  if (state.kind === 'ready') t.deepEqual([state.img.width, state.img.height], [120, 160]);
  t.is(cache.get('abc'), state);
  t.is(lookups, 1);
  cache.clear();
  t.is(cache.get('abc').kind, 'loading');
});

test('a photo the journal lacks, or cannot decode, is missing and looked up again later', async (t) => {
  let calls = 0;
  const lookup = async () => (++calls === 1 ? null : facePng());
  const { cache, state } = await settle((cb) => new PhotoCache(lookup, cb, { retryMs: 10 }), 'x');
  t.teardown(() => cache.close());
  t.is(state.kind, 'missing');
  const next = await new Promise<PhotoState>((resolve) => {
    const poll = () => {
      const s = cache.get('x');
      if (s.kind === 'ready') resolve(s);
      else setTimeout(poll, 5);
    };
    poll();
  });
  t.is(next.kind, 'ready');
  const broken = await settle((cb) => new PhotoCache(async () => Buffer.from('junk'), cb), 'y');
  t.teardown(() => broken.cache.close());
  t.is(broken.state.kind, 'missing');
  const failing = await settle(
    (cb) =>
      new PhotoCache(async () => {
        throw new Error('db gone');
      }, cb),
    'z',
  );
  t.teardown(() => failing.cache.close());
  t.is(failing.state.kind, 'missing');
});

test('the sixel palette is fitted to the photo: exact for few colours, at most 256 for many', async (t) => {
  const { fitPalette } = await import('../../firmware/ui/photo/palette.ts');
  const img = solid(4, 1, [10, 20, 30]);
  img.data.set([200, 100, 0, 255], 4);
  img.data.set([0, 0, 255, 255], 8);
  const q = fitPalette(img, 256);
  t.is(q.palette.length, 3);
  t.deepEqual(
    [...q.indices].map((i) => q.palette[i]),
    [
      [10, 20, 30],
      [200, 100, 0],
      [0, 0, 255],
      [10, 20, 30],
    ],
  );
  const noisy = solid(64, 64, [0, 0, 0]);
  for (let i = 0; i < 64 * 64; i++) noisy.data.set([(i * 7) & 255, (i * 13) & 255, (i * 29) & 255], i * 4);
  const many = fitPalette(noisy, 256);
  t.is(many.palette.length, 256);
  t.true([...many.indices].every((i) => i < 256));
  t.is(fitPalette(noisy, 16).palette.length, 16, 'a VT340 has 16 registers');
});
