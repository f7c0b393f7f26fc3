// A hung PC/SC stack never takes the terminal with it: the reader driver's PC/SC side runs in a
// child process (hal/pi/reader/pcsc-proxy.ts). Real pcscd + vsmartcard-vpcd as in pi-reader.test.ts.
// In the daemon's own process, a pcscd stopped mid-transmit held libuv's threadpool (every call
// into the reader waits there, the LED commands of each screen too), and with it the journal: the
// terminal stopped answering until pcscd came back; closing a context froze its event loop.
import test, { type ExecutionContext } from 'ava';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { piTerminal, READER } from '../helpers/pi-terminal.ts';
import { startVirtualPcsc, type VirtualPcsc } from '../helpers/pcscd.ts';
import { uidCard, VirtualCard } from '../helpers/vpcd-card.ts';
import { until } from '../helpers/until.ts';
import { KLUBKORT_BIN } from '../helpers/daemon-process.ts';
import { askControl } from '../../firmware/control/socket.ts';
import { maskUid } from '../../lib/log.ts';
import type { TerminalSnapshot } from '../../firmware/terminal/terminal.ts';
import { demoChildren, DEMO_CLUB_ID } from '../../sim/demo-club.ts';
import { systemTimers } from '../../lib/timers.ts';

const C = DEMO_CLUB_ID;
const UID_CHILD = demoChildren().find((c) => c.auth === 'uid')!.uid;
const GET_UID = Buffer.from('ffca000000', 'hex');
/** Generous: what is asserted is that an answer comes at all while PC/SC hangs, not how fast. */
const ANSWER_MS = 10_000;

