// The `klubkort` command as tools outside the project use it: a real daemon child process.
import test from 'ava';
import { spawn, execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import mqtt from 'mqtt';
import { startBroker } from '../../sim/broker.ts';
import { startLedger } from '../../sim/reference-ledger/ledger.ts';
import { demoClub, DEMO_CLUB_ID } from '../../sim/demo-club.ts';
import { topics } from '../../contract/index.ts';
import { createLogger } from '../../firmware/log.ts';
import { FIRMWARE_VERSION } from '../../firmware/version.ts';
import { logSink } from '../helpers/log-sink.ts';
import { until } from '../helpers/until.ts';

const run = promisify(execFile);
const BIN = join(process.cwd(), 'bin/klubkort.js');

test('run --config: retained status online with version and queue, status and forward commands, clean SIGTERM, will on a kill', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'klubkort-cli-'));
  const broker = await startBroker();
  const ledger = await startLedger({
    brokerUrl: broker.url,
    dbPath: join(dir, 'ledger.db'),
    clubs: [demoClub()],
    logger: createLogger({ level: 'warn', destination: logSink('ledger') }),
  });
  const watcher = await mqtt.connectAsync(broker.url, { clientId: 'cli-test-watcher' });
  t.teardown(async () => {
    await watcher.endAsync();
    await ledger.stop();
    await broker.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const statuses: Record<string, unknown>[] = [];
  watcher.on('message', (topic, p) => {
    if (topic === topics.status('kasse-cli') && p.length) statuses.push(JSON.parse(p.toString()));
  });
  await watcher.subscribeAsync(topics.status('kasse-cli'), { qos: 1 });

  const dataDir = join(dir, 'terminal');
  const cfgFile = join(dir, 'config.json');
  // Credentials in the URL (the embedded broker takes any): the log must not repeat the password.
  const url = broker.url.replace('mqtt://', 'mqtt://kasse-cli:hemmeligt@');
  writeFileSync(
    cfgFile,
    JSON.stringify({
      terminalId: 'kasse-cli',
      clubId: DEMO_CLUB_ID,
      broker: { url },
      dataDir,
      hardware: 'sim',
      headless: true,
    }),
  );
  let stderr = '';
  const start = () => {
    const child = spawn(process.execPath, [BIN, 'run', '--config', cfgFile], { stdio: ['ignore', 'ignore', 'pipe'] });
    child.stderr.pipe(logSink('cli'), { end: false });
    child.stderr.on('data', (b: Buffer) => {
      stderr += b.toString();
    });
    return child;
  };

  let child = start();
  const online = await until(() => statuses.find((s) => s.state === 'online'), 'retained status online');
  t.like(online, { state: 'online', version: FIRMWARE_VERSION, queue: 0 });
  t.regex(String(online.since), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);

  const status = JSON.parse((await run(process.execPath, [BIN, 'status', '--data-dir', dataDir, '--json'])).stdout);
  t.like(status, { terminalId: 'kasse-cli', online: true, queue: 0, reader: 'ready' });
  const fwd = await run(process.execPath, [BIN, 'forward', '--data-dir', dataDir, '--json']);
  t.like(JSON.parse(fwd.stdout), { queue: 0 });

  // SIGTERM: a clean stop says offline itself and exits 0
  statuses.length = 0;
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  child.kill('SIGTERM');
  t.is(await exited, 0);
  await until(() => statuses.some((s) => s.state === 'offline'), 'offline after SIGTERM');
  t.regex(stderr, /"broker":"mqtt:\/\/kasse-cli:\*\*\*@127\.0\.0\.1:\d+","msg":"connected to broker"/);
  t.notRegex(stderr, /hemmeligt/);

  // SIGKILL: the broker publishes the will
  child = start();
  await until(() => statuses.some((s) => s.state === 'online'), 'online again');
  statuses.length = 0;
  child.kill('SIGKILL');
  await until(() => statuses.some((s) => s.state === 'offline'), 'the will says offline');
});

test('run with no usable settings exits 78 with a readable message', async (t) => {
  const err = await run(process.execPath, [BIN, 'run', '--sim', '--headless', '--terminal-id', 'Bad Id']).catch(
    (e: { code: number; stderr: string }) => e,
  );
  t.is((err as { code: number }).code, 78);
  t.regex((err as { stderr: string }).stderr, /terminalId/);
});

test('hardware "pi" without GPIO keeps running and says so; without nfc-pcsc it exits 69 naming the fix', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'klubkort-cli-pi-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const cfgFile = join(dir, 'config.json');
  const dataDir = join(dir, 'data');
  writeFileSync(
    cfgFile,
    JSON.stringify({
      terminalId: 'kasse-pi',
      clubId: DEMO_CLUB_ID,
      broker: { url: 'mqtt://127.0.0.1:1' },
      dataDir,
      hardware: 'pi',
      headless: true,
    }),
  );
  const child = spawn(process.execPath, [BIN, 'run', '--config', cfgFile], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => {
    stderr += d;
  });
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  t.teardown(() => {
    child.kill('SIGKILL');
  });
  const status = () =>
    run(process.execPath, [BIN, 'status', '--data-dir', dataDir]).then(
      (r) => r.stdout,
      () => null,
    );
  const first = await Promise.race([
    exited.then((code) => ({ code })),
    until(status, 'the daemon answering', 20000).then((out) => ({ out })),
  ]);
  if ('code' in first) {
    // nfc-pcsc left out by npm (no libpcsclite here): the only thing that stops a Pi terminal.
    t.is(first.code, 69);
    t.regex(stderr, /nfc-pcsc/);
    t.notRegex(stderr, /GPIO/);
    t.notRegex(stderr, /\n\s+at /, 'no stack trace');
    return;
  }
  // This machine has no GPIO: the terminal runs anyway and says what is missing.
  t.regex(first.out, /^lights {5}LEDs and buzzer MISSING, feedback on the screen/m);
  child.kill('SIGTERM');
  t.is(await exited, 0);
});

test('hardware "pi" refuses a journal in RAM (tmpfs), exit 73, saying where to put it', async (t) => {
  // /dev/shm is a tmpfs on every Linux: a stand-in for raspi-config's overlay root.
  const dir = mkdtempSync(join('/dev/shm', 'klubkort-cli-tmpfs-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const cfgFile = join(dir, 'config.json');
  writeFileSync(
    cfgFile,
    JSON.stringify({
      terminalId: 'kasse-pi',
      clubId: DEMO_CLUB_ID,
      broker: { url: 'mqtt://127.0.0.1:1' },
      dataDir: join(dir, 'data'),
      hardware: 'pi',
      headless: true,
    }),
  );
  const err = await run(process.execPath, [BIN, 'run', '--config', cfgFile], { timeout: 20000 }).catch(
    (e: { code: number; stderr: string }) => e,
  );
  t.is((err as { code: number }).code, 73);
  t.regex(
    (err as { stderr: string }).stderr,
    /^klubkort: refusing to keep the journal of sales where a reboot erases it: \/dev\/shm\/klubkort-cli-tmpfs-\w+\/data is on a tmpfs \(mounted at \/dev\/shm\), which lives in RAM; put the data directory on a writable partition/,
  );
});
