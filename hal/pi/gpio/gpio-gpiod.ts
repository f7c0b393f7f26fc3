// GPIO over the character device (/dev/gpiochipN) through Debian's `gpiod` tools, for kernels
// without sysfs GPIO (Raspberry Pi OS Trixie) and any kernel since 4.8. Lines are found by name
// ("GPIO17"), so the Pi 5's chip numbering (gpiochip4 on early kernels, gpiochip0 later) does not
// matter. Why the tools and not a binding: docs/hardware.md ("GPIO drivers").
//
// A line keeps its value only while a process holds it, so one `gpioset` per chip holds the
// lines; a change ends it and starts the next with the new values (coalesced: only the latest
// state is ever applied). libgpiod 1.6 (Bookworm) and 2.x (Trixie) differ in flags and in how a
// line is looked up; probeGpiod() tells them apart by `gpioset --version`.
import { execFile, spawn, spawnSync } from 'node:child_process';
import { readdir } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import type { Logger } from '../../../lib/log.ts';
import { PiHardwareError } from '../../../lib/load-optional.ts';
import { NOT_ACCESSIBLE, type LineOpener } from './gpio-line.ts';
import { systemTimers, type Timers } from '../../../lib/timers.ts';

export interface ToolResult {
  code: number | null;
  stdout: string;
  stderr: string;
  /** Set when the program could not be started at all (ENOENT: not installed). */
  errno?: string;
}

/** A tool left running (gpioset holding lines), in a process group of its own. */
export interface HeldTool {
  onLine(fn: (line: string) => void): void;
  /** Settles once the tool has exited and released its lines. */
  readonly closed: Promise<ToolResult>;
  /** Signals the whole group; synchronous, so it works in an 'exit' hook. */
  kill(signal: NodeJS.Signals): void;
}

/** How the driver runs the tools; tests inject a fake modelling libgpiod 1.6 and 2.x. */
export interface GpiodRunner {
  run(cmd: string, args: string[]): Promise<ToolResult>;
  runSync(cmd: string, args: string[]): ToolResult;
  hold(cmd: string, args: string[]): HeldTool;
}

/**
 * Runs "$@" in the background and ends it when stdin reaches EOF, which happens when the daemon
 * dies however it dies: a crashed daemon leaves no gpioset holding a buzzer on. The watcher's
 * output goes to /dev/null so that the tool's exit alone closes the pipes the driver waits on.
 */
export const HOLD_SCRIPT = 'exec 3<&0; "$@" & p=$!; { read -r _ <&3; kill "$p"; } >/dev/null 2>&1 & wait "$p"';

const toolResult = (err: { code?: string | number | null } | null, stdout: string, stderr: string): ToolResult => ({
  code: err ? (typeof err.code === 'number' ? err.code : null) : 0,
  stdout,
  stderr,
  errno: err && typeof err.code === 'string' ? err.code : undefined,
});

export const systemGpiodRunner: GpiodRunner = {
  run: (cmd, args) =>
    new Promise((resolve) => {
      execFile(cmd, args, { encoding: 'utf8', timeout: 5000 }, (err, stdout, stderr) =>
        resolve(toolResult(err, stdout, stderr)),
      );
    }),
  runSync(cmd, args) {
    const r = spawnSync(cmd, args, { encoding: 'utf8', timeout: 2000 });
    const errno = (r.error as NodeJS.ErrnoException | undefined)?.code;
    return { code: r.status, stdout: r.stdout ?? '', stderr: r.stderr ?? '', errno };
  },
  hold(cmd, args) {
    const child = spawn('sh', ['-c', HOLD_SCRIPT, 'sh', cmd, ...args], {
      detached: true,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    const listeners: ((line: string) => void)[] = [];
    createInterface({ input: child.stdout }).on('line', (l) => {
      stdout += `${l}\n`;
      for (const fn of listeners) fn(l);
    });
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      stderr += d;
    });
    child.stdin.on('error', () => undefined);
    const closed = new Promise<ToolResult>((resolve) => {
      child.once('error', (err: NodeJS.ErrnoException) => resolve({ code: null, stdout, stderr, errno: err.code }));
      child.once('close', (code) => resolve({ code, stdout, stderr }));
    });
    return {
      onLine: (fn) => {
        listeners.push(fn);
      },
      closed,
      kill(signal) {
        try {
          if (child.pid) process.kill(-child.pid, signal);
        } catch {
          // already gone
        }
      },
    };
  },
};

export interface GpiodTools {
  /** libgpiod major version: 1 (Bookworm: 1.6) or 2 (Trixie: 2.2). */
  major: 1 | 2;
  version: string;
  /** v2's `--banner`: gpioset says when the lines are set. */
  banner: boolean;
}

const INSTALL = 'apt-get install gpiod';

