// A fake of Debian's gpiod tools (libgpiod 1.6 on Bookworm, 2.x on Trixie) over pretend GPIO
// chips: the flags each version takes, how each finds a line by name, their error messages,
// and the kernel's rule that a line requested by one process is busy for every other.
import type { GpiodRunner, HeldTool, ToolResult } from '../../hal/pi/gpio/gpio-gpiod.ts';

export interface FakeChip {
  name: string;
  lines: (string | null)[];
}
export interface FakeGpiodOptions {
  major: 1 | 2;
  chips: FakeChip[];
  installed?: boolean;
  /** open() of the chips fails: EACCES (file mode) or EPERM (the unit's DevicePolicy). */
  deny?: 'EACCES' | 'EPERM';
  /** v2 built with --banner (every 2.x release has it). */
  banner?: boolean;
}

/** BCM names of the 40-pin header as the Pi's device tree gives them: GPIO0…GPIO27, then SoC-specific names. */
export const headerLines = (n: number) => Array.from({ length: n }, (_, i) => (i < 28 ? `GPIO${i}` : `ID_SD${i}`));
/** Pi 4 (any kernel): one chip for the header, plus the firmware's expander. */
export const PI4_CHIPS: FakeChip[] = [
  { name: 'gpiochip0', lines: headerLines(58) },
  { name: 'gpiochip1', lines: ['BT_ON', 'WL_ON', 'PWR_LED_OFF', null, null, 'CAM_GPIO', null, null] },
];
/** Pi 5 on kernel 6.1: the SoC's chips first, the header's RP1 as gpiochip4. */
export const PI5_CHIPS_61: FakeChip[] = [
  { name: 'gpiochip0', lines: Array.from({ length: 32 }, (_, i) => (i === 20 ? 'PWR_GPIO' : null)) },
  { name: 'gpiochip1', lines: Array(4).fill(null) },
  { name: 'gpiochip2', lines: Array(17).fill(null) },
  { name: 'gpiochip3', lines: Array(6).fill(null) },
  { name: 'gpiochip4', lines: headerLines(54) },
];
/** Pi 5 on kernel 6.6+: the RP1 is gpiochip0. */
export const PI5_CHIPS_66: FakeChip[] = [
  { name: 'gpiochip0', lines: headerLines(54) },
  ...PI5_CHIPS_61.slice(0, 4).map((c, i) => ({ ...c, name: `gpiochip${i + 10}` })),
];

const DENIED = { EACCES: 'Permission denied', EPERM: 'Operation not permitted' } as const;

