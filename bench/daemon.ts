// The daemon as systemd runs it (`klubkort run --sim --headless …`, a child process): resident
// memory once it caches 10,000 cards and 1,000 photos, and start-up time with them cached, from
// spawn until its retained status says online. With `hardware: pi` the daemon has a second process,
// the PC/SC child (hal/pi/reader/pcsc-child.ts): its memory is given beside the daemon's.
import { fork } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CHILD_FLAGS } from '../hal/pi/reader/pcsc-proxy.ts';
import mqtt from 'mqtt';
import { DaemonProcess } from '../test/helpers/daemon-process.ts';
import { until } from '../test/helpers/until.ts';
import { serviceLaunch } from '../test/helpers/unit-file.ts';
import { topics } from '../contract/index.ts';
import { bigClub, publishClub, BIG_CLUB } from './club.ts';
import { CARDS, PHOTOS } from './card-sync.ts';
import { median, msSince, now, type Figure } from './stats.ts';
import { startBenchBroker, using, type BenchLog } from './world.ts';

const TERMINAL = 'bench-daemon';
const RESTARTS = 5;
/**
 * After the cache is full, how long the daemon idles before its memory is read. V8 collects the
 * sync's garbage (the photos' buffers, ~40 MB) only when its memory reducer sees the process idle,
 * ~10 s later: a terminal spends its day like that, so the figure is read at the end.
 */
const SETTLE_MS = 30_000;
const EARLY_MS = 5_000;

/** Resident memory of a process in MB, from /proc: all of it, its peak, and the part that is its own (not file pages such as the node binary). */
function memory(pid: number): { rss: number; peak: number; anon: number; file: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const mb = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN) / 1024;
  return { rss: mb('VmRSS'), peak: mb('VmHWM'), anon: mb('RssAnon'), file: mb('RssFile') };
}

/** Memory `EARLY_MS` after now and at `SETTLE_MS`. */
async function settledMemory(pid: number) {
  await new Promise((r) => setTimeout(r, EARLY_MS));
  const early = memory(pid);
  await new Promise((r) => setTimeout(r, SETTLE_MS - EARLY_MS));
  return { early, settled: memory(pid) };
}

/** Watches the retained status topic; `online()` resolves at the next "online" after it is called. */
async function statusWatcher(url: string) {
  const c = await mqtt.connectAsync(url, { clientId: `bench-status-${process.pid}` });
  let waiter: ((at: bigint) => void) | null = null;
  c.on('message', (_t, payload) => {
    const at = now();
    if (waiter && (JSON.parse(payload.toString()) as { state?: string }).state === 'online') {
      waiter(at);
      waiter = null;
    }
  });
  await c.subscribeAsync(topics.status(TERMINAL), { qos: 1 });
  return {
    online: () =>
      new Promise<bigint>((resolve) => {
        waiter = resolve;
      }),
    close: () => c.endAsync(),
  };
}

/** The built PC/SC child as the daemon forks it (flags, the unit's environment), idle without a reader: its memory. */
async function pcscChildMemory(env: Record<string, string>) {
  const entry = join(process.cwd(), 'dist/pcsc-child.js');
  if (!existsSync(entry)) throw new Error(`${entry} missing: npm run build`);
  const child = fork(entry, [], { execArgv: CHILD_FLAGS, env: { ...process.env, ...env }, stdio: 'ignore' });
  try {
    await new Promise((r) => setTimeout(r, EARLY_MS));
    return memory(child.pid!);
  } finally {
    child.kill('SIGKILL');
  }
}

export async function daemonFootprint(dir: string, _log: BenchLog): Promise<Figure[]> {
  return using(async (defer) => {
    const broker = await startBenchBroker();
    defer(() => broker.close());
    await publishClub(broker.url, bigClub(CARDS, PHOTOS));
    const status = await statusWatcher(broker.url);
    defer(() => status.close());
    // As systemd starts it: the unit's Node flags and malloc settings.
    const launch = serviceLaunch();
    const spawn = (clubId = BIG_CLUB, dataDir = join(dir, TERMINAL)) => {
      mkdirSync(dataDir, { recursive: true });
      const d = DaemonProcess.spawn({
        launch,
        brokerUrl: broker.url,
        terminalId: TERMINAL,
        clubId,
        dataDir,
        config: { logLevel: 'info' },
      });
      defer(() => d.kill('SIGKILL'));
      return d;
    };

    // For reference: the same daemon for a club with nothing in it.
    const empty = spawn('bench-empty', join(dir, 'empty'));
    await status.online();
    const { settled: idle } = await settledMemory(empty.proc.pid!);
    await empty.kill('SIGTERM');

    // First start: a fresh journal fills with the club.
    const first = spawn();
    await status.online();
    await until(
      async () => (await first.status().catch(() => null))?.cards === CARDS,
      `${CARDS} cards cached by the daemon`,
      120_000,
    );
    const { early, settled: mem } = await settledMemory(first.proc.pid!);
    await first.kill('SIGTERM');

    // Restarts with everything cached: spawn → retained status online.
    const starts: number[] = [];
    for (let i = 0; i < RESTARTS; i++) {
      const online = status.online();
      const t0 = now();
      const d = spawn();
      starts.push(msSince(t0, await online));
      await d.kill('SIGTERM');
    }
    const pcsc = await pcscChildMemory(launch.env);
    return [
      {
        id: 'daemon_rss_empty',
        label: 'daemon resident memory, empty club (reference)',
        unit: 'MB',
        value: idle.rss,
        note: `${idle.anon.toFixed(0)} MB anonymous + ${idle.file.toFixed(0)} MB file pages; Node and the dependencies before any data`,
      },
      {
        id: 'daemon_rss',
        label: `daemon resident memory with ${CARDS} cards + ${PHOTOS} photos cached`,
        unit: 'MB',
        value: mem.rss,
        target: '< 80 MB',
        met: mem.rss < 80,
        note:
          `VmRSS ${SETTLE_MS / 1000} s after the cache filled: ${mem.anon.toFixed(0)} MB anonymous + ${mem.file.toFixed(0)} MB file pages (the node binary); ` +
          `${early.rss.toFixed(0)} MB after ${EARLY_MS / 1000} s (sync garbage not yet collected); peak (VmHWM) ${Math.max(mem.peak, early.rss).toFixed(0)} MB; node ${launch.nodeArgs.join(' ')} with the unit's environment`,
      },
      {
        id: 'pcsc_child_rss',
        label: 'PC/SC child process (hardware pi only), idle',
        unit: 'MB',
        value: pcsc.rss,
        note:
          `${pcsc.anon.toFixed(0)} MB anonymous (its own) + ${pcsc.file.toFixed(0)} MB file pages, mostly the node binary the daemon maps too; ` +
          `node ${CHILD_FLAGS.join(' ')}; not in the figure above (the sim daemon has no child)`,
      },
      {
        id: 'daemon_startup',
        label: `daemon start-up to online, ${CARDS} cards cached`,
        unit: 'ms',
        value: median(starts),
        note: `median of ${RESTARTS} starts, spawn → retained status "online" (${starts.map((s) => s.toFixed(0)).join(', ')} ms)`,
      },
    ];
  });
}
