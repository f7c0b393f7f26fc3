// A built klubkort card image booted in qemu-system-aarch64 -M virt (issue 30): the image's own
// kernel and initrd (taken from its FAT boot partition with mtools, no loop device), its own
// cmdline.txt with the serial console for this machine, a virtio disk, a virtio GPU for the kiosk,
// and user-mode networking restricted to forwarding one address to a port on this machine's loopback.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { basename, join } from 'node:path';

const SECTOR = 512;

/** The byte offsets of the image's partitions (sfdisk's JSON). */
export function partitions(img: string): { start: number; size: number }[] {
  const t = JSON.parse(execFileSync('sfdisk', ['--json', img], { encoding: 'utf8' })) as {
    partitiontable: { partitions: { start: number; size: number }[] };
  };
  return t.partitiontable.partitions.map((p) => ({ start: p.start * SECTOR, size: p.size * SECTOR }));
}

/** mtools' image@@offset for the FAT boot partition. */
export const bootFat = (img: string): string => `${img}@@${partitions(img)[0]!.start}`;

export const mtype = (img: string, path: string): string =>
  execFileSync('mtype', ['-i', bootFat(img), `::/${path}`], { encoding: 'utf8' });
export const mdir = (img: string, path = ''): string[] =>
  execFileSync('mdir', ['-b', '-i', bootFat(img), `::/${path}`], { encoding: 'utf8' })
    .split('\n')
    .filter(Boolean)
    .map((l) => l.replace(/^::\//, '').replace(new RegExp(`^${path}/?`), ''));

/** Copies `dir` (named klubkort) onto the boot partition (what a technician's PC does), replacing one there. */
export function putBootDir(img: string, dir: string): void {
  if (basename(dir) !== 'klubkort') throw new Error(`${dir}: the first-boot directory is named klubkort`);
  try {
    execFileSync('mdeltree', ['-i', bootFat(img), '::/klubkort'], { stdio: 'ignore' });
  } catch {
    /* none there */
  }
  execFileSync('mcopy', ['-s', '-i', bootFat(img), dir, '::/']);
}

/** The kernel and initrd config.txt names, copied out of the boot partition into `dir`. */
export function kernelFiles(img: string, dir: string): { kernel: string; initrd: string; cmdline: string } {
  const config = mtype(img, 'config.txt');
  const kernelName = /^kernel=(\S+)/m.exec(config)?.[1];
  const initrdName = /^initramfs (\S+)/m.exec(config)?.[1];
  if (!kernelName || !initrdName) throw new Error(`config.txt names no kernel and initramfs:\n${config}`);
  const kernel = join(dir, 'vmlinuz'),
    initrd = join(dir, 'initrd.img');
  execFileSync('mcopy', ['-n', '-i', bootFat(img), `::/${kernelName}`, kernel]);
  execFileSync('mcopy', ['-n', '-i', bootFat(img), `::/${initrdName}`, initrd]);
  return { kernel, initrd, cmdline: mtype(img, 'cmdline.txt').trim() };
}

export interface VmOptions {
  img: string;
  dir: string;
  /** The guest's 10.0.2.100:1883 reaches 127.0.0.1:brokerPort here. */
  brokerPort: number;
  /** More of the same: the guest's 10.0.2.100:<key> reaches 127.0.0.1:<value>. Nothing else is reachable. */
  forwards?: Record<number, number>;
  /** Appended to the image's own cmdline. */
  append?: string;
}

export class Vm {
  readonly serialLog: string;
  readonly monitor: string;
  #proc: ChildProcess | null = null;
  #exited: Promise<number | null> = Promise.resolve(null);

  constructor(
    private readonly o: VmOptions,
    readonly name: string,
  ) {
    this.serialLog = join(o.dir, `${name}.serial.log`);
    this.monitor = join(o.dir, `${name}.monitor.sock`);
  }

  start(): void {
    const k = kernelFiles(this.o.img, this.o.dir);
    // The Pi's serial0 is the PL011 ttyAMA0 here too; the last console= is the one systemd writes to.
    const cmdline = `${k.cmdline.replace(/console=serial0,\d+\s*/, '')} console=ttyAMA0 ${this.o.append ?? ''}`.trim();
    const fwd = join(this.o.dir, 'fwd.cjs');
    // Each guest connection to a forwarded port spawns this, piped to the port on this machine's loopback.
    writeFileSync(
      fwd,
      `const s=require('net').connect(Number(process.argv[2]),'127.0.0.1');process.stdin.pipe(s);s.pipe(process.stdout);s.on('close',()=>process.exit(0));s.on('error',()=>process.exit(1));\n`,
    );
    const forwards = Object.entries({ 1883: this.o.brokerPort, ...this.o.forwards }).map(
      ([guest, host]) => `guestfwd=tcp:10.0.2.100:${guest}-cmd:${process.execPath} ${fwd} ${host}`,
    );
    const args = [
      '-M',
      'virt',
      '-cpu',
      'cortex-a72',
      '-smp',
      '2',
      '-m',
      '2048',
      '-display',
      'none',
      '-kernel',
      k.kernel,
      '-initrd',
      k.initrd,
      '-append',
      cmdline,
      '-drive',
      `if=virtio,format=raw,file=${this.o.img}`,
      '-netdev',
      ['user', 'id=n0', 'restrict=on', ...forwards].join(','),
      '-device',
      'virtio-net-pci,netdev=n0',
      '-device',
      'virtio-gpu-pci,xres=800,yres=480',
      '-device',
      'virtio-keyboard-pci',
      '-serial',
      `file:${this.serialLog}`,
      '-monitor',
      `unix:${this.monitor},server,nowait`,
      '-no-reboot',
    ];
    writeFileSync(join(this.o.dir, `${this.name}.qemu-args`), args.join('\n'));
    const p = spawn('qemu-system-aarch64', args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    p.stderr!.on('data', (d: Buffer) => {
      stderr = (stderr + d.toString()).slice(-4000);
    });
    this.#exited = new Promise((resolve) =>
      p.once('exit', (code) => {
        if (code) writeFileSync(join(this.o.dir, `${this.name}.qemu-stderr`), stderr);
        resolve(code);
      }),
    );
    this.#proc = p;
  }

  serial(): string {
    try {
      return readFileSync(this.serialLog, 'utf8');
    } catch {
      return '';
    }
  }

  /** One QEMU monitor command (screendump, system_reset, quit…). */
  async command(cmd: string): Promise<string> {
    return new Promise((resolve, reject) => {
      const s = net.connect(this.monitor);
      let out = '';
      s.on('data', (d) => {
        out += d.toString();
        if (out.includes('(qemu)') && out.split('(qemu)').length > 2) s.end();
      });
      s.once('connect', () => s.write(`${cmd}\n`));
      s.once('error', reject);
      s.once('close', () => resolve(out));
      setTimeout(() => s.end(), 5000);
    });
  }

  async screendump(file: string): Promise<void> {
    await this.command(`screendump ${file}`);
  }

  /** Power cut: QEMU ends at once (no shutdown of the guest). */
  async kill(): Promise<void> {
    if (!this.#proc) return;
    this.#proc.kill('SIGKILL');
    await this.#exited;
    this.#proc = null;
  }
}
