// The selftest's checks of the terminal's own set-up (issue 15): the journal's storage, kernel
// messages off tty1, the hardware watchdog, the boot target. Each failure says how to fix it.
// Every probe of the machine is injected, so tests give it the answers of a good and a bad Pi.
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { checkDataDirStorage, VOLATILE_FIX } from './data-dir-storage.ts';

export interface SystemCheck {
  name: string;
  ok: boolean;
  detail: string;
  fix?: string;
}

export interface SystemProbes {
  /** Why the data directory would not survive a reboot, or null. */
  storage: (dir: string) => string | null;
  /** /proc/sys/kernel/printk. */
  printk: () => Promise<string>;
  /** `systemctl` with these arguments: its stdout, or null when it cannot answer. */
  systemctl: (args: string[]) => Promise<string | null>;
}

export const systemProbes: SystemProbes = {
  storage: checkDataDirStorage,
  printk: () => readFile('/proc/sys/kernel/printk', 'utf8'),
  systemctl: (args) =>
    new Promise((resolve) => {
      execFile('systemctl', args, { encoding: 'utf8', timeout: 5000 }, (err, stdout) =>
        resolve(err ? null : stdout.trim()),
      );
    }),
};

const INSTALL = 'sudo systemd/install.sh (from the checkout) installs it';

export async function systemChecks(dataDir: string, p: SystemProbes = systemProbes): Promise<SystemCheck[]> {
  const out: SystemCheck[] = [];
  const storage = p.storage(dataDir);
  out.push(
    storage
      ? { name: 'journal storage', ok: false, detail: storage, fix: VOLATILE_FIX }
      : { name: 'journal storage', ok: true, detail: `${dataDir} survives a reboot` },
  );

  const level = Number((await p.printk().catch(() => '')).trim().split(/\s+/)[0]);
  // Messages print when their level is below this; under-voltage is KERN_CRIT (2).
  out.push(
    Number.isInteger(level) && level <= 2
      ? { name: 'console messages', ok: true, detail: `kernel console level ${level}: warnings stay off tty1` }
      : {
          name: 'console messages',
          ok: false,
          detail: `kernel console level ${Number.isNaN(level) ? 'unknown' : level}: the under-voltage warning would print over the sale`,
          fix: `/etc/sysctl.d/90-klubkort-console.conf (kernel.printk = 1 4 1 7), then sudo sysctl --system; ${INSTALL}`,
        },
  );

  const wd = await p.systemctl(['show', '--property=RuntimeWatchdogUSec', '--value']);
  out.push(
    wd && wd !== '0' && wd !== 'infinity'
      ? { name: 'hardware watchdog', ok: true, detail: `systemd pings it every ${wd} / 2` }
      : {
          name: 'hardware watchdog',
          ok: false,
          detail: wd === null ? 'systemd did not answer' : 'off (RuntimeWatchdogSec unset)',
          fix: `/etc/systemd/system.conf.d/klubkort-watchdog.conf, then sudo systemctl daemon-reexec; ${INSTALL}`,
        },
  );

  const target = await p.systemctl(['get-default']);
  out.push(
    target === 'multi-user.target'
      ? { name: 'boot target', ok: true, detail: 'multi-user.target: no desktop covers tty1' }
      : {
          name: 'boot target',
          ok: false,
          detail: `${target ?? 'unknown'}: a display manager may cover tty1`,
          fix: 'sudo systemctl set-default multi-user.target && sudo reboot',
        },
  );
  return out;
}
