// Hostile photos: refused from the header before decoding, decoded off the main thread with a
// deadline, a newer photo cancelling an older decode; memory and event-loop stall are measured.
import test from 'ava';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { PNG } from 'pngjs';
import jpeg from 'jpeg-js';
import { checkImage, readImageHeader, ImageRefused } from '../../firmware/ui/photo/image-header.ts';
import {
  DecodeCancelled,
  PhotoCache,
  PhotoDecoder,
  THUMB_SIDE,
  type PhotoState,
} from '../../firmware/ui/photo/photo-cache.ts';
import { fitSize, resample } from '../../firmware/ui/photo/photo.ts';
import { bombPng, chunk, editedJpeg, ihdr, liarJpeg, pngOf, sofSegment, twoHeaderPng } from '../fixtures/ui/hostile.ts';
import { facePng } from '../fixtures/ui/face.ts';
import { deflateSync } from 'node:zlib';

/** The largest square of 8-bit grey within the decoder's memory (DECODE_MEMORY_MB). */
const BIG = bombPng(3400, 3400, 8);

/** Runs `fn` and reports the main thread's worst event-loop stall and the growth of the process's memory. */
async function measured<T>(fn: () => Promise<T>): Promise<{ value: T | Error; stallMs: number; rssMb: number }> {
  const h = monitorEventLoopDelay({ resolution: 5 });
  h.enable();
  const rss0 = process.memoryUsage().rss;
  let peak = rss0;
  const sampler = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage().rss);
  }, 5);
  let value: T | Error;
  try {
    value = await fn();
  } catch (e) {
    value = e as Error;
  }
  clearInterval(sampler);
  h.disable();
  return { value, stallMs: h.max / 1e6, rssMb: (Math.max(peak, process.memoryUsage().rss) - rss0) / 2 ** 20 };
}

