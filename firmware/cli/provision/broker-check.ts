// Connects to the broker once with a terminal's settings (mqttOptions, so exactly the TLS and login
// the daemon will use) and says in plain words why it failed. Also looks for the club's retained
// catalog: that it arrives shows the broker lets this identity read its club.
// A klubkort broker gives every connection of its terminals' port the certificate's CN as client id
// (use_identity_as_username, use_username_as_clientid), so any connection there with the
// terminal's certificate would take over the terminal's session. The check goes to the broker's
// check port instead, where the same certificate gets an id of its own ("CN=kasse-2").
import { randomBytes } from 'node:crypto';
import mqtt, { type IClientOptions } from 'mqtt';
import { mqttOptions } from '../../ledger/link.ts';
import { topics } from '../../../contract/index.ts';
import type { TerminalConfig } from '../../config/schema.ts';
import type { Timers } from '../../../lib/timers.ts';

export interface BrokerCheck {
  /** Null when connected, else why not. */
  problem: string | null;
  /** Connected, but something looks wrong. */
  warning: string | null;
}

export interface BrokerCheckOptions {
  timeoutMs?: number;
  /** How long to wait for the club's retained catalog; 0: do not look. */
  catalogWaitMs?: number;
}

/** A check connects once: no reconnect wait to know. */
type Cfg = Pick<TerminalConfig, 'terminalId' | 'clubId'> & {
  broker: Omit<TerminalConfig['broker'], 'reconnectMaxSeconds'>;
};

/** The example broker's check port (systemd/mosquitto/klubkort.conf). */
export const CHECK_PORT = 8884;

/** The check port of a broker URL: the same host, port 8884. */
export function defaultCheckUrl(url: string): string {
  const u = new URL(url);
  u.port = String(CHECK_PORT);
  return u.toString();
}

/**
 * Where the check connects: `checkUrl`, else the check port for a TLS URL with a client
 * certificate (a klubkort broker), else the broker URL itself (a broker that lets a client choose
 * its id: the check's own id then leaves the terminal's session alone).
 */
export function checkUrlOf(b: Pick<Cfg['broker'], 'url' | 'checkUrl' | 'certFile'>): string {
  if (b.checkUrl) return b.checkUrl;
  return b.certFile && /^mqtts:/.test(b.url) ? defaultCheckUrl(b.url) : b.url;
}

export async function checkBroker(cfg: Cfg, timers: Timers, o: BrokerCheckOptions = {}): Promise<BrokerCheck> {
  const timeoutMs = o.timeoutMs ?? 8000;
  let options: IClientOptions;
  try {
    options = mqttOptions(cfg);
  } catch (e) {
    return { problem: `cannot read a TLS file: ${(e as Error).message}`, warning: null };
  }
  const url = checkUrlOf(cfg.broker);
  // Its own client id (or the one the check port gives) and a clean session: the terminal's
  // persistent session stays untouched, and a running daemon is not thrown off.
  const client = mqtt.connect(url, {
    ...options,
    clientId: `${cfg.terminalId}-check-${randomBytes(3).toString('hex')}`,
    clean: true,
    will: undefined,
    reconnectPeriod: 0,
    connectTimeout: timeoutMs,
  });
  const found = await new Promise<string | null>((resolve) => {
    const timer = timers.setTimeout(
      () => resolve(`no answer from ${hostOf(url)} within ${timeoutMs / 1000} s`),
      timeoutMs + 500,
    );
    const done = (p: string | null) => {
      timers.clearTimeout(timer);
      resolve(p);
    };
    client.once('connect', () => done(null));
    client.once('error', (err) => done(explain(err, url)));
    client.once('close', () =>
      done(
        `${hostOf(url)} closed the connection before accepting it${
          isTls(url) ? ': it may not accept this client certificate' : ' (a TLS port? then use mqtts://)'
        }`,
      ),
    );
  });
  const problem =
    found !== null && url !== cfg.broker.url
      ? `${found}; tested on the broker's check port ${url} (docs/deploy.md)`
      : found;
  const catalogWaitMs = o.catalogWaitMs ?? 3000;
  const warning =
    problem === null && catalogWaitMs > 0 ? await catalogWarning(client, cfg.clubId, catalogWaitMs, timers) : null;
  await client.endAsync(true).catch(() => undefined);
  return { problem, warning };
}

async function catalogWarning(
  client: mqtt.MqttClient,
  clubId: string,
  ms: number,
  timers: Timers,
): Promise<string | null> {
  const got = new Promise<boolean>((resolve) => {
    const timer = timers.setTimeout(() => resolve(false), ms);
    client.on('message', (topic) => {
      if (topic === topics.catalog(clubId)) {
        timers.clearTimeout(timer);
        resolve(true);
      }
    });
  });
  try {
    await client.subscribeAsync(topics.catalog(clubId), { qos: 1 });
  } catch (e) {
    return `cannot subscribe to the club's topics: ${(e as Error).message}`;
  }
  return (await got)
    ? null
    : `no catalog for club ${clubId} arrived within ${ms / 1000} s: check the club id, that the ledger has published this club, and that the broker's ACL gives this terminal the club`;
}

const isTls = (url: string) => /^(mqtts|wss):/.test(url);

function hostOf(url: string): string {
  try {
    const u = new URL(url);
    return `${u.hostname}:${u.port || (isTls(url) ? '8883' : '1883')}`;
  } catch {
    return url;
  }
}

const TLS_CA = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'UNABLE_TO_GET_ISSUER_CERT',
]);

/** The technician's reading of a connect error (a socket, TLS or CONNACK error). */
export function explain(err: Error & { code?: string | number }, url: string): string {
  const host = hostOf(url);
  const code = err.code;
  if (code === 4) return 'the broker refused the username or password';
  if (code === 5) return 'the broker refused this terminal: not authorised (wrong credentials or certificate)';
  if (typeof code === 'number') return `the broker refused the connection: ${err.message}`;
  if (code === 'ECONNREFUSED') return `nothing listens at ${host} (connection refused)`;
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return `host ${host.replace(/:\d+$/, '')} not found (DNS)`;
  if (code === 'ETIMEDOUT' || code === 'EHOSTUNREACH' || code === 'ENETUNREACH')
    return `${host} cannot be reached (${code})`;
  if (code === 'ECONNRESET' || code === 'EPIPE') {
    return `${host} dropped the connection: ${isTls(url) ? 'not its TLS port, or it does not accept this client certificate' : 'a TLS port? then use mqtts://'}`;
  }
  if (code && TLS_CA.has(code)) return `the broker's certificate is not signed by the CA file given (${code})`;
  if (code === 'ERR_TLS_CERT_ALTNAME_INVALID')
    return `the broker's certificate is not made out for ${host.replace(/:\d+$/, '')}`;
  if (code === 'CERT_HAS_EXPIRED') return "the broker's certificate has expired";
  if (code === 'ERR_SSL_WRONG_VERSION_NUMBER')
    return `${host} does not speak TLS on this port (use mqtt:// or the TLS port)`;
  if (/CERTIFICATE_REQUIRED/.test(String(code))) return 'the broker requires a client certificate';
  if (/UNKNOWN_CA|BAD_CERTIFICATE|CERTIFICATE_UNKNOWN/.test(String(code)))
    return 'the broker rejects this client certificate (not from its CA?)';
  return `${err.message}${code ? ` (${code})` : ''}`;
}
