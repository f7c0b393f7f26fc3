// A terminal under a real systemd for the tests (unit-nspawn, update-nspawn): a Debian 13 root
// (debian-root.ts) under an overlay (the cached root stays as it is), klubkort laid out by
// `systemd/install.sh --root` (from this checkout, or from a release bundle) with the steps it only
// prints taken in the root, the unit with a test drop-in for what a container lacks, booted with
// systemd-nspawn (nspawn.ts). The daemon runs where it runs on a terminal: cage → foot → node.
import type { ExecutionContext } from 'ava';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, readlinkSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import type { SaleMsg } from '../../contract/index.ts';
import { Journal } from '../../firmware/journal/journal.ts';
import { debianRoot } from './debian-root.ts';
import { Container } from './nspawn.ts';

export { INSTALL_SH, layOut } from '../../scripts/lay-out.ts';
import { INSTALL_SH } from '../../scripts/lay-out.ts';

/** Test only: what a container lacks. The unit's other settings stay as they are; `extra` adds to [Service]. */
export function dropIn(watchdogSec: number, extra = ''): string {
  return `[Service]
WatchdogSec=${watchdogSec}
Environment=WLR_BACKENDS=headless WLR_LIBINPUT_NO_DEVICES=1 WLR_RENDERER=pixman
StandardInput=null
StandardOutput=journal
TTYReset=no
TTYVHangup=no
TTYVTDisallocate=no
${extra}`;
}

export const CONFIG = {
  terminalId: 'kasse-1',
  clubId: 'demo-klub',
  broker: { url: 'mqtt://127.0.0.1:1883' },
  dataDir: '/var/lib/klubkort',
  hardware: 'sim',
};

export interface TerminalRoot {
  root: string;
  work: string;
  machine: string;
  bindRo: ReadonlyArray<readonly [string, string]>;
}

const LOCK = '/run/klubkort-test-container.lock';

/** Takes the machine's container lock (a directory naming its holder's pid), waiting while a live process holds it. */
async function containerLock(): Promise<() => void> {
  for (;;) {
    try {
      mkdirSync(LOCK);
      writeFileSync(join(LOCK, 'pid'), String(process.pid));
      return () => rmSync(LOCK, { recursive: true, force: true });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      let holder = NaN;
      try {
        holder = Number(readFileSync(join(LOCK, 'pid'), 'utf8'));
      } catch {
        /* being written or removed */
      }
      let alive = true;
      if (Number.isInteger(holder)) {
        try {
          process.kill(holder, 0);
        } catch {
          alive = false;
        }
      }
      if (!alive) rmSync(LOCK, { recursive: true, force: true });
      else await new Promise((r) => setTimeout(r, 1000));
    }
  }
}

/** The cached Debian root under an overlay of this test's, removed (with the container) at teardown. */
export async function terminalRoot(
  t: ExecutionContext,
  stamp: (what: string) => void,
): Promise<TerminalRoot & { boot(): Promise<Container> }> {
  t.is(process.getuid?.(), 0, 'runs as root (as CI does): mmdebstrap, mount and systemd-nspawn');
  // One container test at a time on a machine: ava runs two test files at once, and two of them
  // building the cached root together, or two containers sharing nspawn's cgroups (no systemd as
  // PID 1 here), made systemd in one of them fail to spawn ("Failed to spawn executor").
  const release = await containerLock();
  t.teardown(release); // registered first: runs last, after the container is gone
  const base = await debianRoot(INSTALL_SH, (l) => t.log(l));
  stamp(base.built ? 'Debian root built' : 'Debian root from the cache');
  const work = mkdtempSync('/var/tmp/klubkort-nspawn-');
  const root = join(work, 'root');
  for (const d of ['upper', 'work', 'root']) mkdirSync(join(work, d));
  execFileSync('mount', [
    '-t',
    'overlay',
    'overlay',
    '-o',
    `lowerdir=${base.dir},upperdir=${join(work, 'upper')},workdir=${join(work, 'work')}`,
    root,
  ]);
  let container: Container | null = null;
  t.teardown(async () => {
    await container?.stop();
    execFileSync('umount', ['--lazy', root]);
    rmSync(work, { recursive: true, force: true });
  });
  const machine = `klubkort-test-${process.pid}`;
  const r = { root, work, machine, bindRo: [] as (readonly [string, string])[] };
  return {
    ...r,
    async boot() {
      container = await Container.boot(root, { machine, bindRo: r.bindRo, consoleLog: join(work, 'console.log') });
      stamp('container booted');
      return container;
    },
  };
}

