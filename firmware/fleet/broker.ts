// The fleet tools on the broker: read every terminal's retained status, publish (or clear) the
// retained `update` announcement of contract 1.2 (draft). A client of its own with a clean
// session; on a klubkort broker its certificate (CN "fleet" or "release") is its identity.
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import { parseTerminalTopic, topics, type UpdateAnnouncement } from '../../contract/index.ts';
import type { Timers } from '../../lib/timers.ts';

export interface BrokerAccess {
  url: string;
  caFile?: string;
  certFile?: string;
  keyFile?: string;
  username?: string;
  password?: string;
}

/** How long the retained statuses may keep arriving after the broker acknowledged the subscriptions. */
const SETTLE_MS = 300;

export async function connectFleet(b: BrokerAccess, timers: Timers, timeoutMs = 10_000): Promise<MqttClient> {
  const read = (f?: string) => (f ? readFileSync(f) : undefined);
  const options: IClientOptions = {
    clientId: `klubkort-fleet-${randomBytes(4).toString('hex')}`,
    clean: true,
    protocolVersion: 4,
    reconnectPeriod: 0,
    connectTimeout: timeoutMs,
    username: b.username,
    password: b.password,
    ca: read(b.caFile),
    cert: read(b.certFile),
    key: read(b.keyFile),
  };
  const client = mqtt.connect(b.url, options);
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = timers.setTimeout(
        () => reject(new Error(`no answer from ${b.url} within ${timeoutMs / 1000} s`)),
        timeoutMs + 500,
      );
      client.once('connect', () => {
        timers.clearTimeout(timer);
        resolve();
      });
      client.once('error', (e) => {
        timers.clearTimeout(timer);
        reject(e);
      });
      client.once('close', () => {
        timers.clearTimeout(timer);
        reject(new Error(`${b.url} closed the connection (is this certificate allowed?)`));
      });
    });
  } catch (e) {
    client.end(true);
    throw e;
  }
  return client;
}

/**
 * Every retained `terminals/+/status` by terminal id. QoS 0: the broker writes the retained
 * messages out as it handles the subscription, before it handles the next one; the SUBACK of a
 * second subscription (to a topic nothing is published on) marks the end, plus a short settle.
 */
export async function readStatuses(client: MqttClient, timers: Timers): Promise<Map<string, Buffer>> {
  const got = new Map<string, Buffer>();
  // Monotonic: the wall clock may jump.
  let last = performance.now();
  const onMessage = (topic: string, payload: Buffer) => {
    const id = parseTerminalTopic(topic, 'status');
    if (id !== null) {
      got.set(id, payload);
      last = performance.now();
    }
  };
  client.on('message', onMessage);
  try {
    await client.subscribeAsync(topics.allStatuses(), { qos: 0 });
    await client.subscribeAsync(`${topics.allStatuses()}/fence-${randomBytes(4).toString('hex')}`, { qos: 0 });
    while (performance.now() - last < SETTLE_MS)
      await new Promise((r) => timers.setTimeout(() => r(undefined), SETTLE_MS / 3));
    await client.unsubscribeAsync(topics.allStatuses());
  } finally {
    client.off('message', onMessage);
  }
  return got;
}

/** Publishes the announcement (null: clears it) to each terminal's retained `update` topic, QoS 1. */
export async function announce(
  client: MqttClient,
  terminals: readonly string[],
  a: UpdateAnnouncement | null,
): Promise<void> {
  const payload = a === null ? '' : JSON.stringify(a);
  for (const t of terminals) await client.publishAsync(topics.update(t), payload, { qos: 1, retain: true });
}
