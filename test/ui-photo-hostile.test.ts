// Hostile photos: refused from the header before decoding, decoded off the main thread with a
// deadline, a newer photo cancelling an older decode; memory and event-loop stall are measured.
import test from 'ava';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { PNG } from 'pngjs';
import jpeg from 'jpeg-js';
import { checkImage, readImageHeader, ImageRefused } from '../firmware/ui/image-header.ts';
import { DecodeCancelled, PhotoCache, PhotoDecoder, THUMB_SIDE, type PhotoState } from '../firmware/ui/photo-cache.ts';
import { fitSize, resample } from '../firmware/ui/photo.ts';
import { bombPng, liarJpeg } from './fixtures/ui/hostile.ts';
import { facePng } from './fixtures/ui/face.ts';

/** Runs `fn` and reports the main thread's worst event-loop stall and the growth of the process's memory. */
async function measured<T>(fn: () => Promise<T>): Promise<{ value: T | Error; stallMs: number; rssMb: number }> {
  const h = monitorEventLoopDelay({ resolution: 5 });
  h.enable();
  const rss0 = process.memoryUsage().rss;
  let peak = rss0;
  const sampler = setInterval(() => { peak = Math.max(peak, process.memoryUsage().rss); }, 5);
  let value: T | Error;
  try { value = await fn(); } catch (e) { value = e as Error; }
  clearInterval(sampler);
  h.disable();
  return { value, stallMs: h.max / 1e6, rssMb: (Math.max(peak, process.memoryUsage().rss) - rss0) / 2 ** 20 };
}

test.serial('the header gives format and size without decoding; lies and junk are refused', (t) => {
  t.deepEqual(readImageHeader(facePng(60, 80)), { format: 'png', width: 60, height: 80 });
  const src = PNG.sync.read(facePng(60, 80));
  t.deepEqual(readImageHeader(jpeg.encode({ data: src.data, width: 60, height: 80 }, 90).data), { format: 'jpeg', width: 60, height: 80 });
  t.deepEqual(readImageHeader(liarJpeg(20000, 20000)), { format: 'jpeg', width: 20000, height: 20000 });
  t.deepEqual(readImageHeader(bombPng(20000, 20000)), { format: 'png', width: 20000, height: 20000 });
  const reason = (b: Uint8Array) => { try { checkImage(b); return 'ok'; } catch (e) { return (e as ImageRefused).reason; } };
  t.is(reason(bombPng(20000, 20000)), 'too_large');
  t.is(reason(liarJpeg(20000, 20000)), 'too_large');
  t.is(reason(bombPng(4097, 10)), 'too_large');
  t.is(reason(bombPng(4096, 4096)), 'too_large', 'past 16 megapixels');
  t.is(reason(bombPng(4000, 4000)), 'ok');
  t.is(reason(Buffer.from('GIF89a....')), 'not_an_image');
  t.is(reason(facePng().subarray(0, 20)), 'truncated');
  t.is(reason(liarJpeg(100, 100).subarray(0, 4)), 'truncated');
  t.is(reason(Buffer.alloc(5 * 1024 * 1024)), 'too_many_bytes');
  t.is(reason(bombPng(0, 10)), 'not_an_image');
});

for (const [name, bytes] of [['a 48 KB PNG of 20,000×20,000 one-bit pixels', bombPng(20000, 20000)], ['a JPEG claiming 20,000×20,000', liarJpeg(20000, 20000)]] as const) {
  test.serial(`${name} is refused before decoding: no stall, no memory`, async (t) => {
    const d = new PhotoDecoder();
    t.teardown(() => d.close());
    const m = await measured(() => d.decode(bytes));
    t.true(m.value instanceof ImageRefused && m.value.reason === 'too_large', String(m.value));
    t.log(`${bytes.length} bytes: refused; event-loop stall ${m.stallMs.toFixed(1)} ms, memory +${m.rssMb.toFixed(1)} MB`);
    // The next child's photo is decoded at once.
    const face = await d.decode(facePng());
    t.deepEqual([face.width, face.height], [120, 160]);
  });
}

test.serial('the largest allowed photo decodes off the main thread into a thumbnail; its cost is measured', async (t) => {
  const d = new PhotoDecoder();
  t.teardown(() => d.close());
  const m = await measured(() => d.decode(bombPng(4000, 4000, 8)));
  t.false(m.value instanceof Error, String(m.value));
  if (!(m.value instanceof Error)) t.deepEqual([m.value.width, m.value.height], [THUMB_SIDE, THUMB_SIDE]);
  t.log(`4000×4000 PNG (16 MP): event-loop stall ${m.stallMs.toFixed(1)} ms, process memory +${m.rssMb.toFixed(0)} MB at peak`);
});

test.serial('the worker\'s thumbnail is photo.ts\'s resampling', async (t) => {
  const d = new PhotoDecoder({ maxSide: 50 });
  t.teardown(() => d.close());
  const bytes = facePng(120, 160);
  const got = await d.decode(bytes);
  const src = PNG.sync.read(bytes);
  const { w, h } = fitSize(120, 160, 50, 50);
  const want = resample({ width: 120, height: 160, data: new Uint8Array(src.data) }, w, h);
  t.deepEqual([got.width, got.height], [want.width, want.height]);
  t.deepEqual(Buffer.from(got.data), Buffer.from(want.data));
});

test.serial('a newer photo cancels an older decode; a decode past its deadline is refused; the decoder goes on', async (t) => {
  const d = new PhotoDecoder();
  t.teardown(() => d.close());
  const slow = d.decode(bombPng(4000, 4000, 8));
  const started = performance.now();
  const face = await d.decode(facePng());
  t.log(`the next child's photo after a 16 MP one: ${(performance.now() - started).toFixed(0)} ms`);
  t.deepEqual([face.width, face.height], [120, 160]);
  await t.throwsAsync(slow, { instanceOf: DecodeCancelled });
  const hurried = new PhotoDecoder({ timeoutMs: 1 });
  t.teardown(() => hurried.close());
  const late = await t.throwsAsync(hurried.decode(bombPng(4000, 4000, 8)), { instanceOf: ImageRefused });
  t.is((late as ImageRefused).reason, 'timeout');
  d.cancel();
  t.is((await d.decode(facePng())).width, 120);
});

test.serial('the cache shows a refused photo as missing, logs why without whose it is, and does not ask again', async (t) => {
  const warnings: unknown[][] = [];
  let lookups = 0;
  const sha = 'b'.repeat(64);
  const state = await new Promise<PhotoState>((resolve) => {
    const cache: PhotoCache = new PhotoCache(async () => { lookups++; return bombPng(20000, 20000); }, () => {
      const s = cache.get(sha);
      if (s.kind !== 'loading') resolve(s);
    }, { retryMs: 5, log: { warn: (...a: unknown[]) => { warnings.push(a); } } });
    t.teardown(() => cache.close());
    t.is(cache.get(sha).kind, 'loading');
  });
  t.is(state.kind, 'missing');
  await new Promise((r) => setTimeout(r, 50));
  t.is(lookups, 1, 'a refused photo is not fetched again');
  t.is(warnings.length, 1);
  const text = JSON.stringify(warnings);
  t.regex(text, /too_large/);
  t.false(text.includes(sha) || text.includes('bbbbbbbb'), text);
});
