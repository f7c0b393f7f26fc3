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
