// klubkort.service under a real systemd: a Debian 13 root (test/helpers/debian-root.ts) with
// klubkort laid out by `systemd/install.sh --root` and the steps it only prints taken in the root,
// booted with systemd-nspawn. The unit is the real one, with a test drop-in for what a container
// lacks (no VT for TTYPath=/dev/tty1, no GPU: cage's headless backend) and a short WatchdogSec.
// The daemon runs where it runs on a terminal: cage (the main process) → foot → node; Debian's
// mosquitto in the container is its broker.
// Costs: the root once (40–120 s, ~610 MB in /var/cache/klubkort-test), then ~1 min a run.
import test from 'ava';
import { until } from '../helpers/until.ts';
import {
  buildCheckoutRelease,
  configure,
  dropIn,
  layOut,
  terminalRoot,
  unitView,
} from '../helpers/terminal-container.ts';

const WATCHDOG_SEC = 4;
const PERIOD_USEC = BigInt(WATCHDOG_SEC) * 1_000_000n;

test('klubkort.service booted under systemd: READY and the watchdog come from the daemon inside cage → foot, its log is in the journal, a hung daemon is restarted', async (t) => {
  t.timeout(20 * 60_000);
  const started = performance.now();
  const stamp = (what: string) => t.log(`${what}: ${((performance.now() - started) / 1000).toFixed(1)} s`);
  const r = await terminalRoot(t, stamp);
  layOut(r.root, [], (l) => t.log(l));
  await buildCheckoutRelease(r);
  configure(r.root, dropIn(WATCHDOG_SEC));
  stamp('klubkort installed in the root');

  const c = await r.boot();
  const { show, journal, daemonPid, cursor: journalCursor } = unitView(c);
  const proc = async (pid: number) => {
    const stat = (await c.run(['cat', `/proc/${pid}/stat`])).stdout;
    return {
      comm: stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')')),
      ppid: Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]),
    };
  };
  // No restart is waited out: one is a failure at once, with what the journal says.
  const noRestart = async (restarts: number) => {
    const s = await show('NRestarts');
    if (Number(s.NRestarts) > restarts)
      throw new Error(
        `klubkort.service was restarted (NRestarts=${s.NRestarts}):\n${(await journal('-o', 'short-monotonic')).split('\n').slice(-40).join('\n')}`,
      );
  };

  // READY=1: a Type=notify unit is active only once systemd accepted it, and only the daemon sends it.
  await until(
    async () => (await show('ActiveState', 'SubState')).SubState === 'running',
    'klubkort.service running (READY=1)',
    120_000,
  );
  const ready = await show('MainPID', 'ActiveEnterTimestampMonotonic', 'WatchdogUSec', 'StatusText');
  t.is(ready.WatchdogUSec, `${WATCHDOG_SEC}s`);
  t.is(ready.StatusText, 'terminal kasse-1', "the daemon's READY=1 and STATUS= reached systemd through cage and foot");
  const daemon = (await until(daemonPid, "the daemon's pid"))!;
  const foot = await proc((await proc(daemon)).ppid);
  t.is(foot.comm, 'foot');
  t.is(foot.ppid, Number(ready.MainPID), "the daemon is the grandchild of the unit's main process");
  t.is((await proc(foot.ppid)).comm, 'cage');

  // Several watchdog periods: systemd saw a ping five periods after READY, with no restart on the way.
  await until(
    async () => {
      await noRestart(0);
      return (
        BigInt((await show('WatchdogTimestampMonotonic')).WatchdogTimestampMonotonic!) >
        BigInt(ready.ActiveEnterTimestampMonotonic!) + 5n * PERIOD_USEC
      );
    },
    'a watchdog ping five periods after READY',
    120_000,
  );
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
  t.is(
    (await c.sh('ls /var/lib/klubkort')).split('\n').filter((f) => f.startsWith('klubkort.log')).length,
    0,
    'no log file in the data dir',
  );

  // A hung daemon: its event loop stopped (SIGSTOP), the pings stop, systemd's watchdog restarts the unit.
  const cursor = await journalCursor();
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
  const second = (await until(daemonPid, "the new daemon's pid"))!;
  t.not(second, daemon);
  t.is(
    (await c.sh(`test -e /proc/${daemon} && echo alive || echo gone`)).trim(),
    'gone',
    'the hung daemon was killed with its unit',
  );
  await until(
    async () => {
      await noRestart(1);
      return (
        BigInt((await show('WatchdogTimestampMonotonic')).WatchdogTimestampMonotonic!) >
        BigInt(again.ActiveEnterTimestampMonotonic!) + 2n * PERIOD_USEC
      );
    },
    'the new daemon pinging two periods after its READY',
    120_000,
  );

  // A clean stop: the daemon's last lines still reach the journal (systemd-cat outlives the stop's SIGTERM).
  const stopCursor = await journalCursor();
  await c.run(['systemctl', 'stop', 'klubkort.service']);
  await until(
    async () =>
      /"msg":"terminal stopped"/.test(
        await journal(`--after-cursor=${stopCursor}`, '--identifier=klubkort', '-o', 'cat'),
      ),
    "the daemon's last line in the journal",
    30_000,
  ).catch(async (e: Error) => {
    throw new Error(`${e.message}:\n${await journal(`--after-cursor=${stopCursor}`, '-o', 'short-monotonic')}`);
  });
  t.notRegex(
    await journal(`--after-cursor=${stopCursor}`),
    /Aborted|Segmentation fault|Unhandled 'error'/,
    'the daemon ended without a crash',
  );
  stamp('done');
});
