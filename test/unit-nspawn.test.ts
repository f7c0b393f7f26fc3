// klubkort.service under a real systemd: a Debian 13 root (test/helpers/debian-root.ts) with
// klubkort laid out by `systemd/install.sh --root` and the steps it only prints taken in the root,
// booted with systemd-nspawn. The unit is the real one, with a test drop-in for what a container
// lacks (no VT for TTYPath=/dev/tty1, no GPU: cage's headless backend) and a short WatchdogSec.
// The daemon runs where it runs on a terminal: cage (the main process) → foot → node; Debian's
// mosquitto in the container is its broker.
// Costs: the root once (40–120 s, ~610 MB in /var/cache/klubkort-test), then ~1 min a run.
import test from 'ava';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { debianRoot } from './helpers/debian-root.ts';
import { Container } from './helpers/nspawn.ts';
import { until } from './helpers/until.ts';

const INSTALL_SH = 'systemd/install.sh';
const WATCHDOG_SEC = 4;
const PERIOD_USEC = BigInt(WATCHDOG_SEC) * 1_000_000n;

// Test only: what a container lacks. The unit's other settings (user, sandboxing, Type=notify,
// NotifyAccess=all, Restart=always, the kiosk's command line) stay as they are.
const DROP_IN = `[Service]
WatchdogSec=${WATCHDOG_SEC}
Environment=WLR_BACKENDS=headless WLR_LIBINPUT_NO_DEVICES=1 WLR_RENDERER=pixman
StandardInput=null
StandardOutput=journal
TTYReset=no
TTYVHangup=no
TTYVTDisallocate=no
`;

/** A shell function (and the arrays it reads) from install.sh, to run in the root as install.sh would on the machine. */
function installShFunction(name: string): string {
  const text = readFileSync(INSTALL_SH, 'utf8');
  const arrays = text.match(/^[a-z_]+=\([^)]*\)$/gm) ?? [];
  const body = new RegExp(`^${name}\\(\\) \\{\\n[\\s\\S]*?^\\}$`, 'm').exec(text)?.[0];
  if (!body) throw new Error(`${INSTALL_SH}: no function ${name}`);
  return [...arrays, body, name].join('\n');
}

/** install.sh --root, then what it prints instead of doing: the user, ownership and the units' links, in the root. */
function layOut(root: string, log: (line: string) => void): void {
  const out = execFileSync(INSTALL_SH, ['--root', root], { encoding: 'utf8' });
  for (const [, step] of out.matchAll(/^install: skipped \(--root\): (.+)$/gm)) {
    if (/^systemctl (set-default|mask|enable) /.test(step!)) {
      execFileSync('systemctl', [`--root=${root}`, ...step!.split(' ').slice(1).filter((a) => a !== '--now')], { stdio: 'ignore' });
    } else if (step === 'create_user') {
      execFileSync('chroot', [root, 'bash', '-c', installShFunction('create_user')]);
    } else if (/^chown /.test(step!)) {
      execFileSync('chroot', [root, ...step!.split(' ')]);
    } else {
      log(`not in a container: ${step}`); // packages (in the root already), npm ci (below), kernel, udev, reloads
    }
  }
}

