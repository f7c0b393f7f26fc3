// The `klubkort` command as tools outside the project use it: a real daemon child process.
import test from 'ava';
import { spawn, execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import mqtt from 'mqtt';
import { startBroker } from '../sim/broker.ts';
import { startLedger } from '../sim/ledger/ledger.ts';
import { demoClub, DEMO_CLUB_ID } from '../sim/demo-club.ts';
import { topics } from '../contract/index.ts';
import { createLogger } from '../firmware/log.ts';
import { FIRMWARE_VERSION } from '../firmware/version.ts';
import { logSink } from './helpers/log-sink.ts';
import { until } from './helpers/until.ts';

const run = promisify(execFile);
const BIN = join(process.cwd(), 'bin/klubkort.js');

test('run --config: retained status online with version and queue, status and forward commands, clean SIGTERM, will on a kill', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'klubkort-cli-'));
  const broker = await startBroker();
  const ledger = await startLedger({ brokerUrl: broker.url, dbPath: join(dir, 'ledger.db'), clubs: [demoClub()], logger: createLogger({ level: 'warn', destination: logSink('ledger') }) });
  const watcher = await mqtt.connectAsync(broker.url, { clientId: 'cli-test-watcher' });
  t.teardown(async () => { await watcher.endAsync(); await ledger.stop(); await broker.close(); rmSync(dir, { recursive: true, force: true }); });
  const statuses: Record<string, unknown>[] = [];
  watcher.on('message', (topic, p) => { if (topic === topics.status('kasse-cli') && p.length) statuses.push(JSON.parse(p.toString())); });
  await watcher.subscribeAsync(topics.status('kasse-cli'), { qos: 1 });

  const dataDir = join(dir, 'terminal');
  const cfgFile = join(dir, 'config.json');
  // Credentials in the URL (the embedded broker takes any): the log must not repeat the password.
  const url = broker.url.replace('mqtt://', 'mqtt://kasse-cli:hemmeligt@');
  writeFileSync(cfgFile, JSON.stringify({ terminalId: 'kasse-cli', clubId: DEMO_CLUB_ID, broker: { url }, dataDir, hardware: 'sim', headless: true }));
  let stderr = '';
  const start = () => {
    const child = spawn(process.execPath, [BIN, 'run', '--config', cfgFile], { stdio: ['ignore', 'ignore', 'pipe'] });
    child.stderr.pipe(logSink('cli'), { end: false });
    child.stderr.on('data', (b: Buffer) => { stderr += b.toString(); });
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
  const err = await run(process.execPath, [BIN, 'run', '--sim', '--headless', '--terminal-id', 'Bad Id']).catch((e: { code: number; stderr: string }) => e);
  t.is((err as { code: number }).code, 78);
  t.regex((err as { stderr: string }).stderr, /terminalId/);
});

test('hardware "pi" on a machine without the Pi libraries or GPIO exits 69 naming what is missing', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'klubkort-cli-pi-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const cfgFile = join(dir, 'config.json');
  writeFileSync(cfgFile, JSON.stringify({ terminalId: 'kasse-pi', clubId: DEMO_CLUB_ID, broker: { url: 'mqtt://127.0.0.1:1' }, dataDir: join(dir, 'data'), hardware: 'pi', headless: true }));
  const err = await run(process.execPath, [BIN, 'run', '--config', cfgFile], { timeout: 20000 }).catch((e: { code: number; stderr: string }) => e);
  t.is((err as { code: number }).code, 69);
  // this machine has no GPIO; without libpcsclite-dev nfc-pcsc is missing too: each named with its fix
  t.regex((err as { stderr: string }).stderr, /GPIO not accessible|nfc-pcsc/);
  t.notRegex((err as { stderr: string }).stderr, /\n\s+at /, 'no stack trace');
});
