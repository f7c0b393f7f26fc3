// Log lines into systemd's journal from a daemon whose stderr is not the journal: in the kiosk
// (kiosk.ts) stdin, stdout and stderr are foot's terminal, the cashier's screen. Node cannot speak
// journald's native protocol (a unix datagram socket, as with sd_notify), so `systemd-cat`, the
// systemd package's own client of the journal's stream socket, carries them. It runs in the unit's
// cgroup, so `journalctl -u klubkort` shows the lines as it shows the unit's stderr. Each line gets
// its pino level as a syslog priority prefix (`<4>` for warn: `journalctl -p warning` works).
import { spawn, spawnSync } from 'node:child_process';
import { Writable } from 'node:stream';
import { must } from '../../lib/must.ts';

/** pino level (at least) → syslog priority; below the last: 7 (debug). */
const PRIORITIES: ReadonlyArray<readonly [number, number]> = [
  [60, 2],
  [50, 3],
  [40, 4],
  [30, 6],
];

export function syslogPriority(line: string): number {
  const level = Number(/^\{"level":(\d+)/.exec(line)?.[1] ?? 30);
  return PRIORITIES.find(([min]) => level >= min)?.[1] ?? 7;
}

export interface JournaldOptions {
  /** SYSLOG_IDENTIFIER of the lines. */
  identifier: string;
  /** Where the lines go when the journal cannot take them; opened only then. */
  fallback: () => NodeJS.WritableStream;
  /** systemd-cat and its options (a test names a journal namespace that does not exist). */
  command?: readonly string[];
}

/** A stream of pino lines into the journal, or into `fallback` (with a line saying why) when it cannot be reached. */
export function journaldDestination(o: JournaldOptions): NodeJS.WritableStream {
  const [cmd = 'systemd-cat', ...args] = o.command ?? [];
  const catArgs = [...args, `--identifier=${o.identifier}`];
  let fallback: NodeJS.WritableStream | null = null;
  const toFallback = (why: string) => {
    if (fallback) return;
    fallback = o.fallback();
    fallback.write(
      JSON.stringify({
        level: 40,
        time: Date.now(),
        name: o.identifier,
        msg: `the journal cannot take the log: ${why}; logging here instead`,
      }) + '\n',
    );
  };
  // Whether systemd-cat reaches journald at all, once, before any line depends on it (it runs `true`
  // with its output on a journal stream): a failure later is an exit, seen below.
  const probe = spawnSync(cmd, [...catArgs, 'true'], {
    stdio: ['ignore', 'ignore', 'pipe'],
    encoding: 'utf8',
    timeout: 10_000,
  });
  let cat: ReturnType<typeof spawn> | null = null;
  if (probe.status === 0) {
    // SIGTERM and SIGHUP ignored (kept across exec): the unit's stop signals every process in it, and
    // the daemon's last lines ("terminal stopped") must still get out. It ends when our end of the pipe closes.
    cat = spawn('sh', ['-c', `trap '' TERM HUP INT; exec "$@"`, 'sh', cmd, ...catArgs], {
      stdio: ['pipe', 'ignore', 'ignore'],
    });
    cat.on('error', (err) => toFallback(err.message));
    cat.on('exit', (code, signal) => toFallback(`systemd-cat ended (${signal ?? code})`));
    cat.stdin?.on('error', () => undefined); // the exit says why
    // Never what keeps the process alive.
    cat.unref();
    (cat.stdin as unknown as { unref(): void }).unref();
  } else {
    toFallback(`${cmd} failed: ${(probe.error?.message ?? probe.stderr.trim()) || `exit ${probe.status}`}`);
  }
  return new Writable({
    decodeStrings: false,
    write(line: string, _enc, done) {
      if (fallback || !cat?.stdin) must(fallback, 'the fallback log stream').write(line);
      else cat.stdin.write(`<${syslogPriority(line)}>${line}`);
      done();
    },
  });
}
