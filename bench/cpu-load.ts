// A process that keeps one core busy for a given share of the time, in 10 ms periods: what another
// program beside the ledger costs it on this machine, without that program's own work.
import { spawn } from 'node:child_process';

const PERIOD_MS = 10;

/** Starts the load; `share` of one core, 0–0.95. */
export function startCpuLoad(share: number): { stop(): Promise<void> } {
  const busy = Math.min(0.95, Math.max(0, share)) * PERIOD_MS;
  const body = `const s = new Int32Array(new SharedArrayBuffer(4));
    for (;;) { const t = performance.now(); while (performance.now() - t < ${busy}); Atomics.wait(s, 0, 0, ${PERIOD_MS - busy}); }`;
  const proc = spawn(process.execPath, ['-e', body], { stdio: 'ignore' });
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  return { stop: () => { proc.kill('SIGKILL'); return exited; } };
}