/** Which libgpiod the installed tools are, or a PiHardwareError naming the package. */
export async function probeGpiod(runner: GpiodRunner = systemGpiodRunner): Promise<GpiodTools> {
  const v = await runner.run('gpioset', ['--version']);
  if (v.errno === 'ENOENT') throw new PiHardwareError(`the gpiod tools are not installed (no gpioset): ${INSTALL}`);
  const m = /\bv(\d+)\.(\d+)(?:\.\d+)?/.exec(v.stdout);
  if (v.code !== 0 || !m)
    throw new PiHardwareError(
      `gpioset --version failed (${firstLine(v.stderr || v.stdout) || `exit ${v.code}`}): ${INSTALL}`,
    );
  const major = Number(m[1]);
  if (major !== 1 && major !== 2) throw new PiHardwareError(`libgpiod ${m[0]} is not supported (1.x or 2.x)`);
  const help = major === 2 ? (await runner.run('gpioset', ['--help'])).stdout : '';
  return { major, version: m[0].slice(1), banner: help.includes('--banner') };
}

export const DEV_ROOT = '/dev';

export interface GpiodOptions {
  runner?: GpiodRunner;
  /** Stands for /dev (where gpiochip* live). */
  devRoot?: string;
  timers?: Timers;
  /** libgpiod 1.6's gpioset says nothing once set: a new holder counts as set after this long. */
  settleMs?: number;
  log?: Logger;
}

/** Opens lines by BCM number through the tools; throws a PiHardwareError naming the fix. */
export async function gpiodOpener(opts: GpiodOptions = {}): Promise<LineOpener> {
  const runner = opts.runner ?? systemGpiodRunner;
  const devRoot = opts.devRoot ?? DEV_ROOT;
  const chipsPresent = await readdir(devRoot).then(
    (n) => n.some((f) => /^gpiochip\d+$/.test(f)),
    () => false,
  );
  if (!chipsPresent) throw new PiHardwareError(`${NOT_ACCESSIBLE} (no GPIO character device ${devRoot}/gpiochip*)`);
  const tools = await probeGpiod(runner);
  const holders = new Map<string, ChipHolder>();
  return async (bcm, initialHigh) => {
    const name = `GPIO${bcm}`;
    const { chip, offset } = await findLine(runner, tools, name);
    let holder = holders.get(chip);
    if (!holder) {
      holder = new ChipHolder(chip, runner, tools, opts);
      holders.set(chip, holder);
    }
    await holder.add(offset, name, initialHigh);
    const h = holder;
    return {
      set: (high) => h.set(offset, high),
      setSync: (high) => h.setSync(offset, high),
      release: () => h.remove(offset),
    };
  };
}

/** The chip and offset of the line named `name`: v1 `gpiofind NAME`, v2 `gpioinfo NAME`. */
export async function findLine(
  runner: GpiodRunner,
  tools: GpiodTools,
  name: string,
): Promise<{ chip: string; offset: number }> {
  const r = tools.major === 1 ? await runner.run('gpiofind', [name]) : await runner.run('gpioinfo', [name]);
  const m = /^(\S+)\s+(\d+)\b/.exec(r.stdout);
  if (r.code === 0 && m) return { chip: m[1], offset: Number(m[2]) };
  const why = firstLine(r.stderr);
  if (why && !/cannot find line|not found/i.test(why)) throw toolError(name, why);
  throw new PiHardwareError(
    `no GPIO line named ${name} (\`gpioinfo\` lists them): not a Raspberry Pi, or a pin number the header does not have`,
  );
}

/** A tool's complaint, with what to do about it. */
function toolError(name: string, stderr: string): PiHardwareError {
  const why = firstLine(stderr);
  if (/permission denied/i.test(why)) {
    return new PiHardwareError(
      `${NOT_ACCESSIBLE} (${name}: ${why}): /dev/gpiochip* must belong to group gpio (systemd/60-klubkort-gpio.rules)`,
    );
  }
  if (/operation not permitted/i.test(why)) {
    return new PiHardwareError(
      `${name}: ${why}: the service's DevicePolicy forbids the GPIO chip; klubkort.service needs DeviceAllow=char-gpiochip rw`,
    );
  }
  if (/busy/i.test(why))
    return new PiHardwareError(`${name} is in use by another program (${why}; \`gpioinfo ${name}\` names it)`);
  return new PiHardwareError(`${name} could not be set (${why})`);
}

const assignments = (values: Map<number, boolean>) => [...values].map(([o, v]) => `${o}=${v ? 1 : 0}`);
const firstLine = (s: string) =>
  s
    .trim()
    .split('\n')[0]
    ?.replace(/^\S+: /, '') ?? '';