export function fakeGpiod(o: FakeGpiodOptions) {
  const levels = new Map<string, 0 | 1>();
  const held = new Map<string, number>();
  const calls: string[] = [];
  const live = new Map<number, () => void>();
  let nextId = 1;
  const banner = o.banner ?? true;
  const ok = (stdout: string): ToolResult => ({ code: 0, stdout, stderr: '' });
  const fail = (stderr: string): ToolResult => ({ code: 1, stdout: '', stderr });
  const find = (name: string) => {
    for (const c of o.chips) {
      const offset = c.lines.indexOf(name);
      if (offset >= 0) return { chip: c.name, offset };
    }
    return null;
  };

  /** Parses a gpioset call as the installed version would; returns what to set or why it fails. */
  function parseSet(
    args: string[],
    oneShot: boolean,
  ): { chip: string; values: [number, 0 | 1][]; banner: boolean } | string {
    let rest = [...args];
    let chip: string | undefined;
    let wantsBanner = false;
    if (o.major === 1) {
      const mode = rest.shift();
      if (mode !== (oneShot ? '--mode=exit' : '--mode=signal')) return `gpioset: unexpected ${mode}`;
      chip = rest.shift();
    } else {
      while (rest[0]?.startsWith('-')) {
        const flag = rest.shift()!;
        if (flag === '--banner' && banner) wantsBanner = true;
        else if (flag === '--consumer' || flag === '--chip') {
          const v = rest.shift();
          if (flag === '--chip') chip = v;
        } else if (flag === '-t' && oneShot && rest.shift() === '0') continue;
        else return `gpioset: unrecognized option '${flag}'`;
      }
      if (!chip) return 'gpioset: this fake expects --chip';
    }
    const c = o.chips.find((x) => x.name === chip);
    if (!c) return `gpioset: cannot find GPIO chip character device '${chip}'`;
    if (o.deny) return `gpioset: unable to request lines on chip '/dev/${chip}': ${DENIED[o.deny]}`;
    const values: [number, 0 | 1][] = [];
    for (const a of rest) {
      const m = /^(\d+)=([01])$/.exec(a);
      if (!m || Number(m[1]) >= c.lines.length) return `gpioset: invalid offset or value '${a}'`;
      values.push([Number(m[1]), Number(m[2]) as 0 | 1]);
    }
    rest = [];
    if (values.some(([off]) => held.has(`${chip}/${off}`)))
      return `gpioset: unable to request lines on chip '/dev/${chip}': Device or resource busy`;
    return { chip: c.name, values, banner: wantsBanner };
  }

  /** gpioset that sets and exits (v1 --mode=exit, v2 -t 0): the lines are free again after it. */
  function oneShot(args: string[]): ToolResult {
    const p = parseSet(args, true);
    if (typeof p === 'string') return fail(p);
    for (const [off, v] of p.values) levels.set(`${p.chip}/${off}`, v);
    return ok('');
  }

  const notInstalled: ToolResult = { code: null, stdout: '', stderr: '', errno: 'ENOENT' };
  const runner: GpiodRunner = {
    async run(cmd, args) {
      calls.push([cmd, ...args].join(' '));
      if (o.installed === false) return notInstalled;
      if (cmd === 'gpioset' && args[0] === '--version')
        return ok(
          `gpioset (libgpiod) v${o.major === 1 ? '1.6.3' : '2.2.1'}\nCopyright (C) 2017-2023 Bartosz Golaszewski\n`,
        );
      if (cmd === 'gpioset' && args[0] === '--help')
        return ok(
          o.major === 1
            ? 'Usage: gpioset [OPTIONS] <chip name/number> <offset1>=<value1> ...\n'
            : `Usage: gpioset [OPTIONS] <line=value>...\n${banner ? '      --banner\t\tdisplay a banner on successful startup\n' : ''}`,
        );
      if (cmd === 'gpiofind' && o.major === 1) {
        if (o.deny) return fail(`gpiofind: unable to access GPIO chips: ${DENIED[o.deny]}\n`);
        const f = find(args[0]!);
        return f ? ok(`${f.chip} ${f.offset}\n`) : { code: 1, stdout: '', stderr: '' };
      }
      if (cmd === 'gpioinfo' && o.major === 2) {
        if (o.deny) return fail(`gpioinfo: unable to open chip '/dev/${o.chips[0]!.name}': ${DENIED[o.deny]}\n`);
        const found = args.map((n) => [n, find(n)] as const);
        const out = found
          .filter(([, f]) => f)
          .map(([n, f]) => `${f!.chip} ${f!.offset}\t"${n}"          \tinput\n`)
          .join('');
        const missing = found.find(([, f]) => !f);
        return missing ? { code: 1, stdout: out, stderr: `gpioinfo: cannot find line '${missing[0]}'\n` } : ok(out);
      }
      return cmd === 'gpioset' ? oneShot(args) : notInstalled;
    },
    runSync(cmd, args) {
      calls.push(`sync ${[cmd, ...args].join(' ')}`);
      return o.installed === false || cmd !== 'gpioset' ? notInstalled : oneShot(args);
    },
    hold(cmd, args): HeldTool {
      calls.push(`hold ${[cmd, ...args].join(' ')}`);
      const lineFns: ((l: string) => void)[] = [];
      let resolveClosed!: (r: ToolResult) => void;
      const closed = new Promise<ToolResult>((r) => {
        resolveClosed = r;
      });
      const id = nextId++;
      const p = o.installed === false ? null : parseSet(args, false);
      // Killed before it got going (a busy machine runs the driver's settle timer first): it never holds.
      let killed = false;
      setImmediate(() => {
        if (p === null) return resolveClosed({ code: null, stdout: '', stderr: '', errno: 'ENOENT' });
        if (killed) return resolveClosed({ code: null, stdout: '', stderr: '' });
        if (typeof p === 'string') return resolveClosed(fail(p));
        for (const [off, v] of p.values) {
          held.set(`${p.chip}/${off}`, id);
          levels.set(`${p.chip}/${off}`, v);
        }
        live.set(id, () => {
          for (const [k, h] of held) if (h === id) held.delete(k);
          live.delete(id);
          resolveClosed({ code: null, stdout: '', stderr: '' });
        });
        if (p.banner) for (const fn of lineFns) fn('Setting lines ...');
      });
      return {
        onLine: (fn) => {
          lineFns.push(fn);
        },
        closed,
        kill: () => {
          killed = true;
          live.get(id)?.();
        },
      };
    },
  };
  return {
    runner,
    calls,
    /** Physical level of the line with this name (as the last process left it). */
    level: (name: string) => {
      const f = find(name);
      return f ? levels.get(`${f.chip}/${f.offset}`) : undefined;
    },
    /** gpioset processes holding lines now. */
    holders: () => live.size,
    /** Another program requests the line. */
    occupy: (name: string) => {
      const f = find(name)!;
      held.set(`${f.chip}/${f.offset}`, -1);
    },
    holds: () => calls.filter((c) => c.startsWith('hold ')),
  };
}