test.serial('the header gives format and size without decoding; lies and junk are refused', (t) => {
  t.like(readImageHeader(facePng(60, 80)), { format: 'png', width: 60, height: 80 });
  const src = PNG.sync.read(facePng(60, 80));
  t.like(readImageHeader(jpeg.encode({ data: src.data, width: 60, height: 80 }, 90).data), {
    format: 'jpeg',
    width: 60,
    height: 80,
  });
  t.like(readImageHeader(liarJpeg(20000, 20000)), { format: 'jpeg', width: 20000, height: 20000 });
  t.like(readImageHeader(bombPng(20000, 20000)), { format: 'png', width: 20000, height: 20000 });
  const reason = (b: Uint8Array) => {
    try {
      checkImage(b);
      return 'ok';
    } catch (e) {
      return (e as ImageRefused).reason;
    }
  };
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

/** Why checkImage refuses `b` ('ok' if it does not), and what it says. */
const refusal = (b: Uint8Array): string => {
  try {
    checkImage(b);
    return 'ok';
  } catch (e) {
    return (e as ImageRefused).message;
  }
};

test.serial(
  'issue 24: a PNG is read chunk by chunk as pngjs reads it; any header it could decode differently is refused',
  (t) => {
    const end: [string, Buffer] = ['IEND', Buffer.alloc(0)];
    const data = (_w: number, h: number, rowBytes: number) =>
      ['IDAT', deflateSync(Buffer.alloc((rowBytes + 1) * h))] as [string, Buffer];
    const png = (...chunks: [string, Buffer][]) => pngOf(chunks);
    const cases: [string, Buffer, RegExp][] = [
      [
        'two IHDR: 16×16, then the 20,000×20,000 pngjs would decode',
        twoHeaderPng([16, 16], [20000, 20000]),
        /^malformed: PNG with a second IHDR/,
      ],
      ['two IHDR, interlaced', twoHeaderPng([16, 16], [20000, 20000], 1), /^malformed: PNG with a second IHDR/],
      [
        'two IHDR, the same size twice',
        png(['IHDR', ihdr(16, 16)], ['IHDR', ihdr(16, 16)], data(16, 16, 2), end),
        /^malformed: PNG with a second IHDR/,
      ],
      ['IDAT before IHDR', png(data(16, 16, 2), ['IHDR', ihdr(16, 16)], end), /^not_an_image: PNG without IHDR first/],
      [
        'an IHDR of 14 bytes',
        png(['IHDR', Buffer.concat([ihdr(16, 16), Buffer.alloc(1)])], data(16, 16, 2), end),
        /^malformed: PNG IHDR of 14 bytes/,
      ],
      [
        'a chunk with a wrong CRC',
        Buffer.concat([bombPng(16, 16).subarray(0, 29), Buffer.from([0, 0, 0, 0]), bombPng(16, 16).subarray(33)]),
        /^malformed: PNG IHDR chunk with a wrong CRC/,
      ],
      [
        'RGB at 1 bit a sample',
        png(['IHDR', ihdr(16, 16, { colorType: 2 })], data(16, 16, 6), end),
        /^unsupported: PNG colour type 2 at 1 bits/,
      ],
      [
        'interlace method 2',
        png(['IHDR', Buffer.from(ihdr(16, 16).map((x, i) => (i === 12 ? 2 : x)))], data(16, 16, 2), end),
        /^unsupported/,
      ],
      [
        'a critical chunk pngjs does not know',
        png(['IHDR', ihdr(16, 16)], ['ZZZZ', Buffer.alloc(4)], data(16, 16, 2), end),
        /^unsupported: PNG critical chunk "ZZZZ"/,
      ],
      [
        'a palette image without PLTE',
        png(['IHDR', ihdr(16, 16, { bitDepth: 8, colorType: 3 })], data(16, 16, 16), end),
        /^malformed: PNG with a palette colour type and no PLTE/,
      ],
      [
        'two PLTE',
        png(
          ['IHDR', ihdr(16, 16, { bitDepth: 8, colorType: 3 })],
          ['PLTE', Buffer.alloc(3)],
          ['PLTE', Buffer.alloc(3)],
          data(16, 16, 16),
          end,
        ),
        /^malformed: PNG with a second PLTE/,
      ],
      [
        'IDAT chunks apart',
        png(['IHDR', ihdr(16, 16)], data(16, 16, 2), ['tEXt', Buffer.from('a\0b')], data(16, 16, 2), end),
        /^malformed: PNG with IDAT chunks apart/,
      ],
      [
        'bytes after IEND',
        Buffer.concat([bombPng(16, 16), Buffer.from('trailing')]),
        /^malformed: PNG with bytes after IEND/,
      ],
      ['no IEND', bombPng(16, 16).subarray(0, -12), /^truncated: PNG ends before IEND/],
      [
        '5,000 empty ancillary chunks (the walk runs on the main thread)',
        png(
          ['IHDR', ihdr(16, 16)],
          ...Array.from({ length: 5000 }, (): [string, Buffer] => ['tEXt', Buffer.alloc(0)]),
          data(16, 16, 2),
          end,
        ),
        /^malformed: PNG of more than 4096 chunks/,
      ],
      [
        'a chunk longer than the file',
        Buffer.concat([bombPng(16, 16).subarray(0, 33), chunk('IDAT', Buffer.alloc(100)).subarray(0, 50)]),
        /^truncated: PNG ends inside its IDAT chunk/,
      ],
    ];
    for (const [what, bytes, want] of cases) t.regex(refusal(bytes), want, what);
    // Ancillary chunks pngjs skips (sBIT, tEXt) and a palette with its transparency are fine.
    t.is(
      refusal(
        png(
          ['IHDR', ihdr(16, 16, { bitDepth: 8, colorType: 3 })],
          ['sBIT', Buffer.from([5, 5, 5])],
          ['PLTE', Buffer.alloc(6)],
          ['tRNS', Buffer.from([0])],
          data(16, 16, 16),
          ['tEXt', Buffer.from('a\0b')],
          end,
        ),
      ),
      'ok',
    );
    t.like(
      readImageHeader(bombPng(16, 16, 1, 1)),
      { interlaced: true, rawBytes: 68 },
      'Adam7: seven passes, each row with its filter byte',
    );
  },
);

test.serial(
  'issue 24: a JPEG is read segment by segment as jpeg-js reads it; one frame header, of a kind it decodes, whose segments end at their lengths',
  (t) => {
    const sof = (s: [number, Buffer][]) => s.findIndex(([m]) => m === 0xc0);
    const cases: [string, Buffer, RegExp][] = [
      [
        'a second frame header of 20,000×20,000',
        editedJpeg((s) => [...s.slice(0, sof(s) + 1), [0xc0, sofSegment(0, 20000, 20000)], ...s.slice(sof(s) + 1)]),
        /^malformed: JPEG with 2 frame headers/,
      ],
      [
        'a second frame header after the scan',
        editedJpeg((s) => [...s.slice(0, -1), [0xc2, sofSegment(2, 16, 16)], ...s.slice(-1)]),
        /^malformed: JPEG with 2 frame headers/,
      ],
      [
        'arithmetic coding (SOF9)',
        editedJpeg((s) => s.map(([m, b]) => (m === 0xc0 ? [0xc9, sofSegment(9, 16, 16)] : [m, b]))),
        /^unsupported: JPEG frame type SOF9/,
      ],
      [
        'lossless (SOF3)',
        editedJpeg((s) => s.map(([m, b]) => (m === 0xc0 ? [0xc3, sofSegment(3, 16, 16)] : [m, b]))),
        /^unsupported: JPEG frame type SOF3/,
      ],
      [
        'a frame header longer than its components',
        editedJpeg((s) =>
          s.map(([m, b]) =>
            m === 0xc0
              ? [m, Buffer.concat([Buffer.from([0xff, 0xc0, 0, 20]), b.subarray(4), Buffer.alloc(1)])]
              : [m, b],
          ),
        ),
        /^malformed: JPEG segment FFC0 whose contents do not end/,
      ],
      [
        'a quantisation table overrunning its segment',
        editedJpeg((s) =>
          s.map(([m, b]) => (m === 0xdb ? [m, Buffer.from(b.map((x, i) => (i === 69 ? 0x11 : x)))] : [m, b])),
        ),
        /^malformed: JPEG segment FFDB whose contents do not end/,
      ],
      [
        'a scan before the frame header',
        editedJpeg((s) => {
          const i = s.findIndex(([m]) => m === 0xda);
          return [s[0]!, s[i]!, ...s.slice(1, i), ...s.slice(i + 1)];
        }),
        /^malformed: JPEG scan before its frame header/,
      ],
      ['no end marker', editedJpeg((s) => s.slice(0, -1)), /^truncated: JPEG ends inside its scan data/],
      [
        '5,000 comments',
        editedJpeg((s) => [
          s[0]!,
          ...Array.from({ length: 5000 }, (): [number, Buffer] => [0xfe, Buffer.from([0xff, 0xfe, 0, 2])]),
          ...s.slice(1),
        ]),
        /^malformed: JPEG of more than 4096 markers/,
      ],
      [
        'an unknown marker',
        editedJpeg((s) => [s[0]!, [0xc8, Buffer.from([0xff, 0xc8, 0, 2])], ...s.slice(1)]),
        /^unsupported: JPEG marker FFC8/,
      ],
    ];
    for (const [what, bytes, want] of cases) t.regex(refusal(bytes), want, what);
    t.is(refusal(editedJpeg((s) => s)), 'ok');
  },
);

for (const [name, bytes] of [
  ['a 48 KB PNG of 20,000×20,000 one-bit pixels', bombPng(20000, 20000)],
  ['a JPEG claiming 20,000×20,000', liarJpeg(20000, 20000)],
] as const) {
  test.serial(`${name} is refused before decoding: no stall, no memory`, async (t) => {
    const d = new PhotoDecoder();
    t.teardown(() => d.close());
    const m = await measured(() => d.decode(bytes));
    t.true(m.value instanceof ImageRefused && m.value.reason === 'too_large', String(m.value));
    t.log(
      `${bytes.length} bytes: refused; event-loop stall ${m.stallMs.toFixed(1)} ms, memory +${m.rssMb.toFixed(1)} MB`,
    );
    // The next child's photo is decoded at once.
    const face = await d.decode(facePng());
    t.deepEqual([face.width, face.height], [120, 160]);
  });
}

test.serial(
  'the largest photo its memory allows decodes off the main thread into a thumbnail; its cost is measured',
  async (t) => {
    const d = new PhotoDecoder();
    t.teardown(() => d.close());
    const m = await measured(() => d.decode(BIG));
    t.false(m.value instanceof Error, String(m.value));
    if (!(m.value instanceof Error)) t.deepEqual([m.value.width, m.value.height], [THUMB_SIDE, THUMB_SIDE]);
    t.log(
      `3400×3400 PNG (11.6 MP): event-loop stall ${m.stallMs.toFixed(1)} ms, process memory +${m.rssMb.toFixed(0)} MB at peak`,
    );
    // 16 MP of 8-bit grey would need more than DECODE_MEMORY_MB: refused before decoding.
    const over = await t.throwsAsync(d.decode(bombPng(4000, 4000, 8)), { instanceOf: ImageRefused });
    t.is((over as ImageRefused).reason, 'memory');
  },
);

test.serial("the worker's thumbnail is photo.ts's resampling", async (t) => {
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

test.serial(
  'a newer photo cancels an older decode; a decode past its deadline is refused; the decoder goes on',
  async (t) => {
    const d = new PhotoDecoder();
    t.teardown(() => d.close());
    const slow = d.decode(BIG);
    const started = performance.now();
    const face = await d.decode(facePng());
    t.log(`the next child's photo after an 11.6 MP one: ${(performance.now() - started).toFixed(0)} ms`);
    t.deepEqual([face.width, face.height], [120, 160]);
    await t.throwsAsync(slow, { instanceOf: DecodeCancelled });
    const hurried = new PhotoDecoder({ timeoutMs: 1 });
    t.teardown(() => hurried.close());
    const late = await t.throwsAsync(hurried.decode(BIG), { instanceOf: ImageRefused });
    t.is((late as ImageRefused).reason, 'timeout');
    d.cancel();
    t.is((await d.decode(facePng())).width, 120);
  },
);

test.serial(
  'the cache shows a refused photo as missing, logs why without whose it is, and does not ask again',
  async (t) => {
    const warnings: unknown[][] = [];
    let lookups = 0;
    const sha = 'b'.repeat(64);
    const state = await new Promise<PhotoState>((resolve) => {
      const cache: PhotoCache = new PhotoCache(
        async () => {
          lookups++;
          return bombPng(20000, 20000);
        },
        () => {
          const s = cache.get(sha);
          if (s.kind !== 'loading') resolve(s);
        },
        {
          retryMs: 5,
          log: {
            warn: (...a: unknown[]) => {
              warnings.push(a);
            },
          },
        },
      );
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
  },
);
