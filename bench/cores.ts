// Which cores a case's processes run on. On a club's site the ledger and its broker are another
// machine's: here they get a core of their own, and the terminal (this process) the others, so a
// figure of the terminal against the ledger's pace is not one of two programs sharing two cores.
import { execFileSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import os from 'node:os';

export interface CoreSplit {
  /** How the cores were split, for a figure's note. */
  readonly note: string;
  /** Puts every thread of `pid` (and those it starts later) on the ledger's core. */
  ledger(pid: number): void;
  /** Gives this process its cores back. */
  restore(): void;
}

function taskset(cpus: string, pid: number): void {
  execFileSync('taskset', ['-a', '-pc', cpus, String(pid)], { stdio: 'ignore' });
}

/**
 * The last core for the ledger and broker, the rest for this process; null (everything shares
 * every core) on one core, without util-linux's taskset, or when the broker is in this process.
 */
export function splitCores(brokerPid: number | undefined): CoreSplit | null {
  const n = os.availableParallelism();
  if (n < 2 || brokerPid === undefined) return null;
  const all = `0-${n - 1}`;
  const ledgerCore = String(n - 1);
  try {
    taskset(n === 2 ? '0' : `0-${n - 2}`, process.pid);
    taskset(ledgerCore, brokerPid);
  } catch {
    try {
      taskset(all, process.pid);
    } catch {
      /* taskset missing: nothing was changed */
    }
    return null;
  }
  return {
    note: `ledger and broker on core ${ledgerCore}, the terminal on ${n === 2 ? 'core 0' : `cores 0–${n - 2}`}`,
    ledger: (pid) => taskset(ledgerCore, pid),
    restore: () => taskset(all, process.pid),
  };
}

/**
 * Puts every thread of each process at the lowest priority (nice 19), for a column where the
 * terminal may use every core: the ledger and brokers then take only the CPU the terminal leaves, as
 * another machine would take none of it. Threads started later inherit it from their creator.
 * Returns how it went, for a figure's note; raising a nice value needs no privilege.
 */
export function background(pids: readonly (number | undefined)[]): string {
  let threads = 0;
  for (const pid of pids) {
    if (pid === undefined) continue;
    let tids: string[];
    try {
      tids = readdirSync(`/proc/${pid}/task`);
    } catch {
      continue; // exited, or no /proc: left as it is
    }
    for (const tid of tids) {
      try {
        os.setPriority(Number(tid), 19);
        threads++;
      } catch {
        /* the thread ended meanwhile */
      }
    }
  }
  return `ledger and brokers at nice 19 (${threads} threads), the terminal at 0 on every core`;
}