/** The lines of one chip and the gpioset process holding them at their values. */
class ChipHolder {
  readonly #values = new Map<number, boolean>();
  /** Lines released since the last round, with their final values. */
  readonly #leaving = new Map<number, boolean>();
  readonly #timers: Timers;
  #proc: HeldTool | null = null;
  #pump: Promise<void> | null = null;
  #dirty = false;

  constructor(
    readonly chip: string,
    readonly runner: GpiodRunner,
    readonly tools: GpiodTools,
    readonly opts: GpiodOptions,
  ) {
    this.#timers = opts.timers ?? systemTimers;
  }

  async add(offset: number, name: string, high: boolean): Promise<void> {
    this.#values.set(offset, high);
    try {
      await this.#apply();
    } catch (err) {
      this.remove(offset);
      throw err instanceof PiHardwareError ? err : toolError(name, (err as Error).message);
    }
  }

  set(offset: number, high: boolean): void {
    if (!this.#values.has(offset) || this.#values.get(offset) === high) return;
    this.#values.set(offset, high);
    this.#kick();
  }

  /** The line is left at its last value (set once more by a one-shot gpioset), then released. */
  remove(offset: number): void {
    const last = this.#values.get(offset);
    if (last === undefined) return;
    this.#values.delete(offset);
    this.#leaving.set(offset, last);
    this.#kick();
  }

  /** For an 'exit' hook: the holder is killed and a one-shot gpioset sets the values before returning. */
  setSync(offset: number, high: boolean): void {
    if (!this.#values.has(offset)) return;
    this.#values.set(offset, high);
    this.#proc?.kill('SIGKILL');
    this.#proc = null;
    const args = this.#oneShot(this.#values);
    // The killed holder's lines are free once the kernel has reaped it: a few tries.
    for (let i = 0; i < 5; i++) {
      const r = this.runner.runSync('gpioset', args);
      if (r.code === 0 || r.errno) return;
    }
  }

  /** gpioset arguments that set the values and exit. */
  #oneShot(values: Map<number, boolean>): string[] {
    return this.tools.major === 1
      ? ['--mode=exit', this.chip, ...assignments(values)]
      : ['-t', '0', '--chip', this.chip, ...assignments(values)];
  }

  #kick(): void {
    this.#apply().catch((err: Error) =>
      this.opts.log?.warn({ chip: this.chip, err: err.message }, 'GPIO write failed'),
    );
  }

  /** Brings the holder in line with the wanted values; calls meanwhile coalesce into one more round. */
  #apply(): Promise<void> {
    this.#dirty = true;
    this.#pump ??= (async () => {
      try {
        while (this.#dirty) {
          this.#dirty = false;
          await this.#restart();
        }
      } finally {
        this.#pump = null;
      }
    })();
    return this.#pump;
  }

  async #restart(): Promise<void> {
    const old = this.#proc;
    this.#proc = null;
    if (old) {
      old.kill('SIGTERM');
      await old.closed;
    }
    if (this.#leaving.size) {
      const leaving = new Map(this.#leaving);
      this.#leaving.clear();
      const r = await this.runner.run('gpioset', this.#oneShot(leaving));
      if (r.code !== 0)
        this.opts.log?.warn(
          { chip: this.chip, err: firstLine(r.stderr) },
          'GPIO lines released without their last value',
        );
    }
    if (this.#values.size === 0) return;
    const values = assignments(this.#values);
    const args =
      this.tools.major === 1
        ? ['--mode=signal', this.chip, ...values]
        : [...(this.tools.banner ? ['--banner'] : []), '--consumer', 'klubkort', '--chip', this.chip, ...values];
    const proc = this.runner.hold('gpioset', args);
    this.#proc = proc;
    await this.#ready(proc);
    void proc.closed.then((r) => {
      if (this.#proc !== proc) return;
      this.#proc = null;
      this.opts.log?.warn(
        { chip: this.chip, code: r.code, err: firstLine(r.stderr) },
        'gpioset stopped holding the GPIO lines',
      );
    });
  }

  /** Set once v2 prints its banner (or, without one, after settleMs); a tool that exits first has failed. */
  #ready(proc: HeldTool): Promise<void> {
    return new Promise((resolve, reject) => {
      let done = false;
      const finish = (err?: Error) => {
        if (done) return;
        done = true;
        this.#timers.clearTimeout(timer);
        if (err) reject(err);
        else resolve();
      };
      const timer = this.tools.banner ? null : this.#timers.setTimeout(() => finish(), this.opts.settleMs ?? 20);
      if (this.tools.banner) proc.onLine(() => finish());
      void proc.closed.then((r) => {
        // add() names the line; a later change only logs this.
        if (r.errno === 'ENOENT')
          finish(new PiHardwareError(`the gpiod tools are not installed (no gpioset): ${INSTALL}`));
        else finish(new Error(r.stderr.trim() || `gpioset exited (${r.code})`));
      });
    });
  }
}
