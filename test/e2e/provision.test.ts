// `klubkort provision` as a technician meets it: the real command in a pseudo-terminal (util-linux
// `script`), answering its questions one by one, against a real mosquitto; then the file it wrote.
import test, { type ExecutionContext } from 'ava';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { startMosquitto, type Mosquitto } from '../helpers/mosquitto.ts';
import { topics } from '../../contract/index.ts';

let broker: Mosquitto;
test.before(async () => {
  broker = await startMosquitto();
  // The club's retained catalog, as a ledger would have published it.
  const c = await mqtt.connectAsync(broker.url);
  await c.publishAsync(topics.catalog('demo-klub'), JSON.stringify({ version: 1, items: [] }), {
    qos: 1,
    retain: true,
  });
  await c.endAsync();
});
test.after.always(() => broker?.close());

const quote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
const plain = (s: string) => s.replace(/\x1b\[[0-9;?]*[A-Za-z]/g, '').replace(/\r/g, '');

/** `klubkort provision ARGS` on a pseudo-terminal of 100×30. */
class Tty {
  out = '';
  #seen = 0;
  #waiters = new Set<() => void>();
  readonly exit: Promise<number>;
  private constructor(readonly proc: ChildProcess) {
    proc.stdout!.on('data', (c: Buffer) => {
      this.out += c.toString();
      for (const w of this.#waiters) w();
    });
    this.exit = new Promise((r) => proc.once('exit', (code) => r(code ?? -1)));
  }

  static run(t: ExecutionContext, args: string[]): Tty {
    const cmd = `stty cols 100 rows 30; exec ${[process.execPath, 'bin/klubkort.js', 'provision', ...args].map(quote).join(' ')}`;
    const tty = new Tty(spawn('script', ['-qfec', cmd, '/dev/null'], { stdio: ['pipe', 'pipe', 'inherit'] }));
    t.teardown(() => {
      if (tty.proc.exitCode === null) tty.proc.kill('SIGKILL');
    });
    return tty;
  }

  get text(): string {
    return plain(this.out);
  }

  /** Waits for `re` in what came after the last match. */
  expect(re: RegExp, ms = 20000): Promise<void> {
    return new Promise((resolve, reject) => {
      const check = () => {
        const rest = this.text.slice(this.#seen);
        const m = re.exec(rest);
        if (!m) return;
        this.#seen += m.index + m[0].length;
        done();
        resolve();
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error(`timed out waiting for ${re}; screen ends with:\n${this.text.slice(-600)}`));
      }, ms);
      const done = () => {
        clearTimeout(timer);
        this.#waiters.delete(check);
      };
      this.#waiters.add(check);
      check();
    });
  }

  /** Answers the question `re` (waited for) by typing `answer` and Enter. */
  async answer(re: RegExp, answer: string): Promise<void> {
    await this.expect(re);
    this.proc.stdin!.write(answer + '\r');
  }
}

function tempDir(t: ExecutionContext): string {
  const dir = mkdtempSync(join(tmpdir(), 'klubkort-prov-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

const mode = (path: string) => statSync(path).mode & 0o777;

test('a new terminal: every question answered on the tty, bad answers asked again, file written 0600', async (t) => {
  const dir = tempDir(t);
  const config = join(dir, 'etc', 'config.json');
  const tty = Tty.run(t, ['--config', config, '--skip-selftest']);
  await tty.expect(/Creating .*config\.json/);
  await tty.answer(/Terminal id: $/, 'Kasse 1');
  await tty.expect(/a terminal id is 1–64 lower-case letters, digits or "-"/);
  await tty.answer(/Terminal id: $/, 'kasse-7');
  await tty.answer(/Club id: $/, 'demo-klub');
  await tty.answer(/Screen language \(da\/en\) \[da\]: $/, 'en');
  await tty.answer(/Hardware \(pi\/sim\) \[pi\]: $/, 'sim');
  await tty.answer(/Data directory \[\/var\/lib\/klubkort\]: $/, join(dir, 'data'));
  await tty.answer(/Broker URL \(mqtts:\/\/host:8883\): $/, 'mqtt://127.0.0.1:1');
  await tty.answer(/MQTT username \(Enter for none\): $/, 'kasse-7');
  await tty.answer(/MQTT password \(Enter for none\): $/, 's3cret!');
  await tty.expect(/cannot connect: nothing listens at 127\.0\.0\.1:1 \(connection refused\)/);
  await tty.answer(/Change the broker settings \(c\), try again \(r\), or keep them unchecked \(k\)\? \[c\]: $/, '');
  await tty.answer(/Broker URL \(mqtts:\/\/host:8883\) \[mqtt:\/\/127\.0\.0\.1:1\]: $/, broker.url);
  await tty.answer(/MQTT username \[kasse-7, - for none\]: $/, '');
  await tty.answer(/MQTT password \[Enter keeps it, - for none\]: $/, '');
  await tty.expect(/Wrote .*config\.json \(mode 0600\)/);
  t.is(await tty.exit, 0, tty.text);

  t.is(mode(config), 0o600);
  t.deepEqual(JSON.parse(readFileSync(config, 'utf8')), {
    terminalId: 'kasse-7',
    clubId: 'demo-klub',
    lang: 'en',
    hardware: 'sim',
    dataDir: join(dir, 'data'),
    broker: { url: broker.url, username: 'kasse-7', password: 's3cret!' },
  });
  t.regex(tty.text, /broker +mqtt:\/\/127\.0\.0\.1:\d+ \(connected, club catalog received\)/);
  t.regex(tty.text, /login +username kasse-7, password set/);
  t.false(tty.out.includes('s3cret!'), 'the password is neither echoed nor printed');
});

test('re-running edits the existing file: current values are the defaults, the rest of the file stays', async (t) => {
  const dir = tempDir(t);
  const config = join(dir, 'config.json');
  writeFileSync(
    config,
    JSON.stringify({
      terminalId: 'kasse-7',
      clubId: 'demo-klub',
      lang: 'en',
      hardware: 'sim',
      dataDir: join(dir, 'data'),
      broker: { url: broker.url, username: 'kasse-7', password: 's3cret!' },
      pi: { gpio: { pins: { green: { pin: 5, activeLow: true } } } },
      sale: { maxPurchase: 5000 },
      logLevel: 'debug',
    }),
    { mode: 0o644 },
  );
  const tty = Tty.run(t, ['--config', config, '--club-id', 'other-klub', '--skip-selftest']);
  await tty.expect(/Editing .*config\.json: Enter keeps the value in brackets\./);
  await tty.answer(/Terminal id \[kasse-7\]: $/, '');
  await tty.answer(/Screen language \(da\/en\) \[en\]: $/, 'da');
  await tty.answer(/Hardware \(pi\/sim\) \[sim\]: $/, 'pi');
  await tty.answer(/GPIO pins \(BCM numbers\) \[green=5,red=27,yellow=22,buzzer=23\]: $/, 'buzzer=5');
  await tty.expect(/pins: each part needs its own GPIO pin/);
  await tty.answer(/GPIO pins \(BCM numbers\) \[green=5,red=27,yellow=22,buzzer=23\]: $/, 'buzzer=24');
  await tty.answer(/Data directory \[.*\]: $/, '');
  await tty.answer(/Broker URL \(mqtts:\/\/host:8883\) \[mqtt:.*\]: $/, '');
  await tty.answer(/MQTT username \[kasse-7, - for none\]: $/, '-');
  await tty.expect(/warning: no catalog for club other-klub arrived/);
  t.is(await tty.exit, 0, tty.text);

  t.false(tty.text.includes('Club id'), 'a value given as a flag is not asked');
  t.false(tty.text.includes('MQTT password'), 'no password without a username');
  t.is(mode(config), 0o600);
  t.deepEqual(JSON.parse(readFileSync(config, 'utf8')), {
    terminalId: 'kasse-7',
    clubId: 'other-klub',
    lang: 'da',
    hardware: 'pi',
    dataDir: join(dir, 'data'),
    broker: { url: broker.url },
    pi: {
      gpio: {
        pins: { green: { pin: 5, activeLow: true }, red: { pin: 27 }, yellow: { pin: 22 }, buzzer: { pin: 24 } },
      },
    },
    sale: { maxPurchase: 5000 },
    logLevel: 'debug',
  });
});

test('Ctrl-C aborts and leaves the existing file as it was', async (t) => {
  const dir = tempDir(t);
  const config = join(dir, 'config.json');
  const before = JSON.stringify({
    terminalId: 'kasse-7',
    clubId: 'demo-klub',
    broker: { url: broker.url },
    dataDir: dir,
  });
  writeFileSync(config, before, { mode: 0o600 });
  const tty = Tty.run(t, ['--config', config]);
  await tty.expect(/Terminal id \[kasse-7\]: $/);
  tty.proc.stdin!.write('kasse-8\x03');
  t.is(await tty.exit, 130);
  t.regex(tty.text, /aborted, nothing written/);
  t.is(readFileSync(config, 'utf8'), before);
});

test('--yes on a tty: nothing is asked, and the selftest runs on the configured (sim) devices', async (t) => {
  const dir = tempDir(t);
  const config = join(dir, 'config.json');
  const tty = Tty.run(t, [
    '--config',
    config,
    '--yes',
    '--terminal-id',
    'kasse-3',
    '--club-id',
    'demo-klub',
    '--broker',
    broker.url,
    '--hardware',
    'sim',
    '--lang',
    'da',
    '--data-dir',
    join(dir, 'data'),
  ]);
  // It says how to leave the selftest out (it waits for a card tap).
  await tty.expect(/Selftest \(--skip-selftest leaves it out\)/);
  await tty.expect(/tap a card on the reader/);
  // The technician taps (again, until the simulated reader has subscribed).
  const hand = await mqtt.connectAsync(broker.url);
  const tap = setInterval(
    () =>
      void hand.publishAsync(topics.simReader('kasse-3'), JSON.stringify({ action: 'tap', uid: '04A23B5C7D2E80' }), {
        qos: 1,
      }),
    200,
  );
  t.teardown(async () => {
    clearInterval(tap);
    await hand.endAsync();
  });
  await tty.expect(/selftest passed/);
  t.is(await tty.exit, 0, tty.text);
  t.regex(tty.text, /card reader +PASS +card \*+2E80/);
  t.regex(tty.text, /display +PASS +100×30/);
  t.regex(tty.text, /broker +PASS +connected/);
  t.regex(tty.text, /selftest +passed/);
  t.false(/\?: $|\]: $/m.test(tty.text), 'no question was asked');
  t.is(JSON.parse(readFileSync(config, 'utf8')).terminalId, 'kasse-3');
});

test('--password-file: the password comes from the file, never from the command line', async (t) => {
  const dir = tempDir(t);
  const config = join(dir, 'config.json');
  const secret = join(dir, 'mqtt-password');
  writeFileSync(secret, 'kodeord-7\n', { mode: 0o600 });
  const args = [
    '--config',
    config,
    '--yes',
    '--skip-selftest',
    '--terminal-id',
    'kasse-7',
    '--club-id',
    'demo-klub',
    '--broker',
    broker.url,
    '--username',
    'kasse-7',
    '--password-file',
    secret,
    '--hardware',
    'sim',
    '--data-dir',
    join(dir, 'data'),
  ];
  const tty = Tty.run(t, args);
  t.is(await tty.exit, 0, tty.text);
  t.like(JSON.parse(readFileSync(config, 'utf8')).broker, { username: 'kasse-7', password: 'kodeord-7' });
  t.false(args.join(' ').includes('kodeord-7'));
  t.false(tty.text.includes('kodeord-7'), 'not printed');

  const both = Tty.run(t, [...args, '--password', 'x']);
  t.is(await both.exit, 64);
  t.regex(both.text, /give --password or --password-file, not both/);
  const missing = Tty.run(
    t,
    args.map((a) => (a === secret ? join(dir, 'nope') : a)),
  );
  t.is(await missing.exit, 65);
  t.regex(missing.text, /--password-file: cannot read .*nope \(ENOENT\)/);
});

test('--yes: a bad or missing value exits non-zero with a clear message and writes nothing', async (t) => {
  const dir = tempDir(t);
  const config = join(dir, 'config.json');
  const run = async (args: string[]) => {
    const tty = Tty.run(t, ['--config', config, '--yes', '--skip-selftest', ...args]);
    return { code: await tty.exit, text: tty.text };
  };
  const bad = await run([
    '--terminal-id',
    'Kasse 1',
    '--club-id',
    'demo-klub',
    '--broker',
    broker.url,
    '--hardware',
    'sim',
    '--data-dir',
    dir,
  ]);
  t.is(bad.code, 65);
  t.regex(bad.text, /klubkort provision: --terminal-id: a terminal id is 1–64 lower-case letters/);
  const missing = await run(['--terminal-id', 'kasse-1', '--broker', broker.url]);
  t.is(missing.code, 65);
  t.regex(missing.text, /--club-id is needed/);
  const notPem = await run([
    '--terminal-id',
    'kasse-1',
    '--club-id',
    'demo-klub',
    '--broker',
    'mqtts://127.0.0.1:8883',
    '--ca',
    config + '.nope',
    '--hardware',
    'sim',
    '--data-dir',
    dir,
  ]);
  t.is(notPem.code, 65);
  t.regex(notPem.text, /--ca: cannot read .*config\.json\.nope: no such file/);
  const unreachable = await run([
    '--terminal-id',
    'kasse-1',
    '--club-id',
    'demo-klub',
    '--broker',
    'mqtt://127.0.0.1:1',
    '--hardware',
    'sim',
    '--data-dir',
    dir,
  ]);
  t.is(unreachable.code, 69);
  t.regex(unreachable.text, /cannot connect to the broker: nothing listens at 127\.0\.0\.1:1/);
  t.false(existsSync(config));
});
