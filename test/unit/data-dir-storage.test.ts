// The data directory check against the mount tables of the cases that matter: raspi-config's
// overlay root (upper dir on a tmpfs), a data partition mounted under it, a tmpfs, a container.
import test from 'ava';
import { mkdtempSync, realpathSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { existingRealPath, mountOf, parseMountinfo, volatileStorage } from '../../firmware/cli/data-dir-storage.ts';

/** raspi-config's overlay file system (overlayroot=tmpfs) with and without a data partition. */
const OVERLAY_ROOT = [
  '22 1 0:20 / /media/root-rw rw,relatime - tmpfs tmpfs-root rw',
  '23 1 179:2 / /media/root-ro ro,relatime - ext4 /dev/mmcblk0p2 ro',
  '24 1 0:21 / / rw,relatime - overlay overlayroot rw,lowerdir=/media/root-ro,upperdir=/media/root-rw/overlay,workdir=/media/root-rw/overlay-workdir',
  '30 24 179:1 / /boot/firmware ro,relatime - vfat /dev/mmcblk0p1 ro',
].join('\n');
const DATA_PARTITION = `${OVERLAY_ROOT}\n41 24 179:3 / /var/lib/klubkort rw,noatime - ext4 /dev/mmcblk0p3 rw`;

test('raspi-config overlay root: refused; a data partition under it: kept', (t) => {
  t.is(
    volatileStorage('/var/lib/klubkort', parseMountinfo(OVERLAY_ROOT)),
    "/var/lib/klubkort is on an overlay file system (mounted at /) whose changes go to /media/root-rw/overlay on a tmpfs, which lives in RAM (raspi-config's overlay file system?)",
  );
  t.is(volatileStorage('/var/lib/klubkort', parseMountinfo(DATA_PARTITION)), null);
  t.is(mountOf('/var/lib/klubkort/journal', parseMountinfo(DATA_PARTITION))?.fsType, 'ext4');
  t.is(mountOf('/var/lib/klubkortX', parseMountinfo(DATA_PARTITION))?.fsType, 'overlay', 'a prefix is not a parent');
});

test('a tmpfs is refused; ext4 and a container overlay whose upper dir is not visible are not', (t) => {
  const m = parseMountinfo(
    [
      '1 0 254:0 / / rw - ext4 /dev/vda rw',
      '2 1 0:30 / /tmp rw,nosuid - tmpfs tmpfs rw,size=1g',
      '3 1 0:31 / /srv/a\\040b rw - ext4 /dev/vdb rw',
    ].join('\n'),
  );
  t.is(volatileStorage('/tmp/x', m), '/tmp/x is on a tmpfs (mounted at /tmp), which lives in RAM');
  t.is(volatileStorage('/var/lib/klubkort', m), null);
  t.is(mountOf('/srv/a b/c', m)?.mountPoint, '/srv/a b', 'escaped spaces');
  const docker = parseMountinfo(
    '100 90 0:50 / / rw - overlay overlay rw,lowerdir=/var/lib/docker/overlay2/l/A,upperdir=/var/lib/docker/overlay2/x/diff,workdir=/var/lib/docker/overlay2/x/work',
  );
  t.is(volatileStorage('/var/lib/klubkort', docker), null);
});

test('a data directory not made yet is judged by its nearest existing parent (the selftest runs before the daemon made it)', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'klubkort-storage-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  t.is(existingRealPath(join(dir, 'not', 'yet')), realpathSync(dir));
  t.is(existingRealPath(dir), realpathSync(dir));
});
