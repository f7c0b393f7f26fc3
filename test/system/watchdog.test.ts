// sd_notify as systemd sees it: a real daemon child process with NOTIFY_SOCKET pointing at a unix
// datagram socket of ours (received by python3, as Node cannot) and a short WATCHDOG_USEC.
import test from 'ava';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { startMosquitto } from '../helpers/mosquitto.ts';
import { until } from '../helpers/until.ts';
import { createNotifier, notifyOwner, takeNotifyEnv, watchdogIntervalMs } from '../../firmware/systemd/notify.ts';
import type { ProcessTree } from '../../firmware/systemd/kiosk.ts';
import { createLogger } from '../../firmware/log.ts';

const WATCHDOG_USEC = 200_000; // pings every 100 ms
const RECEIVER = `
import json, socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
print(json.dumps("listening"), flush=True)
while True:
    print(json.dumps(s.recv(4096).decode()), flush=True)
`;
import { systemTimers } from '../../lib/timers.ts';
// Test-only, loaded into the child with --import: SIGUSR2 blocks its event loop for good.
const BLOCK_HOOK =
  'data:text/javascript,process.on("SIGUSR2",()=>{process.stderr.write("event loop blocked\\n");for(;;){}})';

class Receiver {
  readonly messages: string[] = [];
  #waiters = new Set<() => void>();
  private constructor(readonly proc: ChildProcess) {}

  static async start(path: string): Promise<Receiver> {
    const r = new Receiver(spawn('python3', ['-c', RECEIVER, path], { stdio: ['ignore', 'pipe', 'inherit'] }));
    createInterface({ input: r.proc.stdout! }).on('line', (l) => {
      r.messages.push(JSON.parse(l) as string);
      for (const w of r.#waiters) w();
    });
    await r.until(() => r.messages.includes('listening'), 'receiver listening');
    return r;
  }

  count(msg: string): number {
    return this.messages.filter((m) => m === msg).length;
  }

  until(pred: () => boolean, what: string, ms = 20000): Promise<void> {
    return new Promise((resolve, reject) => {
      const check = () => {
        if (pred()) {
          done();
          resolve();
        }
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error(`timed out waiting for ${what}; got ${JSON.stringify(this.messages.slice(-5))}`));
      }, ms);
      const done = () => {
        clearTimeout(timer);
        this.#waiters.delete(check);
      };
      this.#waiters.add(check);
      check();
    });
  }
}

