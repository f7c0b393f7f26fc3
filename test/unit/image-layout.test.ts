// The card's partitions (scripts/image/layout.ts): in order, none overlapping, the releases on one of
// their own (a flashed till writes them while its root is read-only), the data partition last so
// that it can grow to the end of the card.
import test from 'ava';
import { APP_MIB, BOOT_MIB, DATA_MIB, layout, sfdiskScript } from '../../scripts/image/layout.ts';

test('boot, root, releases, data: in order, back to back, data last', (t) => {
  const l = layout(1024);
  const parts = sfdiskScript(l)
    .split('\n')
    .filter((line) => line.startsWith('start='))
    .map((line) => {
      const [, start, size] = /start=(\d+), size=(\d+)/.exec(line) ?? [];
      return { start: Number(start) / 2048, size: Number(size) / 2048 };
    });
  t.deepEqual(parts, [
    { start: l.bootStart, size: BOOT_MIB },
    { start: l.rootStart, size: 1024 },
    { start: l.appStart, size: APP_MIB },
    { start: l.dataStart, size: DATA_MIB },
  ]);
  for (let i = 1; i < parts.length; i++)
    t.is(parts[i]!.start, parts[i - 1]!.start + parts[i - 1]!.size, `partition ${i + 1} follows ${i}`);
  t.is(l.totalMiB, l.dataStart + DATA_MIB, 'nothing after the data partition: it grows into the card');
});
