// The deployment files, checked by the tools that judge them: systemd-analyze for the unit,
// shellcheck for the scripts, and install.sh run (twice) into a temp root.
import test from 'ava';
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runInNewContext } from 'node:vm';

import { SYSTEMD_DIR as SYSTEMD, unitSection } from '../helpers/unit-file.ts';

const files = (ext: string) =>
  readdirSync(SYSTEMD)
    .filter((f) => f.endsWith(ext))
    .map((f) => join(SYSTEMD, f));

function tempDir(t: import('ava').ExecutionContext): string {
  const dir = mkdtempSync(join(tmpdir(), 'klubkort-deploy-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

test('systemd-analyze verify finds nothing to complain about in the units', (t) => {
  const dir = tempDir(t);
  for (const unit of files('.service')) {
    let text = readFileSync(unit, 'utf8');
    // verify insists every program exists; one this machine lacks (no Node at /usr/bin) points at ours.
    text = text.replace(/^(Exec\w+=[-@:+!]*)(\S+)/gm, (line, pre: string, program: string) =>
      existsSync(program) ? line : `${pre}${process.execPath}`,
    );
    writeFileSync(join(dir, unit.split('/').pop()!), text);
  }
  for (const unit of files('.service')) {
    const copy = join(dir, unit.split('/').pop()!);
    // The units name each other (klubkort-commit.service requires klubkort.service): all are found.
    const r = spawnSync('systemd-analyze', ['verify', copy], {
      encoding: 'utf8',
      env: { ...process.env, SYSTEMD_UNIT_PATH: `${dir}:` },
    });
    t.is(r.error, undefined, 'systemd-analyze is installed (Debian package systemd)');
    t.is(r.status, 0, r.stderr);
    t.is((r.stdout + r.stderr).trim(), '', `${unit}: no warnings`);
  }
});

test('the service is what the deployment needs: notify + watchdog, restart, user, tty1, hardening', (t) => {
  const text = readFileSync(join(SYSTEMD, 'klubkort.service'), 'utf8');
  const s = unitSection(text, 'Service');
  const u = unitSection(text, 'Unit');
  const one = (k: string) => s.get(k)?.join(' ');
  t.like(Object.fromEntries([...s].map(([k, v]) => [k, v.join(' ')])), {
    Type: 'notify',
    NotifyAccess: 'all',
    WatchdogSec: '30',
    Restart: 'always',
    RestartSec: '2',
    User: 'klubkort',
    Group: 'klubkort',
    SupplementaryGroups: 'gpio video render input',
    StateDirectory: 'klubkort',
    ConfigurationDirectory: 'klubkort',
    TTYPath: '/dev/tty1',
    StandardInput: 'tty-force',
    StandardOutput: 'tty',
    TTYReset: 'yes',
    TTYVHangup: 'yes',
    NoNewPrivileges: 'yes',
    ProtectSystem: 'strict',
    ProtectHome: 'yes',
    PrivateTmp: 'yes',
    ProtectKernelTunables: 'yes',
    ProtectKernelModules: 'yes',
    LockPersonality: 'yes',
    RestrictAddressFamilies: 'AF_UNIX AF_INET AF_INET6 AF_NETLINK',
    RuntimeDirectory: 'klubkort',
  });
  t.false(s.has('MemoryDenyWriteExecute'), "V8's JIT needs W+X memory");
  t.regex(one('ExecStart')!, / run --config \/etc\/klubkort\/config\.json$/);
  t.regex(one('Environment')!, /\bTERM=linux\b/);
  t.true(s.get('DeviceAllow')!.includes('/dev/tty1 rw'));
  // The kiosk: cage shows foot full screen on tty1, foot runs the daemon; DRM, input and fb0 allowed.
  t.regex(
    one('ExecStart')!,
    /^\/usr\/bin\/cage -d -s -- \/usr\/bin\/foot --config=\/opt\/klubkort\/current\/systemd\/foot\.ini \/usr\/bin\/node .* \/opt\/klubkort\/current\/bin\/klubkort\.js run /,
  );
  t.true(existsSync(join(SYSTEMD, 'foot.ini')));
  for (const d of ['char-drm rw', 'char-input rw', '/dev/fb0 rw']) t.true(s.get('DeviceAllow')!.includes(d), d);
  t.regex(one('Environment')!, /\bXDG_RUNTIME_DIR=\/run\/klubkort\b/);
  t.regex(u.get('Wants')!.join(' '), /seatd\.service/);
  t.regex(u.get('After')!.join(' '), /pcscd\.socket/);
  t.regex(u.get('Wants')!.join(' '), /pcscd\.socket/);
  t.regex(u.get('Conflicts')!.join(' '), /getty@tty1\.service/);
});

test("the screen stays the cashier's: no wait for the network, NumLock, GPIO chip allowed, outputs low at stop, the journal mount waited for", (t) => {
  const text = readFileSync(join(SYSTEMD, 'klubkort.service'), 'utf8');
  const s = unitSection(text, 'Service');
  const u = unitSection(text, 'Unit');
  t.notRegex(
    [...u.get('After')!, ...u.get('Wants')!].join(' '),
    /network-online/,
    'sells offline: the UI does not wait for a network',
  );
  t.deepEqual(u.get('RequiresMountsFor'), ['/var/lib/klubkort']);
  t.deepEqual(s.get('ExecStartPre'), ['-/usr/bin/setleds -D +num']);
  t.regex(
    s.get('Environment')!.join(' '),
    /\bXKB_DEFAULT_OPTIONS=numpad:mac\b/,
    'cage has no NumLock setting: keypad digits always',
  );
  t.true(s.get('DeviceAllow')!.includes('char-gpiochip rw'), 'the gpiod driver opens /dev/gpiochip*');
  t.deepEqual(s.get('ExecStopPost'), [
    `-/bin/sh -c 'test "$$SERVICE_RESULT" = success || exec /usr/bin/node /opt/klubkort/current/bin/klubkort.js outputs-off --config /etc/klubkort/config.json'`,
  ]);
});

test('a release that fails before it proved itself is rolled back: OnFailure= rolls back and restarts the unit; READY commits; restarts never end', (t) => {
  const u = unitSection(readFileSync(join(SYSTEMD, 'klubkort.service'), 'utf8'), 'Unit');
  const s = unitSection(readFileSync(join(SYSTEMD, 'klubkort.service'), 'utf8'), 'Service');
  t.deepEqual(u.get('OnFailure'), ['klubkort-rollback.service']);
  t.deepEqual(u.get('StartLimitIntervalSec'), ['0'], 'a committed release is restarted for ever');
  // Not ExecStartPost=: every command of klubkort.service takes tty1, which hung up the running kiosk.
  t.is(s.get('ExecStartPost'), undefined);
  t.true(u.get('Wants')!.includes('klubkort-commit.service'));
  const c = unitSection(readFileSync(join(SYSTEMD, 'klubkort-commit.service'), 'utf8'), 'Unit');
  t.deepEqual(
    [c.get('Requires'), c.get('After')],
    [['klubkort.service'], ['klubkort.service']],
    'only once klubkort.service is up (READY=1)',
  );
  t.deepEqual(unitSection(readFileSync(join(SYSTEMD, 'klubkort-commit.service'), 'utf8'), 'Service').get('ExecStart'), [
    '/usr/bin/node /opt/klubkort/current/bin/klubkort.js commit',
  ]);
  const r = unitSection(readFileSync(join(SYSTEMD, 'klubkort-rollback.service'), 'utf8'), 'Service');
  t.is(r.get('Type')?.join(), 'oneshot');
  t.regex(
    r.get('ExecStart')!.join(),
    /for r in committed previous current; .* rollback --restart klubkort\.service/,
    "the committed release's code rolls back, not the failed one's",
  );
});

test('the update agent hands a bundle to root: the path unit watches its request in the data dir, the service installs it as root and restarts klubkort; install.sh enables the path', (t) => {
  const p = unitSection(readFileSync(join(SYSTEMD, 'klubkort-update.path'), 'utf8'), 'Path');
  t.deepEqual(p.get('PathExists'), ['/var/lib/klubkort/update/request.json']);
  t.deepEqual(p.get('Unit'), ['klubkort-update.service']);
  const s = unitSection(readFileSync(join(SYSTEMD, 'klubkort-update.service'), 'utf8'), 'Service');
  t.is(s.get('Type')?.join(), 'oneshot');
  t.is(s.get('User'), undefined, 'root: /opt is read-only to the daemon');
  t.regex(
    s.get('ExecStart')!.join(),
    /update --request \/var\/lib\/klubkort\/update\/request\.json --restart klubkort\.service/,
  );
  const v = spawnSync('systemd-analyze', ['verify', join(SYSTEMD, 'klubkort-update.path')], { encoding: 'utf8' });
  t.is(
    (v.stdout + v.stderr)
      .trim()
      .split('\n')
      .filter((l) => !/klubkort-update\.service/.test(l))
      .join('\n'),
    '',
    'the path unit: no warnings',
  );
  const root = mkdtempSync(join(tmpdir(), 'klubkort-deploy-'));
  t.teardown(() => rmSync(root, { recursive: true, force: true }));
  const out = execFileSync(join(SYSTEMD, 'install.sh'), ['--root', root], { encoding: 'utf8' });
  t.regex(out, /skipped \(--root\): systemctl enable --now klubkort-update\.path/);
  for (const f of ['klubkort-update.path', 'klubkort-update.service'])
    t.is(readFileSync(join(root, 'etc/systemd/system', f), 'utf8'), readFileSync(join(SYSTEMD, f), 'utf8'));
});

test('console messages, watchdog, gpiochip group: the drop-ins say what they must', (t) => {
  t.regex(
    readFileSync(join(SYSTEMD, '90-klubkort-console.conf'), 'utf8'),
    /^kernel\.printk = 1 4 1 7$/m,
    'KERN_CRIT (under-voltage) stays off tty1',
  );
  const wd = readFileSync(join(SYSTEMD, 'klubkort-watchdog.conf'), 'utf8');
  t.regex(wd, /^\[Manager\]$/m);
  const runtime = /^RuntimeWatchdogSec=(\S+)$/m.exec(wd)?.[1];
  const r = spawnSync('systemd-analyze', ['timespan', runtime ?? ''], { encoding: 'utf8' });
  t.is(r.status, 0, r.stderr);
  const usec = Number(/μs: (\d+)/.exec(r.stdout)?.[1]);
  t.true(usec > 0 && usec <= 15_000_000, "the Pi's bcm2835 watchdog takes at most 15 s");
  t.regex(
    readFileSync(join(SYSTEMD, '60-klubkort-gpio.rules'), 'utf8'),
    /^SUBSYSTEM=="gpio", KERNEL=="gpiochip\*", GROUP="gpio", MODE="0660"$/m,
  );
});

test('shellcheck passes every script', (t) => {
  const scripts = files('.sh');
  t.true(scripts.length >= 4);
  const r = spawnSync('shellcheck', ['-x', ...scripts], { encoding: 'utf8', cwd: SYSTEMD });
  t.is(r.error, undefined, 'shellcheck is installed (Debian package shellcheck)');
  t.is(r.status, 0, r.stdout + r.stderr);
});

test('the polkit rule lets the klubkort user (and root) use pcscd, nobody else', (t) => {
  let rule: ((action: { id: string }, subject: { user: string }) => unknown) | null = null;
  const polkit = {
    Result: { YES: 'yes' },
    addRule: (f: typeof rule) => {
      rule = f;
    },
  };
  runInNewContext(readFileSync(join(SYSTEMD, '50-klubkort-pcscd.rules'), 'utf8'), { polkit });
  const ask = (id: string, user: string) => rule!({ id: `org.debian.pcsc-lite.${id}` }, { user });
  t.is(ask('access_pcsc', 'klubkort'), 'yes');
  t.is(ask('access_card', 'klubkort'), 'yes');
  t.is(ask('access_pcsc', 'root'), 'yes');
  t.is(ask('access_pcsc', 'pi'), undefined, 'others: the package default');
});

/** path → type, mode and content (or link target) of everything under `root`. */
function snapshot(root: string, rel = ''): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of readdirSync(join(root, rel)).sort()) {
    const p = join(rel, name);
    const st = lstatSync(join(root, p));
    const mode = (st.mode & 0o7777).toString(8);
    if (st.isSymbolicLink()) out[p] = `link ${readlinkSync(join(root, p))}`;
    else if (st.isDirectory()) {
      out[p] = `dir ${mode}`;
      Object.assign(out, snapshot(root, p));
    } else
      out[p] = `file ${mode} ${createHash('sha256')
        .update(readFileSync(join(root, p)))
        .digest('hex')}`;
  }
  return out;
}

test('install.sh --root lays the files out, the same on a second run, keeping config and journal', (t) => {
  const root = tempDir(t);
  const run = () => execFileSync(join(SYSTEMD, 'install.sh'), ['--root', root], { encoding: 'utf8' });
  const out = run();
  t.regex(out, /skipped \(--root\): npm ci/);
  t.regex(out, /skipped \(--root\): systemctl mask getty@tty1\.service autovt@tty1\.service/);
  t.regex(
    out,
    /skipped \(--root\): systemctl set-default multi-user\.target/,
    "no desktop's display manager over tty1",
  );
  t.regex(out, /skipped \(--root\): sysctl -p \/etc\/sysctl\.d\/90-klubkort-console\.conf/);
  t.regex(out, /skipped \(--root\): systemctl enable --now seatd\.service/);
  const first = snapshot(root);
  t.is(
    readFileSync(join(root, 'etc/systemd/system/klubkort.service'), 'utf8'),
    readFileSync(join(SYSTEMD, 'klubkort.service'), 'utf8'),
  );
  t.regex(
    readFileSync(join(root, 'etc/modprobe.d/blacklist-pn533.conf'), 'utf8'),
    /^blacklist pn533_usb\nblacklist pn533\nblacklist nfc$/m,
  );
  t.truthy(first['etc/polkit-1/rules.d/50-klubkort-pcscd.rules']);
  for (const f of [
    'etc/udev/rules.d/60-klubkort-gpio.rules',
    'etc/sysctl.d/90-klubkort-console.conf',
    'etc/systemd/system.conf.d/klubkort-watchdog.conf',
  ])
    t.truthy(first[f], f);
  const merged = spawnSync('systemd-analyze', [`--root=${root}`, 'cat-config', 'systemd/system.conf'], {
    encoding: 'utf8',
  });
  t.regex(merged.stdout, /^RuntimeWatchdogSec=15s$/m, 'systemd finds the watchdog drop-in where install.sh put it');
  // The release layout: the checkout as releases/<version>, `current` naming it, the entry links into it.
  const current = /^link (releases\/(\d+\.\d+\.\d+-checkout\.[0-9a-f]{12}))$/.exec(first['opt/klubkort/current'] ?? '');
  t.truthy(current, `current: ${first['opt/klubkort/current']}`);
  const rel = `opt/klubkort/${current![1]}`;
  t.false('opt/klubkort/previous' in first, 'a first install has nothing to go back to');
  for (const name of ['bin', 'systemd', 'docs']) t.is(first[`opt/klubkort/${name}`], `link current/${name}`);
  t.deepEqual(
    Object.keys(first).filter((p) => /^opt\/klubkort\/releases\/[^/]+$/.test(p)),
    [rel],
  );
  t.truthy(first[`${rel}/bin/klubkort.js`]);
  t.truthy(first[`${rel}/firmware/cli/main.ts`]);
  t.truthy(first[`${rel}/contract/index.ts`]);
  t.truthy(first[`${rel}/lib/must.ts`], 'the build needs lib/ too');
  t.truthy(first[`${rel}/package-lock.json`], 'npm ci needs the lock file');
  t.truthy(first[`${rel}/scripts/build.ts`], 'npm ci builds dist/ with it (prepare)');
  t.truthy(first[`${rel}/scripts/bundle.ts`], 'which the build imports');
  t.regex(out, new RegExp(`skipped \\(--root\\): npm ci --omit=dev in /${rel}`));
  t.false(
    Object.keys(first).some((p) => p.startsWith(`${rel}/dist`)),
    'dist/ is built on the terminal, not copied',
  );
  t.is(first['usr/local/bin/klubkort'], 'link /opt/klubkort/current/bin/klubkort.js');
  t.is(first['etc/klubkort'], 'dir 755');
  t.is(first['var/lib/klubkort'], 'dir 700');
  t.false(Object.keys(first).some((p) => p.includes('node_modules') || p.startsWith('opt/klubkort/test')));

  // What a terminal has made of itself since: an upgrade must not touch it.
  writeFileSync(join(root, 'etc/klubkort/config.json'), '{"terminalId":"kasse-1"}\n', { mode: 0o600 });
  mkdirSync(join(root, 'var/lib/klubkort/photos'));
  writeFileSync(join(root, 'var/lib/klubkort/journal.db'), 'sales');
  const withState = snapshot(root);
  t.regex(run(), /skipped \(--root\): systemctl restart klubkort\.service/, 'a provisioned terminal is restarted');
  t.deepEqual(snapshot(root), withState);
  t.false(existsSync(join(root, 'opt/klubkort.new')) || existsSync(join(root, 'opt/klubkort.old')));
});

test('install.sh moves an installation from a checkout aside, then installs the checkout as a release; a changed checkout becomes current, the old one previous', (t) => {
  const root = tempDir(t);
  // What the install.sh before releases left: the app's directories right in /opt/klubkort.
  mkdirSync(join(root, 'opt/klubkort/bin'), { recursive: true });
  writeFileSync(join(root, 'opt/klubkort/bin/klubkort.js'), '// the old checkout\n');
  const run = (src = '.') => execFileSync(join(src, 'systemd/install.sh'), ['--root', root], { encoding: 'utf8' });
  t.regex(run(), /the old installation from a checkout is now \/opt\/klubkort\.checkout-old/);
  t.is(readFileSync(join(root, 'opt/klubkort.checkout-old/bin/klubkort.js'), 'utf8'), '// the old checkout\n');
  const first = readlinkSync(join(root, 'opt/klubkort/current'));
  t.is(readlinkSync(join(root, 'opt/klubkort/bin')), 'current/bin');
  // Another checkout (a changed file): a release of its own, switched to; the first kept as previous.
  const other = tempDir(t);
  execFileSync('sh', [
    '-c',
    `git ls-files -z bin lib contract firmware hal sim types docs systemd scripts/build.ts scripts/bundle.ts package.json package-lock.json README.md | xargs -0 cp --parents -t ${other}`,
  ]);
  writeFileSync(join(other, 'README.md'), 'changed\n');
  t.notRegex(run(other), /checkout-old/);
  const second = readlinkSync(join(root, 'opt/klubkort/current'));
  t.not(second, first);
  t.is(readlinkSync(join(root, 'opt/klubkort/previous')), first);
  t.is(readFileSync(join(root, 'opt/klubkort/current/README.md'), 'utf8'), 'changed\n');
  // And back: the first checkout again is the first release again, nothing else kept.
  run();
  t.is(readlinkSync(join(root, 'opt/klubkort/current')), first);
  t.is(readlinkSync(join(root, 'opt/klubkort/previous')), second);
  t.deepEqual(
    readdirSync(join(root, 'opt/klubkort/releases')).sort(),
    [first, second].map((l) => l.slice('releases/'.length)).sort(),
  );
});

test('install.sh --data-label puts the journal on its own partition in fstab, once', (t) => {
  const root = tempDir(t);
  mkdirSync(join(root, 'etc'));
  writeFileSync(join(root, 'etc/fstab'), 'proc /proc proc defaults 0 0\n');
  const run = () =>
    execFileSync(join(SYSTEMD, 'install.sh'), ['--root', root, '--data-label', 'klubkort-data'], { encoding: 'utf8' });
  t.regex(run(), /fstab: LABEL=klubkort-data \/var\/lib\/klubkort ext4 defaults,noatime 0 2/);
  t.regex(run(), /fstab already mounts \/var\/lib\/klubkort: left as it is/);
  t.is(
    readFileSync(join(root, 'etc/fstab'), 'utf8'),
    'proc /proc proc defaults 0 0\nLABEL=klubkort-data /var/lib/klubkort ext4 defaults,noatime 0 2\n',
  );
  const bad = spawnSync(join(SYSTEMD, 'install.sh'), ['--root', root, '--bogus'], { encoding: 'utf8' });
  t.is(bad.status, 64);
});
