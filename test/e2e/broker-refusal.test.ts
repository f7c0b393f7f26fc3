// Issue 24 item 1: a broker that refuses a connect (CONNACK "not authorized": restarted with its
// password file not yet holding the terminal) was never tried again by mqtt.js. A real mosquitto
// with a password-file listener for the terminal (and an anonymous one for the ledger and the
// simulated devices) restarts without the terminal's login, then gets it back by a SIGHUP: the
// terminal sells offline meanwhile, says why on its status line and in its log, and comes back
// online by itself.
import test from 'ava';
import { execFileSync } from 'node:child_process';
import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { world, inStep } from '../helpers/fixture.ts';
import { startMosquittoConf, freePort } from '../helpers/mosquitto.ts';
import { until } from '../helpers/until.ts';
import { sellDirect } from '../helpers/cashier.ts';
import { logSink } from '../helpers/log-sink.ts';
import { createLogger } from '../../firmware/log.ts';
import * as link from '../../firmware/ledger/link.ts';
import { renderFrame } from '../../firmware/ui/frame.ts';
import { demoChildren, DEMO_CLUB_ID } from '../../sim/demo-club.ts';

const C = DEMO_CLUB_ID;
const USER = 'kasse-1';
const PASSWORD = 'hemmelig-1';

test('the reconnect wait doubles from 1 s and never exceeds 30 s; refusals and socket errors are told apart', (t) => {
  const { reconnectDelay, troubleOf, RECONNECT_MIN_MS, RECONNECT_MAX_MS } = link;
  t.is(
    reconnectDelay(0, () => 0.5),
    RECONNECT_MIN_MS,
  );
  t.is(
    reconnectDelay(1, () => 0.5),
    2 * RECONNECT_MIN_MS,
  );
  for (let n = 0; n < 100; n++) for (const r of [0, 0.5, 0.999]) t.true(reconnectDelay(n, () => r) <= RECONNECT_MAX_MS);
  t.is(
    reconnectDelay(1000, () => 0.5),
    RECONNECT_MAX_MS,
  );
  t.is(
    reconnectDelay(1000, () => 0.999, 2000),
    2000,
    "the config's broker.reconnectMaxSeconds bounds it",
  );
  const coded = (code: unknown) => Object.assign(new Error('x'), { code });
  t.is(troubleOf(coded(5)), 'not_authorized');
  t.is(troubleOf(coded(4)), 'not_authorized');
  t.is(troubleOf(coded(3)), 'unavailable');
  t.is(troubleOf(coded(2)), 'refused');
  t.is(troubleOf(coded('ECONNREFUSED')), 'unreachable');
  t.is(troubleOf(coded('DEPTH_ZERO_SELF_SIGNED_CERT')), 'tls');
});

test('a broker that refuses the terminal for a while: offline sales meanwhile, the reason shown and logged, online again without a restart', async (t) => {
  t.timeout(3 * 60_000);
  let passwords = '';
  let brokerLog = '';
  const terminalPort = await freePort();
  const mq = await startMosquittoConf((dir, port) => {
    passwords = join(dir, 'passwords');
    brokerLog = join(dir, 'mosquitto.log');
    writeFileSync(passwords, '');
    execFileSync('mosquitto_passwd', ['-b', passwords, USER, PASSWORD]);
    chmodSync(passwords, 0o644);
    return [
      'per_listener_settings true',
      `listener ${port} 127.0.0.1`,
      'allow_anonymous true',
      `listener ${terminalPort} 127.0.0.1`,
      'allow_anonymous false',
      `password_file ${passwords}`,
      'persistence true',
      `persistence_location ${dir}/`,
      'autosave_interval 1',
      `log_dest file ${join(dir, 'mosquitto.log')}`,
      '',
    ].join('\n');
  });
  t.teardown(() => mq.close());
  const w = await world(t, { brokerUrl: mq.url });

  const lines: string[] = [];
  const sink = logSink('kasse-1');
  const tee = new Writable({
    write(chunk: Buffer, _e, done) {
      lines.push(...chunk.toString().split('\n').filter(Boolean));
      sink.write(chunk, done);
    },
  });
  const log = createLogger({ level: 'debug', destination: tee }).child({ test: 'broker-refusal' });
  const { terminal } = await w.startTerminal(
    'kasse-1',
    { broker: { url: `mqtt://127.0.0.1:${terminalPort}`, username: USER, password: PASSWORD } },
    { log },
  );
  await inStep(w, terminal);
  const child = demoChildren()
    .map((d) => w.ledger.card(C, d.uid)!)
    .find((c) => c.status === 'active' && c.balance >= 2000)!;

  // The broker restarts with a password file that does not hold the terminal yet.
  await mq.stop();
  execFileSync('mosquitto_passwd', ['-D', passwords, USER]);
  await mq.start();
  const refusals = () => readFileSync(brokerLog, 'utf8').split('disconnected, not authorised').length - 1;
  await until(() => refusals() >= 1, 'the broker refusing the terminal', 30_000);
  // What the cashier and the log were told while refused (checked below).
  await until(() => terminal.link.trouble === 'not_authorized', 'the terminal knowing why', 30_000).catch(
    () => undefined,
  );
  const said = {
    connected: terminal.link.connected,
    online: terminal.controller.screen!.online,
    reason: terminal.controller.screen!.view.offlineReason,
    bar: renderFrame(terminal.controller.screen!, 100, 30, {
      lang: 'da',
      now: new Date(),
      photo: () => ({ kind: 'missing' }),
    })
      .plain()
      .at(-1)!,
    logged: lines.some((l) => /broker connection failed/.test(l) && /"trouble":"not_authorized"/.test(l)),
  };

  // Sold offline meanwhile (the cache was current a moment ago).
  const sale = await sellDirect(terminal, ['1'], child.cardUid);
  t.like(sale.result, { status: 'approved' });
  t.like(await terminal.journal.sales.sale(sale.result!.txId!), { offline: true });
  // Still trying: the broker keeps refusing it (only the terminal uses that listener).
  const seen = refusals();
  await until(() => refusals() > seen, 'another attempt refused', 60_000);

  // The password file is loaded again (SIGHUP): the terminal's next attempt gets in, no restart.
  execFileSync('mosquitto_passwd', ['-b', passwords, USER, PASSWORD]);
  process.kill(mq.pid!, 'SIGHUP');
  await until(() => terminal.link.connected && terminal.offlineClock.online, 'online again without a restart', 60_000);
  t.like(said, { connected: false, online: false, reason: 'not_authorized', logged: true });
  t.regex(said.bar, /Offline: adgang nægtet/, 'the status line said why');
  t.is(terminal.link.trouble, null);
  await until(async () => (await terminal.journal.sales.outbox()).length === 0, 'the offline sale answered');
  t.is(w.ledger.bookings(sale.result!.txId!), 1);
  await until(() => terminal.controller.screen?.online === true, 'the screen online');
  t.is(terminal.controller.screen!.view.offlineReason, null);
});
