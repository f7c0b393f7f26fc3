// klubkort.service runs the daemon inside a kiosk: cage (the unit's main process) runs foot, and
// foot runs the daemon on its terminal. The unit says so with KLUBKORT_KIOSK=1. Two things follow,
// both of which would be wrong for a daemon started by hand: the watchdog systemd set for cage
// (WATCHDOG_PID) is the daemon's to feed (notify.ts), and its log lines go to the journal, as
// foot's terminal (stdin, stdout and stderr) is the cashier's screen (journald.ts).
import { readFileSync } from 'node:fs';

export const KIOSK_ENV = 'KLUBKORT_KIOSK';

export function inKiosk(env: NodeJS.ProcessEnv): boolean {
  return env[KIOSK_ENV] === '1';
}

/** A process and a way to look up parents: /proc here, a table in a test. */
export interface ProcessTree {
  readonly pid: number;
  /** The parent's pid, or null when the process is gone (or has none). */
  parentOf(pid: number): number | null;
}

export const procTree: ProcessTree = {
  pid: process.pid,
  parentOf(pid) {
    try {
      // "pid (comm) state ppid …": comm may hold spaces and parentheses, so read after the last ')'.
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      return Number.isSafeInteger(ppid) && ppid > 0 ? ppid : null;
    } catch {
      return null;
    }
  },
};

/** Whether `ancestor` started this process, directly or through others (cage → foot → node). */
export function isAncestor(tree: ProcessTree, ancestor: number): boolean {
  let pid: number | null = tree.pid;
  // Bounded: a chain deeper than this is no kiosk (and a table in a test may loop).
  for (let depth = 0; depth < 64 && pid !== null && pid > 1; depth++) {
    pid = tree.parentOf(pid);
    if (pid === ancestor) return true;
  }
  return false;
}
