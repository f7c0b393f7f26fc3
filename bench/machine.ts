// What the figures were measured on: they mean little without the machine.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import os from 'node:os';

export interface Machine {
  nproc: number;
  cpu: string;
  ramGiB: number;
  node: string;
  os: string;
  disk: string;
  broker: string;
}

function cpuModel(): string {
  const m = /^model name\s*:\s*(.+)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'));
  return m?.[1]?.trim() ?? os.cpus()[0]?.model ?? 'unknown';
}

/** The filesystem holding `dir`: device, type and size, as `df` sees it. */
function disk(dir: string): string {
  try {
    const [, row] = execFileSync('df', ['-T', '-h', dir], { encoding: 'utf8' }).trim().split('\n');
    const [dev, type, size] = row.split(/\s+/);
    return `${dev} (${type}, ${size})`;
  } catch {
    return 'unknown';
  }
}

export function describeMachine(dataDir: string, broker: string): Machine {
  return {
    nproc: os.availableParallelism(),
    cpu: cpuModel(),
    ramGiB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    node: process.version,
    os: `${os.type()} ${os.release()}`,
    disk: disk(dataDir),
    broker,
  };
}