test('klubkort.service booted under systemd: READY and the watchdog come from the daemon inside cage → foot, its log is in the journal, a hung daemon is restarted', async (t) => {
  t.timeout(20 * 60_000);
  t.is(process.getuid?.(), 0, 'runs as root (as CI does): mmdebstrap, mount and systemd-nspawn');
  const started = performance.now();
  const stamp = (what: string) => t.log(`${what}: ${((performance.now() - started) / 1000).toFixed(1)} s`);

  const base = await debianRoot(INSTALL_SH, (l) => t.log(l));
  stamp(base.built ? 'Debian root built' : 'Debian root from the cache');

  // The cached root stays as it is: this run writes to an overlay on top of it.
  const work = mkdtempSync('/var/tmp/klubkort-nspawn-');
  const root = join(work, 'root');
  for (const d of ['upper', 'work', 'root']) mkdirSync(join(work, d));
  execFileSync('mount', ['-t', 'overlay', 'overlay', '-o', `lowerdir=${base.dir},upperdir=${join(work, 'upper')},workdir=${join(work, 'work')}`, root]);
  let container: Container | null = null;
  t.teardown(async () => {
    await container?.stop();
    execFileSync('umount', ['--lazy', root]);
    rmSync(work, { recursive: true, force: true });
  });

  layOut(root, (l) => t.log(l));
  // npm ci's part: node_modules from this checkout (read only), and its `prepare` step (the build) run in the root by Debian's node.
  const machine = `klubkort-test-${process.pid}`;
  const bindRo = [[realpathSync('node_modules'), '/opt/klubkort/node_modules']] as const;
  await Container.exec(root, ['node', '--import', 'tsx', 'scripts/build.ts'], { machine, bindRo, chdir: '/opt/klubkort' });
  writeFileSync(join(root, 'etc/klubkort/config.json'), JSON.stringify({
    terminalId: 'kasse-1', clubId: 'demo-klub', broker: { url: 'mqtt://127.0.0.1:1883' }, dataDir: '/var/lib/klubkort', hardware: 'sim',
  }));
  mkdirSync(join(root, 'etc/systemd/system/klubkort.service.d'));
  writeFileSync(join(root, 'etc/systemd/system/klubkort.service.d/nspawn.conf'), DROP_IN);
  stamp('klubkort installed in the root');

  const c = container = await Container.boot(root, { machine, bindRo, consoleLog: join(work, 'console.log') });
  stamp('container booted');
  const show = async (...props: string[]): Promise<Record<string, string>> =>
    Object.fromEntries((await c.run(['systemctl', 'show', 'klubkort.service', ...props.map((p) => `--property=${p}`)])).stdout
      .trim().split('\n').map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]));
  const journal = async (...args: string[]) => (await c.run(['journalctl', '--no-pager', '-u', 'klubkort.service', ...args])).stdout;
  const daemonPid = async () => Number((await c.run(['pgrep', '-u', 'klubkort', '-f', String.raw`^/usr/bin/node .*klubkort\.js run`]).catch(() => ({ stdout: '' }))).stdout.trim().split('\n')[0]) || null;
  const proc = async (pid: number) => {
    const stat = (await c.run(['cat', `/proc/${pid}/stat`])).stdout;
    return { comm: stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')')), ppid: Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) };
  };
  // No restart is waited out: one is a failure at once, with what the journal says.
  const noRestart = async (restarts: number) => {
    const s = await show('NRestarts');
    if (Number(s.NRestarts) > restarts) throw new Error(`klubkort.service was restarted (NRestarts=${s.NRestarts}):\n${(await journal('-o', 'short-monotonic')).split('\n').slice(-40).join('\n')}`);
  };

  // READY=1: a Type=notify unit is active only once systemd accepted it, and only the daemon sends it.
  await until(async () => (await show('ActiveState', 'SubState')).SubState === 'running', 'klubkort.service running (READY=1)', 120_000);
  const ready = await show('MainPID', 'ActiveEnterTimestampMonotonic', 'WatchdogUSec', 'StatusText');
  t.is(ready.WatchdogUSec, `${WATCHDOG_SEC}s`);
  t.is(ready.StatusText, 'terminal kasse-1', 'the daemon\'s READY=1 and STATUS= reached systemd through cage and foot');
  const daemon = (await until(daemonPid, 'the daemon\'s pid'))!;
  const foot = await proc((await proc(daemon)).ppid);
  t.is(foot.comm, 'foot');
  t.is(foot.ppid, Number(ready.MainPID), 'the daemon is the grandchild of the unit\'s main process');
  t.is((await proc(foot.ppid)).comm, 'cage');

  // Several watchdog periods: systemd saw a ping five periods after READY, with no restart on the way.
  await until(async () => {
    await noRestart(0);
    return BigInt((await show('WatchdogTimestampMonotonic')).WatchdogTimestampMonotonic!) > BigInt(ready.ActiveEnterTimestampMonotonic!) + 5n * PERIOD_USEC;
  }, 'a watchdog ping five periods after READY', 120_000);
  stamp('five watchdog periods pinged');
  const after = await show('NRestarts', 'MainPID', 'ActiveState');
  t.like(after, { NRestarts: '0', MainPID: ready.MainPID, ActiveState: 'active' });
  t.is(await daemonPid(), daemon, 'the same daemon all along');
  t.notRegex(await journal(), /Watchdog timeout/);

  // The daemon's own log lines are in the unit's journal (not in /var/lib/klubkort/klubkort.log).
  const lines = await journal('--identifier=klubkort', '-o', 'cat');
  t.regex(lines, /"msg":"terminal started"/);
  t.regex(lines, /"owner":"kiosk".*"msg":"systemd watchdog pings on"/);
  t.regex(await journal('--identifier=klubkort', '--priority=info', '-o', 'cat'), /"msg":"connected to broker"/);
  t.is((await c.sh('ls /var/lib/klubkort')).split('\n').filter((f) => f.startsWith('klubkort.log')).length, 0, 'no log file in the data dir');

  // A hung daemon: its event loop stopped (SIGSTOP), the pings stop, systemd's watchdog restarts the unit.
  const cursor = /cursor: (\S+)/.exec((await c.run(['journalctl', '--no-pager', '-n', '0', '--show-cursor'])).stdout)![1]!;
  await c.run(['kill', '-STOP', String(daemon)]);
  await until(async () => Number((await show('NRestarts')).NRestarts) >= 1, 'the watchdog restart', 120_000);
  const since = await journal(`--after-cursor=${cursor}`);
  t.regex(since, new RegExp(`klubkort\\.service: Watchdog timeout \\(limit ${WATCHDOG_SEC}s\\)!`));
  t.regex(since, /klubkort\.service: Failed with result 'watchdog'/);
  stamp('hung daemon restarted by the watchdog');

  // The new one serves and feeds the watchdog in turn.
  await until(async () => (await show('SubState')).SubState === 'running', 'klubkort.service running again', 120_000);
  const again = await show('ActiveEnterTimestampMonotonic', 'NRestarts');
  t.is(again.NRestarts, '1');
  const second = (await until(daemonPid, 'the new daemon\'s pid'))!;
  t.not(second, daemon);
  t.is((await c.sh(`test -e /proc/${daemon} && echo alive || echo gone`)).trim(), 'gone', 'the hung daemon was killed with its unit');
  await until(async () => {
    await noRestart(1);
    return BigInt((await show('WatchdogTimestampMonotonic')).WatchdogTimestampMonotonic!) > BigInt(again.ActiveEnterTimestampMonotonic!) + 2n * PERIOD_USEC;
  }, 'the new daemon pinging two periods after its READY', 120_000);

  // A clean stop: the daemon's last lines still reach the journal (systemd-cat outlives the stop's SIGTERM).
  const stopCursor = /cursor: (\S+)/.exec((await c.run(['journalctl', '--no-pager', '-n', '0', '--show-cursor'])).stdout)![1]!;
  await c.run(['systemctl', 'stop', 'klubkort.service']);
  await until(async () => /"msg":"terminal stopped"/.test(await journal(`--after-cursor=${stopCursor}`, '--identifier=klubkort', '-o', 'cat')), 'the daemon\'s last line in the journal', 30_000)
    .catch(async (e: Error) => { throw new Error(`${e.message}:\n${await journal(`--after-cursor=${stopCursor}`, '-o', 'short-monotonic')}`); });
  t.notRegex(await journal(`--after-cursor=${stopCursor}`), /Aborted|Segmentation fault|Unhandled 'error'/, 'the daemon ended without a crash');
  stamp('done');
});
