// The framebuffer driver against a file and a fake sysfs; and what the terminal probe reads.
import test from 'ava';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Framebuffer, readGeometry } from '../../hal/pi/framebuffer.ts';
import { parseReplies } from '../../firmware/ui/draw/terminal-probe.ts';

function fake(
  t: import('ava').ExecutionContext,
  files: Record<string, string>,
  bytes = 0,
): { device: string; sysfs: string } {
  const dir = mkdtempSync(join(tmpdir(), 'klubkort-fb-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const sysfs = join(dir, 'fb0');
  mkdirSync(sysfs);
  for (const [k, v] of Object.entries(files)) writeFileSync(join(sysfs, k), v);
  writeFileSync(join(dir, 'dev'), Buffer.alloc(bytes));
  return { device: join(dir, 'dev'), sysfs };
}

test('geometry from sysfs; unsupported depths and impossible strides are refused with the reason', (t) => {
  t.deepEqual(readGeometry(fake(t, { bits_per_pixel: '32\n', stride: '3200\n', virtual_size: '800,480\n' }).sysfs), {
    width: 800,
    height: 480,
    bitsPerPixel: 32,
    stride: 3200,
  });
  t.throws(() => readGeometry(fake(t, { bits_per_pixel: '24\n', stride: '2400\n', virtual_size: '800,480\n' }).sysfs), {
    message: /24 bits per pixel/,
  });
  t.throws(() => readGeometry(fake(t, { bits_per_pixel: '16\n', stride: '100\n', virtual_size: '800,480\n' }).sysfs), {
    message: /does not fit/,
  });
  t.throws(() => Framebuffer.open({ device: '/nonexistent', sysfs: '/nonexistent' }), { code: 'ENOENT' });
});

test('blit writes RGB565 and XRGB8888 little-endian at the stride, clipped to the screen', (t) => {
  // 4×2 pixels with a padded stride; a 2×2 image put at (3, 1): only its left column fits.
  const f = fake(t, { bits_per_pixel: '16', stride: '10', virtual_size: '4,2' }, 20);
  const fb = Framebuffer.open(f);
  fb.blit(3, 1, {
    width: 2,
    height: 2,
    data: new Uint8Array([255, 0, 0, 255, 0, 255, 0, 255, 0, 0, 255, 255, 9, 9, 9, 255]),
  });
  fb.close();
  const b = readFileSync(f.device);
  t.is(b.readUInt16LE(10 + 3 * 2), 0xf800, 'red at (3,1)');
  t.is(
    b.subarray(0, 10 + 6).reduce((a, v) => a + v, 0),
    0,
    'nothing else written',
  );
  t.is(b.readUInt16LE(18), 0);
  const f32 = fake(t, { bits_per_pixel: '32', stride: '16', virtual_size: '4,1' }, 16);
  const fb32 = Framebuffer.open(f32);
  fb32.blit(-1, 0, { width: 2, height: 1, data: new Uint8Array([1, 2, 3, 255, 10, 20, 30, 255]) });
  fb32.close();
  t.deepEqual([...readFileSync(f32.device).subarray(0, 4)], [30, 20, 10, 255], 'B,G,R,X of the pixel that fits');
});

test('terminal replies: sixel from DA1 attribute 4, the cell size from CSI 16 t, colour registers', (t) => {
  const xterm = parseReplies('\x1b[6;15;9t\x1b[?1;0;1024S\x1b[?63;1;2;4;6;9;15;16;22;28c');
  t.deepEqual(xterm, { done: true, abilities: { sixel: true, cell: { w: 9, h: 15 }, colorRegisters: 1024 } });
  t.deepEqual(
    parseReplies('\x1b[?62;1;6;9;15;22c').abilities,
    { sixel: false, cell: null, colorRegisters: null },
    'a terminal without sixel',
  );
  t.false(parseReplies('\x1b[6;20;10t').done, 'DA1 not here yet');
  t.false(parseReplies('\x1b[?64;14c').abilities.sixel, '14 is not 4');
});

test('a sixel photo is sent with the cursor saved, moved to its cell and restored; the same photo, the same sequence', async (t) => {
  const { SixelOutput } = await import('../../firmware/ui/photo/photo-output.ts');
  const written: string[] = [];
  const out = new SixelOutput((s) => written.push(s), { w: 10, h: 20 });
  const img = { width: 30, height: 40, data: new Uint8Array(30 * 40 * 4).fill(200) };
  const place = { rect: { x: 2, y: 1, w: 10, h: 5 }, img };
  const first = out.sequence(place)!;
  t.regex(
    first,
    /^\x1b\[\?2026h\x1b7\x1b\[\d+;\d+H\x1bP[\d;]*q.*\x1b\\\x1b8\x1b\[\?2026l$/s,
    'one synchronized update: cursor saved, moved, sixel DCS, restored',
  );
  t.is(out.sequence(place), first);
  out.forget();
  t.is(out.sequence(place), first, 'the same photo encodes the same after forgetting');
  t.deepEqual(written, []);
});
