// The decisions behind the health gate and the rollback (releases.ts planRollback, ready-gate.ts
// linkGate), and the commit and rollback commands on a real release layout in a temp root.
import test from 'ava';
import { mkdirSync, mkdtempSync, readFileSync, readlinkSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { commitCommand, rollbackCommand } from '../../firmware/cli/rollback.ts';
import { MANIFEST_NAME } from '../../firmware/release/manifest.ts';
import { layoutOf, planRollback, releaseOf, updateReportOf } from '../../firmware/release/releases.ts';
import { linkGate } from '../../firmware/systemd/ready-gate.ts';

test('a failed release goes back only when it never proved itself, and only to the one that did', (t) => {
  t.like(planRollback({ current: 'b', previous: 'a', committed: 'a' }), { action: 'roll_back', from: 'b', to: 'a' });
  t.like(
    planRollback({ current: 'b', previous: 'a', committed: null }),
    { action: 'roll_back', from: 'b', to: 'a' },
    'before any commit (a layout from before commits)',
  );
  t.like(
    planRollback({ current: 'b', previous: 'a', committed: 'b' }),
    { action: 'none' },
    'committed: restarted as it is',
  );
  t.like(planRollback({ current: 'a', previous: null, committed: null }), { action: 'none' }, 'nothing to go back to');
  t.like(
    planRollback({ current: 'c', previous: 'b', committed: 'a' }),
    { action: 'none' },
    'b never proved itself either: no ping-pong',
  );
  t.like(planRollback({ current: null, previous: null, committed: null }), { action: 'none' });
});

test('READY waits for the link only as long as the broker can be reached; a refused link fails only a release on trial', (t) => {
  const g = (o: Partial<Parameters<typeof linkGate>[0]>) =>
    linkGate({ connected: false, trouble: null, elapsedMs: 0, trial: true, boundMs: 1000, ...o }).verdict;
  t.is(g({ connected: true }), 'ready');
  t.is(g({ trouble: 'unreachable' }), 'ready', 'no network: sells offline');
  t.is(g({}), 'wait');
  t.is(g({ elapsedMs: 1000 }), 'ready', 'no answer at all in time: offline');
  t.is(g({ trouble: 'tls' }), 'wait');
  t.is(g({ trouble: 'tls', elapsedMs: 1000 }), 'fail');
  t.is(g({ trouble: 'not_authorized', elapsedMs: 1000 }), 'fail');
  t.is(
    g({ trouble: 'not_authorized', trial: false }),
    'ready',
    'a committed release sells offline whatever the broker says',
  );
});

test('klubkort commit marks current; klubkort rollback leaves an unproved release for the committed one, once, and remembers it', async (t) => {
  const root = mkdtempSync(join(tmpdir(), 'klubkort-rollback-'));
  t.teardown(() => rmSync(root, { recursive: true, force: true }));
  const l = layoutOf(root);
  for (const v of ['a', 'b']) {
    mkdirSync(join(l.releases, v, 'bin'), { recursive: true });
    writeFileSync(join(l.releases, v, MANIFEST_NAME), '{}');
    writeFileSync(join(l.releases, v, 'bin/klubkort.js'), '');
  }
  symlinkSync('releases/a', l.current);
  t.is(await commitCommand(['--root', root]), 0);
  t.is(readlinkSync(l.committed), 'releases/a');
  t.deepEqual(releaseOf(l, join(l.current, 'bin/klubkort.js')), { version: 'a', trial: false });
  t.like(updateReportOf(l, 'a'), { version: 'a', state: 'committed', error: null });
  // An update to b (current → b, previous → a), which then fails.
  symlinkSync('releases/a', l.previous);
  rmSync(l.current);
  symlinkSync('releases/b', l.current);
  t.deepEqual(releaseOf(l, join(l.current, 'bin/klubkort.js')), { version: 'b', trial: true });
  t.like(updateReportOf(l, 'b'), { version: 'b', state: 'running' }, 'on trial');
  t.is(await rollbackCommand(['--root', root]), 0);
  t.is(readlinkSync(l.current), 'releases/a');
  t.is(readlinkSync(l.previous), 'releases/b');
  t.is(readFileSync(l.rolledBack, 'utf8'), 'b\n');
  t.like(
    updateReportOf(l, 'a'),
    { version: 'b', state: 'rolled_back', error: 'failed before it proved itself' },
    'the status names the version left',
  );
  t.is(updateReportOf(l, null), null, 'outside the release layout: nothing to say');
  // a is committed: a second failure changes nothing.
  t.is(await rollbackCommand(['--root', root]), 0);
  t.is(readlinkSync(l.current), 'releases/a');
  t.is(readFileSync(l.rolledBack, 'utf8'), 'b\n');
});
