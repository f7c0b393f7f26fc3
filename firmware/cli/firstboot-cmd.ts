// `klubkort firstboot [--boot-dir DIR] [--root DIR]`: klubkort-firstboot.service on the image runs it
// as root before the till starts (firmware/firstboot/firstboot.ts). Exit 0: nothing to do or done;
// 1: the files are wrong (said on the console and in ERROR.txt beside them); 64 usage.
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { BOOT_DIR } from './provision/boot-files.ts';
import { firstBoot, type FirstBootSystem } from '../firstboot/firstboot.ts';

const USAGE = `usage: klubkort firstboot [--boot-dir DIR] [--root DIR]
Takes in the first-boot directory (default ${BOOT_DIR}) written by klubkort provision --boot-dir:
config, certificates and release keys to /etc/klubkort, ssh key, Wi-Fi, time servers, hostname;
then removes it from the boot partition. The image's klubkort-firstboot.service runs it.`;

/** The running machine's side of a first boot; with --root (an image, a test) only the files. */
function system(root: string): FirstBootSystem {
  const live = root === '/';
  const run = (cmd: string, ...args: string[]) => execFileSync(cmd, args, { stdio: ['ignore', 'inherit', 'inherit'] });
  const enable = (unit: string) => {
    run('systemctl', ...(live ? [] : [`--root=${root}`]), 'enable', unit);
    if (live) run('systemctl', 'start', '--no-block', unit);
  };
  return {
    // The kernel's hostname now; /etc/hostname (written by firstBoot) from the next boot on.
    setHostname: (name) => {
      if (live) writeFileSync('/proc/sys/kernel/hostname', name);
    },
    enableSsh: () => {
      run('ssh-keygen', '-A', ...(live ? [] : ['-f', root]));
      enable('ssh.service');
    },
    enableWifi: () => enable('wpa_supplicant@wlan0.service'),
  };
}

export function firstbootCommand(argv: string[]): number {
  let values;
  try {
    values = parseArgs({
      args: argv,
      options: {
        'boot-dir': { type: 'string', default: BOOT_DIR },
        root: { type: 'string', default: '/' },
        help: { type: 'boolean', short: 'h' },
      },
    }).values;
  } catch (e) {
    process.stderr.write(`klubkort firstboot: ${(e as Error).message}\n${USAGE}\n`);
    return 64;
  }
  if (values.help) {
    process.stdout.write(USAGE + '\n');
    return 0;
  }
  const r = firstBoot({
    bootDir: values['boot-dir'],
    root: values.root,
    system: system(values.root),
    say: (l) => process.stdout.write(l + '\n'),
  });
  if (r.status === 'absent') process.stdout.write(`klubkort firstboot: no ${values['boot-dir']}: nothing to set up\n`);
  return r.status === 'failed' ? 1 : 0;
}
