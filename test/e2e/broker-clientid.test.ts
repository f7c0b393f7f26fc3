// Client ids on the production broker of systemd/mosquitto, for real (mosquitto from the example
// config, certificates from make-ca.sh and issue-terminal-cert.sh). A certificate can hold no
// client id but its own CN on the terminals' port, so no other terminal can throw kasse-2 off or
// take over or wipe its persistent session; and `klubkort provision` and `selftest` test kasse-2's
// certificate on the check port while kasse-2's daemon stays connected, its session untouched.
// "The daemon" is kasse-2's certificate connecting exactly as the daemon does (client id kasse-2,
// persistent session, its results subscribed), on a connection that never reconnects by itself,
// so that a takeover shows; "the ledger" publishes its results (QoS 1) and its club's catalog.
import test from 'ava';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Identity, makePki, startTlsBroker, type TlsBroker } from '../helpers/tls-broker.ts';
import { until } from '../helpers/until.ts';
import { topics } from '../../contract/index.ts';
import { checkUrlOf } from '../../firmware/cli/provision/broker-check.ts';

const CLUB = 'demo-klub';
const OTHER_CLUB = 'other-klub';
const RESULTS = topics.results('kasse-2');

let b: TlsBroker;
let ledger: Identity;
test.before(async () => {
  b = await startTlsBroker(
    makePki([
      ['kasse-2', CLUB],
      ['kasse-9', OTHER_CLUB],
    ]),
  );
  ledger = await Identity.connect(b, 'ledger');
  await ledger.publish(topics.catalog(CLUB), JSON.stringify({ version: 1, items: [] }), true);
});
test.after.always(async () => {
  await ledger?.close();
  await b?.broker.close();
  if (b) rmSync(b.pki, { recursive: true, force: true });
});

async function daemon(): Promise<Identity> {
  const d = await Identity.connect(b, 'kasse-2', { clientId: 'kasse-2', clean: false });
  await d.subscribe(RESULTS);
  return d;
}

/** The ledger sends kasse-2 a result and kasse-2's daemon gets it on this very connection. */
async function roundTrip(d: Identity, tag: string): Promise<void> {
  await ledger.publish(RESULTS, tag);
  await d.publish(topics.status('kasse-2'), JSON.stringify({ state: 'online' })); // rejects if the broker dropped it
  await until(() => d.received(RESULTS).includes(tag), `the result ${tag} on the daemon's connection`);
}

/** A result queued in kasse-2's session while its daemon is away; then `meanwhile`; then the daemon is back. */
async function queuedWhileAway(tag: string, meanwhile: () => Promise<void>): Promise<Identity> {
  const away = await daemon();
  await away.close();
  await ledger.publish(RESULTS, tag);
  await meanwhile();
  return daemon();
}

test.serial(
  "another terminal's certificate asking for client id kasse-2 gets its own CN: kasse-2 stays connected, its session intact",
  async (t) => {
    const d = await daemon();
    t.teardown(() => d.close());
    const thief = await Identity.connect(b, 'kasse-9', { clientId: 'kasse-2', clean: true });
    t.teardown(() => thief.close());
    await roundTrip(d, 'after-thief');
    // The thief holds kasse-9's id: kasse-9's next connection, whatever id it asks for, takes it over.
    const next = await Identity.connect(b, 'kasse-9', { clientId: 'anything' });
    t.teardown(() => next.close());
    await thief.closed();
    t.pass('kasse-9 asking for "anything" took over the connection that had asked for kasse-2');
    await d.close();

    // A clean session asked for as kasse-2 (would wipe kasse-2's), then a persistent one (would take
    // it over, and the broker would drop the results that kasse-9 may not read).
    const back = await queuedWhileAway('queued-1', async () => {
      for (const clean of [true, false])
        (await Identity.connect(b, 'kasse-9', { clientId: 'kasse-2', clean })).client.end(true);
    });
    t.teardown(() => back.close());
    t.true(back.sessionPresent, "kasse-2's persistent session is still there");
    await until(() => back.received(RESULTS).includes('queued-1'), 'the result queued while kasse-2 was away');
    // The client id the daemon asked for was its own: it works as before.
    await roundTrip(back, 'own-id');
  },
);

function klubkort(args: string[]): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, ['bin/klubkort.js', ...args], { encoding: 'utf8' }, (err, stdout, stderr) =>
      resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, out: stdout + stderr }),
    );
  });
}

test.serial(
  "provision and the selftest test kasse-2's certificate on the check port: the daemon stays connected, its session intact",
  async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'klubkort-check-'));
    t.teardown(() => rmSync(dir, { recursive: true, force: true }));
    const config = join(dir, 'config.json');
    const src = join(b.pki, 'kasse-2');
    const provision = (checkUrl: string) =>
      klubkort([
        'provision',
        '--yes',
        '--skip-selftest',
        '--hardware',
        'sim',
        '--config',
        config,
        '--terminal-id',
        'kasse-2',
        '--club-id',
        CLUB,
        '--broker',
        b.tlsUrl,
        '--check-url',
        checkUrl,
        '--data-dir',
        join(dir, 'data'),
        '--ca',
        join(src, 'ca.pem'),
        '--cert',
        join(src, 'kasse-2.crt'),
        '--key',
        join(src, 'kasse-2.key'),
      ]);

    // The selftest's broker check reads the config provision wrote (its check URL among it). With
    // simulated devices and no card it fails as a whole; its broker line is what counts here.
    const selftest = async () => {
      const r = await klubkort(['selftest', '--config', config, '--wait-card', '1']);
      t.regex(r.out, /^broker +PASS +connected$/m, r.out);
    };

    const d = await daemon();
    t.teardown(() => d.close());
    const first = await provision(b.checkUrl);
    t.is(first.code, 0, first.out);
    // The catalog came: the check connected with kasse-2's certificate, and its club is kasse-2's.
    t.regex(first.out, /broker +mqtts:\/\/\S+ \(connected, club catalog received\)/);
    t.regex(first.out, new RegExp(`checked on +${b.checkUrl}`));
    await selftest();
    await roundTrip(d, 'after-provision');
    await d.close();

    const back = await queuedWhileAway('queued-2', async () => {
      const again = await provision(b.checkUrl);
      t.is(again.code, 0, again.out);
      await selftest();
    });
    t.teardown(() => back.close());
    t.true(back.sessionPresent, "kasse-2's persistent session is still there");
    await until(
      () => back.received(RESULTS).includes('queued-2'),
      'the result queued while provision and the selftest ran',
    );

    // Control: the same check on the terminals' port gets kasse-2's own id and throws the daemon off.
    const onTerminalPort = await provision(b.tlsUrl);
    t.is(onTerminalPort.code, 0, onTerminalPort.out);
    await back.closed();
  },
);

test("where a check connects: the config's checkUrl, else the check port of a TLS broker with a certificate, else the broker URL", (t) => {
  const url = 'mqtts://broker.example.dk:8883';
  t.is(checkUrlOf({ url, certFile: '/etc/klubkort/kasse-2.crt' }), 'mqtts://broker.example.dk:8884');
  t.is(
    checkUrlOf({ url, certFile: '/etc/klubkort/kasse-2.crt', checkUrl: 'mqtts://check.example.dk:9000' }),
    'mqtts://check.example.dk:9000',
  );
  t.is(checkUrlOf({ url }), url, 'no certificate: a broker that lets the check choose its own id');
  t.is(checkUrlOf({ url: 'mqtt://127.0.0.1:1883', certFile: '/x.crt' }), 'mqtt://127.0.0.1:1883');
});