async function setup(t: import('ava').ExecutionContext, nodeArgs: string[] = []) {
  const dir = mkdtempSync(join(tmpdir(), 'klubkort-wd-'));
  const broker = await startMosquitto();
  const receiver = await Receiver.start(join(dir, 'notify.sock'));
  const child = spawn(
    process.execPath,
    [
      ...nodeArgs,
      'bin/klubkort.js',
      'run',
      '--sim',
      '--headless',
      '--broker',
      broker.url,
      '--terminal-id',
      'wd-1',
      '--club-id',
      'demo-klub',
      '--data-dir',
      join(dir, 'data'),
    ],
    {
      env: { ...process.env, NOTIFY_SOCKET: join(dir, 'notify.sock'), WATCHDOG_USEC: String(WATCHDOG_USEC) },
      stdio: ['ignore', 'ignore', 'pipe'],
    },
  );
  let stderr = '';
  child.stderr!.on('data', (c: Buffer) => {
    stderr += c.toString();
  });
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  t.teardown(async () => {
    if (child.exitCode === null) child.kill('SIGKILL');
    receiver.proc.kill('SIGKILL');
    await broker.close();
    rmSync(dir, { recursive: true, force: true });
  });
  return { child, receiver, exited, dataDir: join(dir, 'data'), stderr: () => stderr };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

test('READY=1 once serving, WATCHDOG=1 pings while running, STOPPING=1 on SIGTERM', async (t) => {
  const { child, receiver, exited } = await setup(t);
  await receiver.until(() => receiver.messages.some((m) => m.startsWith('READY=1')), 'READY=1');
  t.true(receiver.messages.some((m) => m === 'READY=1\nSTATUS=terminal wd-1'));
  // The pings may start before READY=1 (notify.ts: the health gate may take a while); they go on after it.
  const readyAt = receiver.messages.findIndex((m) => m.startsWith('READY=1'));
  await receiver.until(
    () => receiver.messages.slice(readyAt).filter((m) => m === 'WATCHDOG=1').length >= 3,
    'three watchdog pings after READY',
  );
  child.kill('SIGTERM');
  await receiver.until(() => receiver.messages.includes('STOPPING=1'), 'STOPPING=1');
  t.is(await exited, 0);
});

test('a blocked event loop stops the pings (systemd then restarts the service)', async (t) => {
  const { child, receiver, stderr } = await setup(t, ['--import', BLOCK_HOOK]);
  await receiver.until(() => receiver.count('WATCHDOG=1') >= 3, 'three watchdog pings');
  child.kill('SIGUSR2');
  await until(() => stderr().includes('event loop blocked'), 'the loop to block');
  // Pings already written may still be on their way through the helper: let them arrive.
  await sleep((5 * WATCHDOG_USEC) / 2000);
  const before = receiver.count('WATCHDOG=1');
  await sleep((20 * WATCHDOG_USEC) / 2000); // twenty ping intervals
  t.is(receiver.count('WATCHDOG=1'), before, 'no ping while the loop is blocked');
  t.true(child.exitCode === null, 'the process is alive: only its loop is stuck');
});

test('`klubkort status` asks the running daemon: readable lines, or JSON with --json', async (t) => {
  const { receiver, dataDir } = await setup(t);
  await receiver.until(() => receiver.messages.some((m) => m.startsWith('READY=1')), 'READY=1');
  const status = (...args: string[]) =>
    execFileSync(process.execPath, ['bin/klubkort.js', 'status', '--data-dir', dataDir, ...args], { encoding: 'utf8' });
  const text = status();
  t.regex(text, /^terminal +wd-1$/m);
  t.regex(text, /^reader +ready$/m);
  t.regex(text, /^queue +empty/m);
  t.like(JSON.parse(status('--json')), { terminalId: 'wd-1', reader: 'ready', queue: 0 });
});

test('outside systemd (no NOTIFY_SOCKET) nothing is sent and nothing is started', (t) => {
  const n = createNotifier(createLogger({ level: 'silent' }), systemTimers, {});
  t.false(n.active);
  n.ready();
  n.stopping();
  n.close();
  t.pass();
});

test("the ping interval is half of WATCHDOG_USEC, for this process or, in the kiosk, for the cage that runs it; never for another's", (t) => {
  // The kiosk: node 42, its parent foot 41, cage 40 (the unit's main process), systemd 1.
  const parents: Record<number, number> = { 42: 41, 41: 40, 40: 1 };
  const node: ProcessTree = { pid: 42, parentOf: (pid) => parents[pid] ?? null };
  const usec = { WATCHDOG_USEC: '30000000' };
  t.is(watchdogIntervalMs(usec, node), 15000);
  t.is(watchdogIntervalMs({}, node), null);
  t.is(watchdogIntervalMs({ WATCHDOG_USEC: 'x' }, node), null);
  t.is(watchdogIntervalMs({ ...usec, WATCHDOG_PID: '42' }, node), 15000);
  t.is(
    watchdogIntervalMs({ ...usec, WATCHDOG_PID: '40', KLUBKORT_KIOSK: '1' }, node),
    15000,
    "cage's watchdog, in the unit's kiosk",
  );
  t.is(notifyOwner({ ...usec, WATCHDOG_PID: '40', KLUBKORT_KIOSK: '1' }, node), 'kiosk');
  t.is(
    watchdogIntervalMs({ ...usec, WATCHDOG_PID: '40' }, node),
    null,
    "an ancestor's, but no kiosk said so: a shell of another service",
  );
  t.is(watchdogIntervalMs({ ...usec, WATCHDOG_PID: '77', KLUBKORT_KIOSK: '1' }, node), null, 'not an ancestor');
  t.is(watchdogIntervalMs({ ...usec, WATCHDOG_PID: '1', KLUBKORT_KIOSK: '1' }, node), null, 'never PID 1');
  t.is(watchdogIntervalMs({ ...usec, WATCHDOG_PID: 'x', KLUBKORT_KIOSK: '1' }, node), null);
});

test("systemd's variables are taken out of the environment, so no child process of the daemon speaks for the unit", (t) => {
  const env: NodeJS.ProcessEnv = {
    PATH: '/usr/bin',
    NOTIFY_SOCKET: '/run/systemd/notify',
    WATCHDOG_USEC: '30000000',
    WATCHDOG_PID: '40',
    KLUBKORT_KIOSK: '1',
  };
  const taken = takeNotifyEnv(env);
  t.deepEqual(env, { PATH: '/usr/bin', KLUBKORT_KIOSK: '1' });
  t.deepEqual(taken, {
    PATH: '/usr/bin',
    NOTIFY_SOCKET: '/run/systemd/notify',
    WATCHDOG_USEC: '30000000',
    WATCHDOG_PID: '40',
    KLUBKORT_KIOSK: '1',
  });
});

/**
 * The daemon as the grandchild of a stand-in for the unit's main process (node → sh → daemon, as
 * cage → foot → daemon): the main process gets WATCHDOG_PID=its own pid, as systemd does, and its
 * children inherit it.
 */
async function underMainProcess(t: import('ava').ExecutionContext, env: NodeJS.ProcessEnv) {
  const dir = mkdtempSync(join(tmpdir(), 'klubkort-wd-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const broker = await startMosquitto();
  t.teardown(() => broker.close());
  const receiver = await Receiver.start(join(dir, 'notify.sock'));
  t.teardown(() => {
    receiver.proc.kill('SIGKILL');
  });
  const daemon = [
    process.execPath,
    'bin/klubkort.js',
    'run',
    '--sim',
    '--headless',
    '--broker',
    broker.url,
    '--terminal-id',
    'wd-3',
    '--club-id',
    'demo-klub',
    '--data-dir',
    join(dir, 'data'),
  ];
  // `; :` keeps sh from exec'ing the daemon: sh stays in between, as foot does.
  const main = `require('node:child_process').spawn('sh', ['-c', '"$0" "$@"; :', ...JSON.parse(process.argv[1])],
    { stdio: 'inherit', env: { ...process.env, WATCHDOG_PID: String(process.pid) } }).on('exit', (c) => process.exit(c ?? 1));`;
  const proc = spawn(process.execPath, ['-e', main, JSON.stringify(daemon)], {
    env: { ...process.env, NOTIFY_SOCKET: join(dir, 'notify.sock'), WATCHDOG_USEC: String(WATCHDOG_USEC), ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
    detached: true,
  });
  let stderr = '';
  proc.stderr!.on('data', (c: Buffer) => {
    stderr += c.toString();
  });
  t.teardown(() => {
    try {
      process.kill(-proc.pid!, 'SIGKILL');
    } catch {
      /* gone */
    }
  });
  return { receiver, stderr: () => stderr };
}

test("in the unit's kiosk (KLUBKORT_KIOSK=1) the daemon, grandchild of the main process, sends READY and feeds the watchdog systemd set for that process", async (t) => {
  const { receiver, stderr } = await underMainProcess(t, { KLUBKORT_KIOSK: '1' });
  await receiver.until(() => receiver.messages.includes('READY=1\nSTATUS=terminal wd-3'), 'READY=1');
  await receiver.until(() => receiver.count('WATCHDOG=1') >= 3, 'three watchdog pings');
  t.regex(stderr(), /"owner":"kiosk".*"msg":"systemd watchdog pings on"/);
});

test("a daemon started in a shell of another service (WATCHDOG_PID an ancestor's, no KLUBKORT_KIOSK) sends that service nothing", async (t) => {
  const { receiver, stderr } = await underMainProcess(t, {});
  await until(
    () => /nothing sent to systemd/.test(stderr()) && /"msg":"terminal started"/.test(stderr()),
    'the daemon serving, and saying why it sends nothing',
  );
  // No helper was started at all, so nothing can still be on its way.
  t.deepEqual(receiver.messages, ['listening']);
});

test('a start that cannot succeed (a broken config) waits under systemd, watchdog fed and the reason in STATUS, and exits once the config file changes; without systemd it exits 78 at once', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'klubkort-wd-'));
  const receiver = await Receiver.start(join(dir, 'notify.sock'));
  const config = join(dir, 'config.json');
  const { writeFileSync } = await import('node:fs');
  writeFileSync(config, '{"terminalId": "wd-2", "clubId": ');
  const run = (env: NodeJS.ProcessEnv) => {
    const child = spawn(process.execPath, ['bin/klubkort.js', 'run', '--config', config], {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr!.on('data', (c: Buffer) => {
      stderr += c.toString();
    });
    return {
      child,
      stderr: () => stderr,
      exited: new Promise<number | null>((r) => child.once('exit', (code) => r(code))),
    };
  };
  const held = run({ NOTIFY_SOCKET: join(dir, 'notify.sock'), WATCHDOG_USEC: String(WATCHDOG_USEC) });
  t.teardown(() => {
    if (held.child.exitCode === null) held.child.kill('SIGKILL');
    receiver.proc.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });
  await receiver.until(
    () => receiver.messages.some((m) => m.startsWith('READY=1\nSTATUS=klubkort cannot start (exit 78)')),
    'READY with the reason',
  );
  await receiver.until(() => receiver.count('WATCHDOG=1') >= 3, 'the watchdog fed while waiting');
  t.is(held.child.exitCode, null, 'still waiting: no restart loop');
  t.regex(held.stderr(), /Kontakt teknikeren/);
  writeFileSync(
    config,
    JSON.stringify({ terminalId: 'wd-2', clubId: 'demo-klub', broker: { url: 'mqtt://127.0.0.1:1' } }),
  );
  t.is(await held.exited, 78, 'the fix is seen: exits for systemd to start it again');

  writeFileSync(config, '{');
  const plain = run({ NOTIFY_SOCKET: '' });
  t.is(await plain.exited, 78);
  t.regex(plain.stderr(), /config/);
});
