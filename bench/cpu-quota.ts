// A Pi-class CPU for the bench: the terminal's process in a cgroup whose CPU quota is a share of
// one core (cgroup v1 `cpu.cfs_quota_us`, or v2 `cpu.max`; `systemd-run --scope -p CPUQuota=`
// does the same where systemd is PID 1, which it is not in every container). The period is short
// (10 ms): a Pi is slower all the time, not stopped for 75 ms of every 100 as a quota with
// systemd's 100 ms period would make it.
import { existsSync, mkdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Figure } from './stats.ts';

const PERIOD_US = 10_000;

export interface Confinement {
  /** The command line that runs `cmd` inside it. */
  wrap(cmd: string[]): string[];
  env?: Record<string, string>;
  /** Figures about the confinement itself (none, or how often it throttled). */
  figures(r: unknown): Figure[];
  close(): void;
}

/** A cgroup of its own with `share` of one core; throws when neither cgroup version is writable. */
export function cpuQuota(share: number): Confinement {
  const name = `klubkort-bench-${process.pid}`;
  const quota = Math.round(PERIOD_US * share);
  const v1 = '/sys/fs/cgroup/cpu';
  const v2 = ['/sys/fs/cgroup/unified', '/sys/fs/cgroup'].find(
    (d) =>
      existsSync(join(d, 'cgroup.controllers')) && readFileSync(join(d, 'cgroup.controllers'), 'utf8').includes('cpu'),
  );
  let dir: string;
  let stat: () => string;
  if (existsSync(join(v1, 'cpu.cfs_quota_us'))) {
    dir = join(v1, name);
    mkdirSync(dir);
    writeFileSync(join(dir, 'cpu.cfs_period_us'), String(PERIOD_US));
    writeFileSync(join(dir, 'cpu.cfs_quota_us'), String(quota));
    stat = () => readFileSync(join(dir, 'cpu.stat'), 'utf8');
  } else if (v2) {
    dir = join(v2, name);
    mkdirSync(dir);
    writeFileSync(join(dir, 'cpu.max'), `${quota} ${PERIOD_US}`);
    stat = () => readFileSync(join(dir, 'cpu.stat'), 'utf8');
  } else {
    throw new Error('no writable cgroup cpu controller (run the bench as root on a machine with cgroups)');
  }
  return {
    // The shell enters the cgroup, then becomes the command: everything it starts is confined.
    wrap: (cmd) => ['/bin/sh', '-c', `echo $$ > ${join(dir, 'cgroup.procs')} && exec "$@"`, 'sh', ...cmd],
    figures: () => {
      const s = stat();
      const num = (k: string) => Number(new RegExp(`^${k} (\\d+)`, 'm').exec(s)?.[1] ?? NaN);
      const periods = num('nr_periods'),
        throttled = num('nr_throttled');
      return [
        {
          id: 'pi.confinement',
          label: `Pi-class: the terminal's process held to ${share * 100}% of one core`,
          unit: '%',
          value: (throttled / periods) * 100,
          note: `cgroup cpu quota ${quota} µs per ${PERIOD_US} µs (${dir}); the figure: share of periods in which it was throttled (${throttled} of ${periods})`,
        },
      ];
    },
    close: () => {
      try {
        rmdirSync(dir);
      } catch {
        /* still has a process: it exits soon, the empty group is harmless */
      }
    },
  };
}
