// The photo prepared off the event loop (firmware/ui/photo/photo-preparer.ts): the worker's sixel is
// the very sequence the frame used to encode on the main thread, the display asks for a redraw
// instead of waiting for it, and a worker that dies costs a grey placeholder and a log line, never
// the daemon. Deadlines run on manual time: a busy machine never makes a slow worker a hung one here.
import test from 'ava';
import { portraitJpeg, portraitPng } from '../../sim/photos.ts';
import { PhotoDecoder } from '../../firmware/ui/photo/photo-cache.ts';
import { FramebufferOutput, SixelOutput, type PhotoPlacement } from '../../firmware/ui/photo/photo-output.ts';
import { Framebuffer } from '../../hal/pi/framebuffer.ts';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PhotoPreparer, PhotoPrepFailed } from '../../firmware/ui/photo/photo-preparer.ts';
import { placeholderSixel, scaleToFit, sixelImage } from '../../firmware/ui/photo/photo-sixel.ts';
import { resample, type Rgba } from '../../firmware/ui/photo/photo.ts';
import type { Logger } from '../../firmware/log.ts';
import { ManualTimers } from '../helpers/manual-timers.ts';

const decoded = async (): Promise<Rgba[]> => {
  const d = new PhotoDecoder({ timers: new ManualTimers() });
  try {
    return [
      await d.decode(portraitJpeg('pixels-a', { width: 240, height: 320 })),
      await d.decode(portraitPng('pixels-b', { width: 300, height: 375 })),
      await d.decode(portraitJpeg('pixels-c', { width: 900, height: 1200 })),
    ];
  } finally {
    await d.close();
  }
};

/** The warnings logged, as a pino logger's `warn(obj, msg)` is called. */
const warnings = () => {
  const lines: { o: object; msg: string }[] = [];
  const warn = (o: object, msg: string) => {
    lines.push({ o, msg });
  };
  return { lines, log: { warn } as unknown as Pick<Logger, 'warn'> };
};

test('the worker prepares the same sixel and pixels as the main thread, for every fixture photo and box', async (t) => {
  const prep = new PhotoPreparer({ timers: new ManualTimers() });
  t.teardown(() => prep.close());
  for (const img of await decoded()) {
    for (const [w, h, colors] of [
      [300, 400, 256],
      [240, 320, 256],
      [97, 61, 16],
      [img.width, img.height, 256],
    ] as const) {
      const main = sixelImage(img, w, h, colors);
      t.deepEqual(
        await prep.sixel(img, w, h, colors),
        main,
        `${img.width}×${img.height} into ${w}×${h}, ${colors} colours`,
      );
      const px = await prep.scale(img, w, h);
      const ref = scaleToFit(img, w, h);
      t.deepEqual(
        { width: px.width, height: px.height, data: Buffer.from(px.data) },
        { width: ref.width, height: ref.height, data: Buffer.from(ref.data) },
      );
    }
  }
  // The main thread's reference is the resampler the frame always used.
  const img = (await decoded())[0]!;
  t.deepEqual(Buffer.from(scaleToFit(img, 120, 120).data), Buffer.from(resample(img, 90, 120).data));
});

test('off the thread, the display draws the frame without waiting: the photo comes with the redraw it asks for, identical to the in-frame one', async (t) => {
  const prep = new PhotoPreparer({ timers: new ManualTimers() });
  t.teardown(() => prep.close());
  const [img] = await decoded();
  const place: PhotoPlacement = { rect: { x: 2, y: 3, w: 30, h: 20 }, img: img! };
  const inFrame: string[] = [];
  new SixelOutput((s) => inFrame.push(s), { w: 10, h: 20 }).paint(place);
  t.is(inFrame.length, 1, 'the reference painted in the frame');

  const written: string[] = [];
  let redraw: () => void = () => undefined;
  const asked = new Promise<void>((resolve) => {
    redraw = resolve;
  });
  const out = new SixelOutput((s) => written.push(s), { w: 10, h: 20 }, 256, { preparer: prep, ready: () => redraw() });
  out.paint(place);
  t.deepEqual(written, [], 'nothing written in the frame: the photo is being prepared');
  out.paint(place);
  t.deepEqual(written, [], 'the same photo is not prepared twice');
  await asked;
  out.paint(place);
  t.deepEqual(written, inFrame, 'the redraw paints what the frame would have');
  out.forget();
  out.paint(place);
  t.is(written.length, 1, 'forgotten (back at idle): prepared again, not painted stale');
});

