// sd_notify for the daemon under systemd (Type=notify): READY=1 once serving, WATCHDOG=1 every
// WATCHDOG_USEC/2, STOPPING=1 on stop; nothing at all when NOTIFY_SOCKET is unset.
//
// NOTIFY_SOCKET is a unix *datagram* socket, which Node cannot open (node:dgram is UDP only,
// node:net is stream only). The alternatives: the `sd-notify` npm package needs a native build;
// running `systemd-notify` per message races systemd, which looks up a short-lived sender's cgroup
// after it has exited and then drops the message. So one long-lived python3 helper (present on
// Raspberry Pi OS) forwards each line written to its stdin as one datagram. It sends nothing by
// itself: the pings come from a timer on this process's event loop, so a blocked loop stops them
// and systemd restarts the service. The helper is not the main process: the unit needs
// NotifyAccess=all. It exits when our end of the pipe closes, also when we crash; the unit's stop
// (SIGTERM to every process of the unit) leaves it running, so STOPPING=1 still gets out.
//
// Whose messages: systemd gives the main process NOTIFY_SOCKET, WATCHDOG_USEC and WATCHDOG_PID (its
// own pid), and every child inherits them. In klubkort.service the main process is cage, the daemon
// its grandchild (cage → foot → node), so WATCHDOG_PID names cage: the daemon feeds the watchdog for
// it when the unit says the daemon runs in its kiosk (KLUBKORT_KIOSK=1, kiosk.ts) and cage is indeed
// its ancestor. Anywhere else a WATCHDOG_PID that is not ours means the variables were inherited from
// another service (a daemon started in a shell of it): nothing is sent, neither READY nor pings.
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import type { Logger } from '../log.ts';
import { inKiosk, isAncestor, procTree, type ProcessTree } from './kiosk.ts';

export interface Notifier {
  /** True when messages go to systemd (NOTIFY_SOCKET set). */
  readonly active: boolean;
  /** READY=1, and the watchdog pings start if systemd asked for them. */
  ready(status?: string): void;
  /** The watchdog pings start (if systemd asked for them) before READY=1: the health gate may take a while. */
  watchdog(): void;
  stopping(): void;
  /** Stops the pings and lets the helper exit. */
  close(): void;
}

// One JSON string per line in, one datagram out; "@name" is an abstract socket address.
const HELPER = `
import json, os, signal, socket, sys
signal.signal(signal.SIGTERM, signal.SIG_IGN)
signal.signal(signal.SIGHUP, signal.SIG_IGN)
addr = os.environ["NOTIFY_SOCKET"]
if addr.startswith("@"):
    addr = "\\0" + addr[1:]
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
while True:
    line = sys.stdin.buffer.readline()
    if not line:
        break
    try:
        s.sendto(json.loads(line).encode(), addr)
    except Exception as e:
        print("sd_notify failed: %s" % e, file=sys.stderr, flush=True)
`;
import { must } from '../../lib/must.ts';
import type { Intervals, TimerHandle } from '../../lib/timers.ts';

const NOTIFY_VARS = ['NOTIFY_SOCKET', 'WATCHDOG_USEC', 'WATCHDOG_PID'] as const;

/**
 * systemd's variables for this process, taken out of its environment (as sd_notify's
 * unset_environment does) and returned with the rest of it. A child that inherited them would
 * speak for the unit (NotifyAccess=all): a timedatectl that fails sends ERRNO=112, for one.
 */
export function takeNotifyEnv(env: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  const taken = { ...env };
  for (const k of NOTIFY_VARS) delete env[k];
  return taken;
}

/**
 * For whom systemd's variables are: `self` (WATCHDOG_PID is this process, or unset as without a
 * watchdog), `kiosk` (it is the unit's kiosk that runs this daemon), `other` (inherited: not ours).
 */
export function notifyOwner(env: NodeJS.ProcessEnv, tree: ProcessTree = procTree): 'self' | 'kiosk' | 'other' {
  if (env.WATCHDOG_PID === undefined) return 'self';
  const pid = Number(env.WATCHDOG_PID);
  if (pid === tree.pid) return 'self';
  return inKiosk(env) && Number.isSafeInteger(pid) && pid > 1 && isAncestor(tree, pid) ? 'kiosk' : 'other';
}

/** Half of WATCHDOG_USEC in ms, or null when systemd asked for no watchdog. */
function halfWatchdogMs(env: NodeJS.ProcessEnv): number | null {
  const usec = Number(env.WATCHDOG_USEC);
  return Number.isSafeInteger(usec) && usec > 0 ? Math.max(1, Math.floor(usec / 2000)) : null;
}

/** The ping interval systemd asked for, in ms, or null (no watchdog, or it is meant for another process). */
export function watchdogIntervalMs(env: NodeJS.ProcessEnv, tree: ProcessTree = procTree): number | null {
  return notifyOwner(env, tree) === 'other' ? null : halfWatchdogMs(env);
}

const inactive: Notifier = { active: false, ready() {}, watchdog() {}, stopping() {}, close() {} };

export function createNotifier(
  log: Logger,
  timers: Intervals,
  env: NodeJS.ProcessEnv = process.env,
  tree: ProcessTree = procTree,
): Notifier {
  const socket = env.NOTIFY_SOCKET;
  if (!socket) return inactive;
  const owner = notifyOwner(env, tree);
  if (owner === 'other') {
    log.warn(
      { watchdogPid: env.WATCHDOG_PID },
      "NOTIFY_SOCKET and the watchdog are another process's (inherited): nothing sent to systemd",
    );
    return inactive;
  }
  const interval = halfWatchdogMs(env);
  let helper: ChildProcess | null = spawn('python3', ['-c', HELPER], {
    stdio: ['pipe', 'ignore', 'pipe'],
    env: { NOTIFY_SOCKET: socket, PATH: env.PATH ?? '/usr/bin:/bin' },
  });
  helper.on('error', (err) => {
    log.error(
      { err: err.message },
      'sd_notify helper (python3) could not run: systemd gets no READY or watchdog pings',
    );
    helper = null;
  });
  helper.on('exit', (code) => {
    if (helper) log.error({ code }, 'sd_notify helper exited');
    helper = null;
  });
  must(helper.stdin, 'the piped stdin').on('error', () => undefined); // reported by 'exit'
  createInterface({ input: must(helper.stderr, 'the piped stderr') }).on('line', (line) =>
    log.warn({ helper: line }, 'sd_notify'),
  );
  let timer: TimerHandle | null = null;

  const send = (msg: string) => {
    helper?.stdin?.write(JSON.stringify(msg) + '\n');
  };
  const watchdog = () => {
    if (interval === null || timer) return;
    log.info({ intervalMs: interval, owner, watchdogPid: env.WATCHDOG_PID }, 'systemd watchdog pings on');
    // Not unref'd on purpose: it must keep firing as long as the loop runs.
    timer = timers.setInterval(() => send('WATCHDOG=1'), interval);
  };
  return {
    active: true,
    ready(status) {
      send(status ? `READY=1\nSTATUS=${status}` : 'READY=1');
      watchdog();
    },
    watchdog,
    stopping() {
      send('STOPPING=1');
    },
    close() {
      if (timer) timers.clearInterval(timer);
      timer = null;
      const h = helper;
      helper = null;
      h?.stdin?.end();
    },
  };
}
