// A Debian root booted with `systemd-nspawn -b`: its own systemd as PID 1, journald, units; the
// tests look in through nsenter (`run`). The host here has no systemd of its own (no D-Bus, no
// machined: --register=no, and --keep-unit where no systemd runs) and a hybrid cgroup tree, on
// which trixie's systemd 257 is given a unified hierarchy (SYSTEMD_NSPAWN_UNIFIED_HIERARCHY=1), as
// it has on a terminal. The network is its own, loopback only (--private-network): abstract unix
// sockets (Xwayland's @/tmp/.X11-unix/X0) are per network namespace, and the host's tests use them.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, openSync, closeSync, readdirSync, readFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { until } from './until.ts';

const ENV = { PATH: '/usr/sbin:/usr/bin:/sbin:/bin', LANG: 'C.UTF-8', SYSTEMD_PAGER: '', SYSTEMD_COLORS: '0' };

function childrenOf(pid: number): number[] {
  const kids: number[] = [];
  for (const e of readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    try {
      const stat = readFileSync(`/proc/${e}/stat`, 'utf8');
      if (Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === pid) kids.push(Number(e));
    } catch {
      /* gone */
    }
  }
  return kids;
}

/** Where the host runs no systemd of its own, nspawn stays in its caller's cgroup (--keep-unit). */
function nspawnArgs(root: string, o: { machine: string; bindRo?: ReadonlyArray<readonly [string, string]> }): string[] {
  return [
    '--quiet',
    '--register=no',
    ...(existsSync('/run/systemd/system') ? [] : ['--keep-unit']),
    `--machine=${o.machine}`,
    '--private-network',
    '-D',
    root,
    ...(o.bindRo ?? []).map(([from, to]) => `--bind-ro=${from}:${to}`),
  ];
}

function commOf(pid: number): string | null {
  try {
    return readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
  } catch {
    return null;
  }
}

export interface BootOptions {
  machine: string;
  /** host path → path in the container, read-only */
  bindRo?: ReadonlyArray<readonly [string, string]>;
  /** nspawn's own output and the console (the boot messages) go here */
  consoleLog: string;
}

export class Container {
  private constructor(
    readonly nspawn: ChildProcess,
    readonly leader: number,
    readonly exited: Promise<void>,
  ) {}

  static async boot(root: string, o: BootOptions): Promise<Container> {
    const fd = openSync(o.consoleLog, 'a');
    const args = [...nspawnArgs(root, o), '--console=passive', '-b'];
    const nspawn = spawn('systemd-nspawn', args, {
      stdio: ['ignore', fd, fd],
      env: { ...ENV, SYSTEMD_NSPAWN_UNIFIED_HIERARCHY: '1' },
    });
    closeSync(fd);
    const exited = new Promise<void>((resolve) => {
      nspawn.once('exit', () => resolve());
      nspawn.once('error', () => resolve());
    });
    let gone = false;
    void exited.then(() => {
      gone = true;
    });
    let c: Container | null = null;
    try {
      // The container's PID 1 (nspawn's first child may still be its short-lived intermediate).
      const leader = await until(
        () => {
          if (gone)
            throw new Error(
              `systemd-nspawn ended at once (Debian package systemd-container); see ${o.consoleLog}:\n${readFileSync(o.consoleLog, 'utf8').slice(-3000)}`,
            );
          return childrenOf(nspawn.pid!).find((pid) => commOf(pid) === 'systemd');
        },
        "the container's systemd",
        30_000,
      );
      c = new Container(nspawn, leader, exited);
      const booted = c;
      // Booted: its systemd answers and has finished starting what it starts at boot.
      const state = async () =>
        (
          await booted
            .run(['systemctl', 'is-system-running', '--wait'])
            .catch((e: { stdout?: string }) => ({ stdout: e.stdout ?? '' }))
        ).stdout;
      await until(async () => /^(running|degraded)$/m.test(await state()), 'the container to boot', 120_000);
      return c;
    } catch (e) {
      if (c) await c.stop();
      else {
        nspawn.kill('SIGTERM');
        nspawn.kill('SIGTERM');
        await exited;
      } // twice: nspawn ends the container at once
      throw e;
    }
  }

  /** One command in the root as a container of its own (no boot), e.g. a build step. */
  static async exec(
    root: string,
    argv: string[],
    o: { machine: string; bindRo?: BootOptions['bindRo']; chdir?: string },
  ): Promise<string> {
    const args = [...nspawnArgs(root, o), '--console=pipe', ...(o.chdir ? [`--chdir=${o.chdir}`] : []), '--', ...argv];
    return (
      await promisify(execFile)('systemd-nspawn', args, {
        env: { ...ENV, SYSTEMD_NSPAWN_UNIFIED_HIERARCHY: '1' },
        maxBuffer: 64 << 20,
        timeout: 300_000,
      })
    ).stdout;
  }

  /** A command in the container, as root: its namespaces entered with nsenter. */
  async run(argv: string[]): Promise<{ stdout: string; stderr: string }> {
    return promisify(execFile)('nsenter', ['-t', String(this.leader), '-a', '--', ...argv], {
      env: ENV,
      maxBuffer: 64 << 20,
      timeout: 120_000,
    });
  }

  async sh(script: string): Promise<string> {
    return (await this.run(['sh', '-c', script])).stdout;
  }

  /** Powers off; a container that does not stop is killed (its PID 1, and with it every process in it). */
  async stop(): Promise<void> {
    if (this.nspawn.exitCode !== null || this.nspawn.signalCode !== null) return;
    await this.run(['systemctl', 'poweroff']).catch(() => undefined);
    const timer = setTimeout(() => {
      try {
        process.kill(this.leader, 'SIGKILL');
      } catch {
        /* gone */
      }
    }, 60_000);
    await this.exited;
    clearTimeout(timer);
  }
}
