// `systemd/install.sh --root DIR` and then, in DIR, the steps it only prints with --root (the user,
// ownership, the units' links): how an image (scripts/image.ts) and the container tests lay klubkort
// out in a Debian root exactly as install.sh does it on a machine.
import { execFileSync } from 'node:child_process';
import { cpSync, readFileSync, rmSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';

export const INSTALL_SH = 'systemd/install.sh';

/** A shell function (and the arrays it reads) from install.sh, to run in the root as install.sh would on the machine. */
function installShFunction(name: string, installSh = INSTALL_SH): string {
  const text = readFileSync(installSh, 'utf8');
  const arrays = text.match(/^[a-z_]+=\([^)]*\)$/gm) ?? [];
  const body = new RegExp(`^${name}\\(\\) \\{\\n[\\s\\S]*?^\\}$`, 'm').exec(text)?.[0];
  if (!body) throw new Error(`${installSh}: no function ${name}`);
  return [...arrays, body, name].join('\n');
}

/**
 * install.sh --root (ARGS), then what it prints instead of doing: the user, ownership and the units'
 * links, in the root. `inRoot`: install.sh runs chrooted with the root's own Node (`--root /`), for a
 * root of another architecture, whose bundle's addons this machine's Node cannot load (ARGS then
 * name paths inside the root).
 */
export function layOut(
  root: string,
  args: string[],
  log: (line: string) => void,
  o: { installSh?: string; inRoot?: boolean } = {},
): void {
  const installSh = o.installSh ?? INSTALL_SH;
  let out: string;
  if (o.inRoot) {
    const inside = '/tmp/klubkort-install';
    cpSync(dirname(installSh), join(root, inside, 'systemd'), { recursive: true });
    try {
      out = execFileSync(
        'chroot',
        [root, 'bash', join(inside, 'systemd', basename(installSh)), '--root', '/', ...args],
        { encoding: 'utf8' },
      );
    } finally {
      rmSync(join(root, inside), { recursive: true, force: true });
    }
  } else {
    out = execFileSync(installSh, ['--root', root, ...args], { encoding: 'utf8' });
  }
  for (const [, found] of out.matchAll(/^install: skipped \(--root\): (.+)$/gm)) {
    const step = found ?? '';
    if (/^systemctl (set-default|mask|enable) /.test(step)) {
      execFileSync(
        'systemctl',
        [
          `--root=${root}`,
          ...step
            .split(' ')
            .slice(1)
            .filter((a) => a !== '--now'),
        ],
        { stdio: 'ignore' },
      );
    } else if (step === 'create_user') {
      execFileSync('chroot', [root, 'bash', '-c', installShFunction('create_user', installSh)]);
    } else if (/^chown /.test(step)) {
      execFileSync('chroot', [root, ...step.split(' ')]);
    } else {
      log(`not in a root: ${step}`); // packages (in the root already), npm ci (the caller's), kernel, udev, reloads
    }
  }
}
