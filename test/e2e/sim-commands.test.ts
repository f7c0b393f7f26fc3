// The simulator's headless mode and the technician's and the portal's commands as a new user meets
// them (issue 26, item 8): real processes of bin/klubkort.js, MQTT.js's own `npx mqtt` client, and
// the commands' exit codes and words.
import test from 'ava';
import { execFile, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { KEY_NAMES } from '../../contract/index.ts';
import { freePort } from '../helpers/mosquitto.ts';
import { until } from '../helpers/until.ts';

const ROOT = process.cwd();
const BIN = join(ROOT, 'bin/klubkort.js');
const exec = promisify(execFile);

/** `klubkort ARGS` in `cwd`: its exit code and both streams, whatever the code. */
async function klubkort(args: string[], cwd = ROOT): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const r = await exec(process.execPath, [BIN, ...args], { cwd, timeout: 30000 });
    return { code: 0, ...r };
  } catch (e) {
    const err = e as { code: number; stdout: string; stderr: string };
    return { code: err.code, stdout: err.stdout, stderr: err.stderr };
  }
}

function tempDir(t: { teardown(fn: () => void): void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'klubkort-simcmd-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** A command line the guide printed, run as a user would paste it (a shell, in the project's folder). */
function shell(cmd: string): { out: () => string; done: Promise<number | null>; kill: () => void } {
  const child = spawn('sh', ['-c', `exec ${cmd}`], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (b: Buffer) => {
    out += b.toString();
  });
  child.stderr.on('data', (b: Buffer) => {
    out += b.toString();
  });
  return { out: () => out, done: new Promise((r) => child.once('exit', r)), kill: () => child.kill('SIGKILL') };
}

test('headless: the guide on stdout uses npx mqtt and works; logs go to files; status finds the simulator; the portal says what is wrong', async (t) => {
  const dir = tempDir(t);
  // Started in a folder of its own: its state goes to ./data/sim there, as `npm run sim` does in the project.
  const sim = spawn(process.execPath, [BIN, 'sim', '--headless', '--port', '0'], {
    cwd: dir,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '',
    stderr = '';
  sim.stdout.on('data', (b: Buffer) => {
    stdout += b.toString();
  });
  sim.stderr.on('data', (b: Buffer) => {
    stderr += b.toString();
  });
  const exited = new Promise<number | null>((r) => sim.once('exit', r));
  t.teardown(() => {
    sim.kill('SIGKILL');
  });
  await until(() => stdout.includes('Ctrl+C stops'), 'the guide', 30000);

  t.false(/mosquitto_(pub|sub)/.test(stdout), 'no mosquitto-clients needed');
  t.notRegex(stdout + stderr, /"level":\d+/, 'no log line on the terminal');
  const keyLine = /key names: (.*)/.exec(stdout)?.[1] ?? '';
  for (const k of KEY_NAMES) t.true(keyLine.split(' ').includes(k), `key name ${k} listed`);
  t.regex(stdout, /04BADC0FFEE001 +a card the club never issued/);
  t.regex(stdout, /04AA0000000D01 +Lars Holm, staff card \(lead\)/);

  // The printed commands, as printed: the watcher sees the key the publisher pressed.
  const watch = /watch it: +(npx mqtt sub .*)/.exec(stdout)?.[1];
  const press = /press a key: +(npx mqtt pub .*)/.exec(stdout)?.[1];
  t.truthy(watch && press, stdout);
  const sub = shell(watch!);
  t.teardown(sub.kill);
  await until(() => sub.out().includes('"screen":"idle"'), 'npx mqtt sub prints the retained screen', 30000);
  t.is(await shell(press!).done, 0, 'npx mqtt pub exits 0');
  await until(() => sub.out().includes('"sku":"juice"'), 'the key pressed: a juice in the basket', 30000);
  sub.kill();

  // The log lines went to the files the guide names.
  const logs = /Logs: +(\S+) \(ledger\), (\S+) \(terminal\)/.exec(stdout);
  t.truthy(logs, stdout);
  t.true(existsSync(join(dir, logs![1]!)) && existsSync(join(dir, logs![2]!)));
  t.regex(readFileSync(join(dir, logs![2]!), 'utf8'), /"msg":"terminal started"/);

  // `npx klubkort status` in the folder the simulator runs in finds its terminal, no --data-dir.
  const status = await klubkort(['status'], dir);
  t.is(status.code, 0, status.stderr);
  t.regex(status.stdout, /^data dir +data\/sim\/kasse-1$/m);
  t.regex(status.stdout, /^terminal +kasse-1$/m);
  const fwd = await klubkort(['forward', '--json'], dir);
  t.is(fwd.code, 0, fwd.stderr);
  t.like(JSON.parse(fwd.stdout), { terminalId: 'kasse-1', queue: 0 });

  // The parents' portal: a category the catalog does not have, a malformed UID, an unknown card.
  const broker = /broker (mqtt:\/\/127\.0\.0\.1:\d+)/.exec(stdout)![1]!;
  const cat = await klubkort(['ledger', '--broker', broker, 'block-category', '04A23B5C7D2E80', 'snacks']);
  t.is(cat.code, 1);
  t.regex(cat.stderr, /no category snacks; it has drikke, mad, slik, værksted/);
  const list = await klubkort(['ledger', '--broker', broker, 'list']);
  t.false(list.stdout.includes('snacks'), 'nothing changed');
  const malformed = await klubkort(['ledger', '--broker', broker, 'topup', 'NOSUCHCARD', '50']);
  t.is(malformed.code, 1);
  t.regex(malformed.stderr, /not a card UID: NOSUCHCARD \(a UID is 8, 14 or 20 hex digits/);
  t.notRegex(malformed.stderr, /bad command/);
  const unknown = await klubkort(['ledger', '--broker', broker, 'topup', '04A23B5C7D2E81', '50']);
  t.is(unknown.code, 1);
  t.regex(unknown.stderr, /club demo-klub has no card 04A23B5C7D2E81/);

  sim.kill('SIGTERM');
  t.is(await exited, 0);
});

test('with no simulator running, the portal and status say to start it', async (t) => {
  const port = await freePort();
  const portal = await klubkort(['ledger', '--broker', `mqtt://127.0.0.1:${port}`, 'list']);
  t.is(portal.code, 1);
  t.regex(
    portal.stderr,
    /nothing listens at mqtt:\/\/127\.0\.0\.1:\d+: is the simulator running\? Start it with npm run sim/,
  );
  const status = await klubkort(['status'], tempDir(t));
  t.is(status.code, 1);
  t.regex(status.stderr, /no running daemon found in \/var\/lib\/klubkort: start one \(npm run sim/);
});

test('every command answers --help on stdout with exit 0', async (t) => {
  const commands = [
    ['run'],
    ['sim'],
    ['status'],
    ['forward'],
    ['ledger'],
    ['provision'],
    ['selftest'],
    ['outputs-off'],
    ['card'],
    ['card', 'personalise'],
  ];
  for (const cmd of commands) {
    for (const flag of ['--help', '-h']) {
      const r = await klubkort([...cmd, flag]);
      t.is(r.code, 0, `${cmd.join(' ')} ${flag}: ${r.stderr}`);
      t.regex(r.stdout, new RegExp(`^usage: klubkort ${cmd[0]}\\b`), `${cmd.join(' ')} ${flag}`);
      t.is(r.stderr, '', `${cmd.join(' ')} ${flag}`);
    }
  }
  const top = await klubkort(['--help']);
  t.regex(top.stdout, /Every command answers --help/);
  // provision says how to leave out the selftest that waits for a card.
  t.regex((await klubkort(['provision', '--help'])).stdout, /--skip-selftest +leave it out/);
});
