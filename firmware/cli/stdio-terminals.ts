// Node 20 restores the modes of the terminals its stdio started on when it exits, and aborts when
// it cannot (nodejs/node#51519): a terminal that hung up (foot closed) makes any exit a SIGABRT,
// with the last log lines lost. A hung-up terminal is no terminal any more to isatty() (its
// tcgetattr fails with EIO), which tells the daemon to end as a hung-up process does instead.
import { isatty } from 'node:tty';

export interface StdioTerminals {
  /** One of the stdio terminals the process had when this was made is gone. */
  gone(): boolean;
}

export function stdioTerminals(tty: (fd: number) => boolean = isatty): StdioTerminals {
  const started = [0, 1, 2].filter((fd) => tty(fd));
  return { gone: () => started.some((fd) => !tty(fd)) };
}

/** How the daemon's process ends once its stop is done. */
export interface ProcessEnd {
  /** Exit with this code; or, if a terminal of its stdio hung up, end as a hung-up process. */
  exit(code: number): void;
  /** End by SIGHUP, as a process whose terminal hung up does (systemd counts it as a signal, not a crash). */
  hangUp(): void;
}

export function processEnd(ttys: StdioTerminals = stdioTerminals(), proc: NodeJS.Process = process): ProcessEnd {
  const hangUp = () => {
    // The daemon's own SIGHUP handler would start a stop again instead of ending.
    proc.removeAllListeners('SIGHUP');
    proc.kill(proc.pid, 'SIGHUP');
  };
  return { hangUp, exit: (code) => (ttys.gone() ? hangUp() : proc.exit(code)) };
}