test('a preparer whose worker dies: a clear log line, a grey placeholder where the photo goes, and the next photo tries a new worker', async (t) => {
  // A heap far too small for the worker: it dies as a hostile photo's would past its cap.
  const w = warnings();
  const prep = new PhotoPreparer({ heapMb: 1, log: w.log, timers: new ManualTimers() });
  t.teardown(() => prep.close());
  const [img] = await decoded();
  await t.throwsAsync(prep.sixel(img!, 100, 100, 256), { instanceOf: PhotoPrepFailed });
  t.true(
    w.lines.some((l) => l.msg.startsWith('photo preparer died')),
    JSON.stringify(w.lines),
  );

  const written: string[] = [];
  let redraw: () => void = () => undefined;
  const asked = new Promise<void>((resolve) => {
    redraw = resolve;
  });
  const out = new SixelOutput((s) => written.push(s), { w: 10, h: 20 }, 256, {
    preparer: prep,
    ready: () => redraw(),
    log: w.log,
  });
  const place: PhotoPlacement = { rect: { x: 0, y: 0, w: 10, h: 10 }, img: img! };
  out.paint(place);
  await asked;
  out.paint(place);
  t.is(written.length, 1);
  t.true(written[0]!.includes(placeholderSixel(img!, 100, 200).seq), 'the placeholder, sized as the photo would be');
  t.true(w.lines.some((l) => l.msg === 'photo not prepared: a placeholder shown'));
  // Nothing of the child in the log: no photo bytes, no name.
  t.false(JSON.stringify(w.lines).includes('Barn'));
  await t.throwsAsync(
    prep.sixel(img!, 50, 50, 16),
    { instanceOf: PhotoPrepFailed },
    'a new worker (dies again with this cap), no stuck promise',
  );
});

test('the framebuffer path too: scaled off the thread, blitted with the redraw, the same pixels as scaled in the frame', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'klubkort-fb-prep-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  // A file-backed 800×480 XRGB8888 framebuffer with its sysfs attributes.
  const open = (name: string) => {
    const sysfs = join(dir, `${name}-sysfs`);
    mkdirSync(sysfs);
    writeFileSync(join(sysfs, 'bits_per_pixel'), '32');
    writeFileSync(join(sysfs, 'stride'), String(800 * 4));
    writeFileSync(join(sysfs, 'virtual_size'), '800,480');
    writeFileSync(join(dir, name), Buffer.alloc(800 * 480 * 4));
    return { fb: Framebuffer.open({ device: join(dir, name), sysfs }), bytes: () => readFileSync(join(dir, name)) };
  };
  const prep = new PhotoPreparer({ timers: new ManualTimers() });
  t.teardown(() => prep.close());
  const [img] = await decoded();
  const place: PhotoPlacement = { rect: { x: 10, y: 2, w: 30, h: 20 }, img: img! };
  const ref = open('fb-frame');
  const inFrame = new FramebufferOutput(ref.fb);
  t.teardown(() => inFrame.close());
  inFrame.paint(place, 100, 30);

  const off = open('fb-worker');
  let redraw: () => void = () => undefined;
  const asked = new Promise<void>((resolve) => {
    redraw = resolve;
  });
  const out = new FramebufferOutput(off.fb, { preparer: prep, ready: () => redraw() });
  t.teardown(() => out.close());
  const blank = off.bytes();
  out.paint(place, 100, 30);
  t.deepEqual(off.bytes(), blank, 'nothing blitted in the frame');
  await asked;
  out.paint(place, 100, 30);
  t.false(off.bytes().equals(blank));
  t.true(off.bytes().equals(ref.bytes()), 'the same pixels as scaled in the frame');
});

test.serial(
  'a worker still starting is not a hung one: the deadline counts from its start, so the first photo is prepared, not a placeholder',
  async (t) => {
    // On manual time: a second passes (thirty deadlines of 30 ms) while the worker is still loading
    // its modules (it cannot have said "ready": no turn of the event loop yet), and no more after.
    const w = warnings();
    const timers = new ManualTimers();
    const prep = new PhotoPreparer({ timeoutMs: 30, log: w.log, timers });
    t.teardown(() => prep.close());
    const [img] = await decoded();
    const small = resample(img!, 40, 50);
    const preparing = prep.sixel(small, 40, 50, 16);
    timers.advance(1000);
    const got = await preparing;
    t.is(got.seq, sixelImage(small, 40, 50, 16).seq);
    t.deepEqual(w.lines, []);
  },
);