/** The checkout's release in the root: node_modules from this checkout (read only) and dist/ built by Debian's node, as npm ci would. */
export async function buildCheckoutRelease(r: TerminalRoot): Promise<void> {
  const rel = join('/opt/klubkort', readlinkSync(join(r.root, 'opt/klubkort/current')));
  (r.bindRo as (readonly [string, string])[]).push([realpathSync('node_modules'), join(rel, 'node_modules')]);
  await Container.exec(r.root, ['node', '--import', 'tsx', 'scripts/build.ts'], {
    machine: r.machine,
    bindRo: r.bindRo,
    chdir: rel,
  });
}

/** The config and the test drop-in. */
export function configure(root: string, dropInText: string): void {
  writeFileSync(join(root, 'etc/klubkort/config.json'), JSON.stringify(CONFIG));
  mkdirSync(join(root, 'etc/systemd/system/klubkort.service.d'), { recursive: true });
  writeFileSync(join(root, 'etc/systemd/system/klubkort.service.d/nspawn.conf'), dropInText);
}

/** Looking at klubkort.service in a booted container. */
export function unitView(c: Container) {
  const show = async (...props: string[]): Promise<Record<string, string>> =>
    Object.fromEntries(
      (await c.run(['systemctl', 'show', 'klubkort.service', ...props.map((p) => `--property=${p}`)])).stdout
        .trim()
        .split('\n')
        .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
    );
  const journal = async (...args: string[]) =>
    (await c.run(['journalctl', '--no-pager', '-u', 'klubkort.service', ...args])).stdout;
  const daemonPid = async () =>
    Number(
      (
        await c
          .run(['pgrep', '-u', 'klubkort', '-f', String.raw`^/usr/bin/node .*klubkort\.js run`])
          .catch(() => ({ stdout: '' }))
      ).stdout
        .trim()
        .split('\n')[0],
    ) || null;
  const cursor = async () =>
    /cursor: (\S+)/.exec((await c.run(['journalctl', '--no-pager', '-n', '0', '--show-cursor'])).stdout)![1]!;
  return { show, journal, daemonPid, cursor };
}

/**
 * `n` sales approved offline that no ledger answered, queued in the container's journal (the unit
 * is stopped to write them from here, and left stopped); their txIds.
 */
export async function queueOfflineSales(c: Container, root: string, n: number): Promise<string[]> {
  await c.run(['systemctl', 'stop', 'klubkort.service']);
  const j = await Journal.open(join(root, 'var/lib/klubkort'), CONFIG.terminalId);
  const txIds: string[] = [];
  try {
    for (let i = 0; i < n; i++) {
      const s: SaleMsg = {
        type: 'sale',
        txId: randomUUID(),
        terminalId: CONFIG.terminalId,
        clubId: CONFIG.clubId,
        cardUid: '04A1B2C3',
        items: [{ sku: 'j', name: 'Juice', unitPrice: 800, qty: 1 }],
        total: 800,
        createdAt: new Date().toISOString(),
        offline: true,
      };
      if (!(await j.sales.approveOffline(s, true))) throw new Error(`sale ${i} was not approved offline`);
      txIds.push(s.txId);
    }
  } finally {
    await j.close();
  }
  await c.run(['chown', '-R', 'klubkort:klubkort', '/var/lib/klubkort']);
  return txIds;
}

/**
 * A subscriber in the container on its broker, a unit of its own (it lives until the container
 * powers off): each message on a topic of `files` is appended to that topic's file as a line, a
 * tx message's txId, any other message whole. `mqtt`: the mqtt module of a release in the container.
 */
export async function watchTopics(
  c: Container,
  o: { unit: string; mqtt: string; files: Record<string, string> },
): Promise<void> {
  await c.run([
    'systemd-run',
    `--unit=${o.unit}`,
    '/usr/bin/node',
    '-e',
    `const m = require(${JSON.stringify(o.mqtt)}); const fs = require('fs'); const files = ${JSON.stringify(o.files)};
    const c = m.connect('mqtt://127.0.0.1:1883', { clientId: ${JSON.stringify(o.unit)} });
    c.on('connect', () => c.subscribe(Object.keys(files), { qos: 1 }));
    c.on('message', (t, p) => { try { fs.appendFileSync(files[t], (t.endsWith('/tx') ? JSON.parse(p).txId : p.toString()) + '\\n'); } catch {} });`,
  ]);
}
