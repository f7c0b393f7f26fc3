// The production broker of systemd/mosquitto, for tests: mosquitto run from the example config and
// ACL (temp paths, free ports) with a test CA and certificates made by make-ca.sh and
// issue-terminal-cert.sh, and MQTT clients that log in with those certificates.
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { chmodSync, copyFileSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';
import { startMosquittoConf, freePort, type Mosquitto } from './mosquitto.ts';

export const SYSTEMD = join(process.cwd(), 'systemd');

export const sh = (script: string, ...args: string[]) =>
  execFileSync(join(SYSTEMD, script), args, { encoding: 'utf8' });

/** A temp dir with a CA, the broker's and the ledger's certificates, and for each [terminal, club] its
 *  certificate (in dir/terminal) and its club in the copy of the example ACL (dir/klubkort.acl) and
 *  in the check port's ACL that issue-terminal-cert.sh keeps beside it (dir/klubkort-check.acl). */
export function makePki(terminals: readonly (readonly [terminalId: string, clubId: string])[]): string {
  const dir = mkdtempSync(join(tmpdir(), 'klubkort-acl-'));
  sh('make-ca.sh', join(dir, 'ca'), '127.0.0.1', 'localhost');
  copyFileSync(join(SYSTEMD, 'mosquitto/klubkort.acl'), join(dir, 'klubkort.acl'));
  for (const [t, c] of terminals)
    sh('issue-terminal-cert.sh', '--acl', join(dir, 'klubkort.acl'), join(dir, 'ca'), t, c, join(dir, t));
  // mosquitto reads these after dropping root to its own user (only in this throw-away dir).
  chmodSync(dir, 0o755);
  chmodSync(join(dir, 'ca'), 0o755);
  chmodSync(join(dir, 'ca/broker.key'), 0o644);
  return dir;
}

/** CA, certificate and key of 'ledger' or of a terminal issued by makePki. */
export function tlsFiles(pki: string, identity: string): { ca: Buffer; cert: Buffer; key: Buffer } {
  const [d, ca, base] =
    identity === 'ledger' ? [join(pki, 'ca'), 'ca.crt', 'ledger'] : [join(pki, identity), 'ca.pem', identity];
  return {
    ca: readFileSync(join(d, ca)),
    cert: readFileSync(join(d, `${base}.crt`)),
    key: readFileSync(join(d, `${base}.key`)),
  };
}

/** `tlsUrl`: the terminals' and the ledger's port (8883 in the example); `checkUrl`: the check port (8884). */
export interface TlsBroker {
  pki: string;
  broker: Mosquitto;
  tlsUrl: string;
  checkUrl: string;
  plainUrl: string;
  logFile: string;
}

/**
 * The example config with the PKI's paths and free ports; each directive replaced (every line of
 * it, by its value there) or dropped (`without`, e.g. a control run on mosquitto's default) must be
 * in the example.
 */
function brokerConf(
  pki: string,
  ports: { tls: number; check: number; plain: number },
  stateDir: string,
  without: readonly string[],
): string {
  let conf = readFileSync(join(SYSTEMD, 'mosquitto/klubkort.conf'), 'utf8');
  const swap = (directive: string, value: (old: string) => string | null) => {
    if (!new RegExp(`^${directive} `, 'm').test(conf)) throw new Error(`the example config has no ${directive} line`);
    conf = conf.replace(new RegExp(`^${directive} (.*)$\\n?`, 'gm'), (_line, old: string) => {
      const v = value(old);
      return v === null ? '' : `${directive} ${v}\n`;
    });
  };
  const port: Record<string, number> = { 8883: ports.tls, 8884: ports.check };
  swap('listener', (old) => {
    if (!port[old]) throw new Error(`the example config has a listener on ${old}, unknown to this helper`);
    return `${port[old]} 127.0.0.1`;
  });
  swap('cafile', () => join(pki, 'ca/ca.crt'));
  swap('certfile', () => join(pki, 'ca/broker.crt'));
  swap('keyfile', () => join(pki, 'ca/broker.key'));
  swap('acl_file', (old) => join(pki, basename(old)));
  for (const d of without) swap(d, () => null);
  // Test-only third listener, anonymous and unrestricted: the simulated devices and the test's
  // observer use the sim topics there (per_listener_settings keeps the ACLs to the TLS listeners).
  return (
    conf +
    [
      '',
      `listener ${ports.plain} 127.0.0.1`,
      'allow_anonymous true',
      'persistence true',
      `persistence_location ${stateDir}/`,
      `log_dest file ${join(stateDir, 'mosquitto.log')}`,
      '',
    ].join('\n')
  );
}

export async function startTlsBroker(pki: string, opts: { without?: readonly string[] } = {}): Promise<TlsBroker> {
  const tls = await freePort();
  const check = await freePort();
  let logFile = '';
  const broker = await startMosquittoConf((stateDir, plain) => {
    logFile = join(stateDir, 'mosquitto.log');
    return brokerConf(pki, { tls, check, plain }, stateDir, opts.without ?? []);
  });
  return {
    pki,
    broker,
    tlsUrl: `mqtts://127.0.0.1:${tls}`,
    checkUrl: `mqtts://127.0.0.1:${check}`,
    plainUrl: broker.url,
    logFile,
  };
}

/** An MQTT 3.1.1 client with a certificate of the PKI, recording what it receives. */
export class Identity {
  readonly got: { topic: string; payload: Buffer }[] = [];
  /** Rejects once the broker has closed the connection: nothing sent after that would ever be answered. */
  readonly #lost: Promise<never>;
  /** The CONNACK's session-present flag. */
  sessionPresent = false;

  private constructor(
    readonly id: string,
    readonly client: MqttClient,
  ) {
    // Listening before the CONNACK: a resumed session's queued messages follow it at once.
    client.on('message', (topic, payload) => this.got.push({ topic, payload }));
    this.#lost = new Promise((_, reject) =>
      client.once('close', () => reject(new Error(`the broker closed the connection of ${id}`))),
    );
    this.#lost.catch(() => undefined);
  }

  /**
   * Connects on the terminals' port (or `url`, e.g. the check port) with the certificate of
   * `identity`, asking for `clientId` (default: a probe id of its own), a clean session unless
   * `clean` is false.
   */
  static async connect(
    b: TlsBroker,
    identity: string,
    o: { clientId?: string; clean?: boolean; url?: string } = {},
  ): Promise<Identity> {
    const client = mqtt.connect(o.url ?? b.tlsUrl, {
      clientId: o.clientId ?? `probe-${identity}-${randomUUID().slice(0, 6)}`,
      clean: o.clean ?? true,
      protocolVersion: 4,
      reconnectPeriod: 0,
      ...tlsFiles(b.pki, identity),
    });
    const id = new Identity(identity, client);
    try {
      id.sessionPresent = await new Promise<boolean>((resolve, reject) => {
        client.once('connect', (connack) => resolve(connack.sessionPresent));
        client.once('error', reject);
        id.#lost.catch(reject);
      });
    } catch (e) {
      client.end(true);
      throw e;
    }
    return id;
  }

  /** Resolves once the connection is closed (by the broker, unless `close` came first). */
  closed(): Promise<void> {
    return this.#lost.catch(() => undefined);
  }
  received(topic: string): string[] {
    return this.got.filter((m) => m.topic === topic).map((m) => m.payload.toString());
  }
  async publish(topic: string, payload: string | Buffer, retain = false) {
    await Promise.race([this.client.publishAsync(topic, payload, { qos: 1, retain }), this.#lost]);
  }
  async subscribe(...t: string[]) {
    await Promise.race([this.client.subscribeAsync(t, { qos: 1 }), this.#lost]);
  }
  /** Forced once the connection is gone: a clean end would wait for acks of what was left unanswered. */
  close() {
    return this.client.endAsync(!this.client.connected);
  }
}
