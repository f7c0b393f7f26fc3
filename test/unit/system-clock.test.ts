// Whether the wall clock can be trusted: the files tell at once; where they do not (chrony or ntpd
// instead of timesyncd), timedatectl is asked in the background. Asked synchronously, it held the
// event loop (screen, keys, sale) for as long as it ran, up to 2 s, at every ledger status change
// before NTP synced (found by `bench/long-turns.ts --keys` during the forwarding bench).
import test from 'ava';
import { constants } from 'node:fs';
import { chmod, mkdir, mkdtemp, open, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { systemClock, type SystemClockPaths } from '../../firmware/clock.ts';
import { until } from '../helpers/until.ts';

/** A timedatectl that counts its runs and answers `answer` once a line arrives on its FIFO. */
async function fakeTimedatectl(answer: string) {
  const dir = await mkdtemp(join(tmpdir(), 'klubkort-clock-'));
  const fifo = join(dir, 'release');
  execFileSync('mkfifo', [fifo]);
  const runs = join(dir, 'runs');
  const bin = join(dir, 'timedatectl');
  await writeFile(bin, `#!/bin/sh\necho run >> '${runs}'\nread line < '${fifo}'\necho '${answer}'\n`);
  await chmod(bin, 0o755);
  const paths: SystemClockPaths = {
    bootId: '/proc/sys/kernel/random/boot_id',
    uptime: '/proc/uptime',
    timesyncFlag: join(dir, 'synchronized'),
    rtcDir: join(dir, 'rtc'),
    timedatectl: bin,
  };
  return {
    dir,
    paths,
    runs: async () => (await readFile(runs, 'utf8').catch(() => '')).split('\n').filter(Boolean).length,
    /**
     * Lets the command answer, from this event loop: possible only while the loop is free. False
     * when no command is reading its FIFO within `ms` (it ended, or never ran).
     */
    async release(ms = 5000): Promise<boolean> {
      const end = Date.now() + ms;
      for (;;) {
        try {
          const fh = await open(fifo, constants.O_WRONLY | constants.O_NONBLOCK);
          await fh.write('go\n');
          await fh.close();
          return true;
        } catch (e) {
          if ((e as NodeJS.ErrnoException).code !== 'ENXIO' || Date.now() > end) return false;
          await new Promise((r) => setTimeout(r, 20));
        }
      }
    },
  };
}

test('timedatectl is asked in the background: the loop runs meanwhile, and its answer is taken', async (t) => {
  const f = await fakeTimedatectl('yes');
  t.teardown(() => rm(f.dir, { recursive: true, force: true }));
  const clock = systemClock(f.paths);
  t.false(clock.wallTrusted(), 'not trusted before the answer');
  t.false(clock.wallTrusted(), 'asked once, not again while it runs');
  // The old synchronous call blocked here until its timeout killed the command: nothing read the FIFO then.
  t.true(await f.release(), 'the command was still running, waiting for this loop');
  await until(() => clock.wallTrusted(), "timedatectl's yes taken");
  t.is(await f.runs(), 1);
});

test('a command that says no, or fails, leaves the clock untrusted', async (t) => {
  const f = await fakeTimedatectl('no');
  t.teardown(() => rm(f.dir, { recursive: true, force: true }));
  const clock = systemClock(f.paths);
  t.false(clock.wallTrusted());
  t.true(await f.release());
  await until(async () => (await f.runs()) === 1, 'the command ran');
  t.false(clock.wallTrusted());
  const missing = systemClock({ ...f.paths, timedatectl: join(f.dir, 'no-such-command') });
  t.false(missing.wallTrusted(), 'no timedatectl: not trusted, and no throw');
});

test("timesyncd's flag or an RTC that set the clock tell at once, without asking", async (t) => {
  const f = await fakeTimedatectl('yes');
  t.teardown(() => rm(f.dir, { recursive: true, force: true }));
  await writeFile(f.paths.timesyncFlag, '');
  t.true(systemClock(f.paths).wallTrusted());
  await rm(f.paths.timesyncFlag);
  const rtc = join(f.paths.rtcDir, 'rtc0');
  await mkdir(rtc, { recursive: true });
  await writeFile(join(rtc, 'hctosys'), '1\n');
  t.true(systemClock(f.paths).wallTrusted());
  t.is(await f.runs(), 0, 'timedatectl never ran');
});