let pcsc: VirtualPcsc;
test.before(async () => {
  pcsc = await startVirtualPcsc();
  process.env.PCSCLITE_CSOCK_NAME = pcsc.socket;
});
test.after.always(async () => {
  await pcsc?.close();
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** True when `p` resolves within ANSWER_MS. */
const answered = (p: Promise<unknown>) =>
  Promise.race([
    p.then(
      () => true,
      () => false,
    ),
    sleep(ANSWER_MS).then(() => false),
  ]);
/**
 * Asks in a second, and says whether the answer came within ANSWER_MS of that. The terminal runs in
 * this process: were its event loop frozen, this one's would be too, and a probe's own timer would
 * only start once it thawed; so the bound counts from when the question was due.
 */
async function answersInASecond(ask: () => Promise<unknown>): Promise<boolean> {
  const due = performance.now() + 1000;
  await sleep(1000);
  return (await answered(ask())) && performance.now() - due < ANSWER_MS;
}

/**
 * SIGSTOPs pcscd (a hung pcscd) and SIGCONTs it again: by the test, at its end whatever happened,
 * and by a process of its own after a while, should the test's process be the one frozen.
 */
function hangPcscd(t: ExecutionContext): { stop(): void; resume(): void; readonly stopped: boolean } {
  let pid: number | undefined;
  let rescue: ReturnType<typeof spawn> | null = null;
  const resume = () => {
    rescue?.kill();
    rescue = null;
    if (pid !== undefined) process.kill(pid, 'SIGCONT');
    pid = undefined;
  };
  t.teardown(resume);
  return {
    stop: () => {
      if (pid !== undefined || !pcsc.pid) return;
      pid = pcsc.pid;
      process.kill(pid, 'SIGSTOP');
      rescue = spawn('sh', ['-c', `sleep 30; kill -CONT ${pid}`], { stdio: 'ignore' });
    },
    resume,
    get stopped() {
      return pid !== undefined;
    },
  };
}

test.serial(
  'pcscd hung mid-transmit: the terminal keeps answering through the timeouts and the context rebuild, says the reader is not answering, and sells once pcscd is back',
  async (t) => {
    const { w, terminal, sim, card, lift, sell } = await piTerminal(t, pcsc);
    const balance = w.ledger.card(C, UID_CHILD)!.balance;
    const hung = hangPcscd(t);
    await sim.key('1');
    await sim.waitScreen('basket');
    await sim.key('enter');
    await sim.waitScreen('tap');
    const inner = uidCard(UID_CHILD);
    /** A card whose UID read pcscd stops in the middle of: its answer waits in pcscd's socket. */
    const stopper = () =>
      card(
        new VirtualCard(pcsc.port, (apdu) => {
          if (apdu.equals(GET_UID)) hung.stop();
          return inner(apdu);
        }),
      );
    // Two reads time out (the driver's 2 s), pcscd going on after each.
    for (let i = 0; i < 2; i++) {
      const c = stopper();
      await c.insert();
      await until(() => hung.stopped, 'pcscd stopped mid-read', 15_000);
      for (let s = 0; s < 3; s++)
        t.true(await answersInASecond(() => terminal.snapshot()), `status answered while pcscd hangs (read ${i + 1})`);
      hung.resume();
      await lift(c);
      // What the driver sent meanwhile (LED commands) reaches the reader now: let it pass.
      await sleep(1500);
    }
    t.is(sim.screen?.view.reader, 'not_answering', 'the status bar says the reader is not answering');
    // The third: the driver rebuilds its PC/SC context with pcscd still hung.
    const stuck = stopper();
    await stuck.insert();
    await until(() => hung.stopped, 'pcscd stopped mid-read', 15_000);
    for (let i = 0; i < 10; i++) {
      t.true(
        await answersInASecond(() => terminal.snapshot()),
        `status (journal counts and all) answered ${i + 1} s into the hang`,
      );
    }
    t.is((await terminal.snapshot()).reader, 'not_answering', 'klubkort status says the reader is not answering');
    hung.resume();
    // Mid-rebuild no context may see it leave: then give pcscd a moment (as reader-pcscd.test.ts does).
    await lift(stuck).catch(() => sleep(1500));
    // The cashier's next card shows the reader answering again (the status bar turns ready), then sells.
    const next = card(new VirtualCard(pcsc.port, uidCard(UID_CHILD)));
    await next.insert();
    await sim.waitFor(() => sim.screen?.view.reader === 'ready', 'status bar: reader ready again', 30_000);
    await lift(next);
    await sim.leave();
    t.like(await sell(new VirtualCard(pcsc.port, uidCard(UID_CHILD))), { result: { status: 'approved' } });
    await until(() => w.ledger.card(C, UID_CHILD)!.balance < balance, 'the sale booked');
  },
);

/** `klubkort run` of a `hardware: "pi"` terminal as systemd runs it (from dist/), its log kept. */
function piDaemon(t: ExecutionContext) {
  const dir = mkdtempSync(join(tmpdir(), 'klubkort-pcsc-child-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const dataDir = join(dir, 'data');
  const cfgFile = join(dir, 'config.json');
  writeFileSync(
    cfgFile,
    JSON.stringify({
      terminalId: 'kasse-pi',
      clubId: C,
      broker: { url: 'mqtt://127.0.0.1:1' },
      dataDir,
      hardware: 'pi',
      headless: true,
      logLevel: 'debug',
      pi: { reader: { name: READER } },
    }),
  );
  const start = () => {
    const p = spawn(process.execPath, [KLUBKORT_BIN, 'run', '--config', cfgFile], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, ...pcsc.env },
    });
    let log = '';
    p.stdout.on('data', (d: Buffer) => {
      log += d;
    });
    p.stderr.on('data', (d: Buffer) => {
      log += d;
    });
    const exited = new Promise<number | null>((r) => p.once('exit', (code) => r(code)));
    t.teardown(() => {
      p.kill('SIGKILL');
    });
    const status = async () => {
      const r = await askControl(dataDir, 'status', systemTimers).catch(() => null);
      return r?.ok ? (r.data as TerminalSnapshot) : null;
    };
    /** The PC/SC child processes it started, in order (its log says each one's pid). */
    const children = () =>
      [...log.matchAll(/"pid":(\d+),"msg":"PC\/SC child process started"/g)].map((m) => Number(m[1]));
    return { p, exited, status, children, log: () => log };
  };
  return { start };
}

/** A process that has ended but is not yet reaped (its parent gone before it) is not alive. */
const alive = (pid: number) => {
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
};

test.serial(
  "the daemon's PC/SC child: killed and replaced when it stops answering, gone with the daemon (stopped or killed), pcscd hung or not",
  async (t) => {
    const daemon = piDaemon(t);
    let d = daemon.start();
    await until(async () => (await d.status())?.reader === 'ready', 'reader ready', 30_000);
    const first = d.children().at(-1)!;
    t.truthy(first);
    t.regex(
      readFileSync(`/proc/${first}/cmdline`, 'utf8'),
      /dist\/pcsc-child\.js/,
      'the built child runs, as under systemd',
    );
    // A child whose event loop hangs (as on pcsclite's reader mutex): killed, and a fresh one takes over.
    process.kill(first, 'SIGSTOP');
    await until(
      () => d.log().includes('PC/SC child process stopped answering its heartbeat'),
      'the heartbeat missed',
      15_000,
    );
    t.true(await answered(d.status()), 'the daemon answers meanwhile');
    await until(() => !alive(first), 'the hung child gone', 10_000);
    await until(
      async () => d.children().length > 1 && (await d.status())?.reader === 'ready',
      'reader ready with a fresh child',
      30_000,
    );
    // The fresh child reads cards; its UID reaches the daemon's log masked, and nowhere whole.
    const tapped = new VirtualCard(pcsc.port, uidCard(UID_CHILD));
    await tapped.insert();
    t.teardown(() => tapped.remove());
    await until(() => d.log().includes('"msg":"card"'), 'the tap read', 15_000);
    tapped.remove();
    t.true(d.log().includes(maskUid(UID_CHILD)));
    t.false(d.log().includes(UID_CHILD), "no whole card UID in the daemon's or its child's output");

    // The daemon killed outright: its child leaves by itself (IPC gone).
    let child = d.children().at(-1)!;
    process.kill(d.p.pid!, 'SIGKILL');
    await d.exited;
    await until(() => !alive(child), 'the child of a killed daemon gone', 10_000);

    // Stopped while pcscd hangs: the daemon stops all the same, and takes its child with it.
    d = daemon.start();
    await until(async () => (await d.status())?.reader === 'ready', 'reader ready again', 30_000);
    child = d.children().at(-1)!;
    const hung = hangPcscd(t);
    hung.stop();
    await sleep(500);
    d.p.kill('SIGTERM');
    t.true(await answered(d.exited), 'the daemon stopped with pcscd hung');
    t.is(await d.exited, 0);
    await until(() => !alive(child), 'no child left behind', 10_000);
    hung.resume();
  },
);
