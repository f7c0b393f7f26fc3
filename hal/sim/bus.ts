// The simulated devices' own MQTT connection to the simulator topics (kept apart from the ledger
// link: sim topics exist only on a simulator's broker, never on a club's).
import mqtt, { type MqttClient, type IClientOptions } from 'mqtt';
import type { Logger } from '../../lib/log.ts';
import { within } from '../../lib/within.ts';
import { noDelay } from '../../lib/mqtt-socket.ts';
import type { Timers } from '../../lib/timers.ts';

export class SimBus {
  #client: MqttClient | null = null;
  #handlers = new Map<string, (payload: Buffer) => void>();
  /** Last retained payload per topic, published again after a reconnect. */
  #retained = new Map<string, string>();
  #users = 0;

  constructor(
    private readonly url: string,
    private readonly clientId: string,
    private readonly log: Logger,
    private readonly timers: Timers,
    private readonly opts: IClientOptions = {},
  ) {}

  /** Reference-counted: the first device to start connects, the last to stop disconnects. */
  start(): void {
    if (this.#users++ > 0) return;
    const c = noDelay(
      mqtt.connect(this.url, {
        ...this.opts,
        clientId: this.clientId,
        clean: true,
        reconnectPeriod: 1000,
        connectTimeout: 5000,
      }),
    );
    this.#client = c;
    c.on('connect', () => {
      for (const t of this.#handlers.keys()) c.subscribe(t, { qos: 1 });
      for (const [t, p] of this.#retained) c.publish(t, p, { qos: 1, retain: true });
    });
    c.on('error', (err) => this.log.debug({ err: err.message }, 'sim bus error'));
    c.on('message', (topic, payload) => this.#handlers.get(topic)?.(payload));
  }

  async stop(): Promise<void> {
    if (--this.#users > 0 || !this.#client) return;
    const c = this.#client;
    this.#client = null;
    // Without a connection nothing is in flight worth waiting for (the journal keeps the outbox).
    if (!(await within(c.endAsync(!c.connected), 2000, this.timers))) c.end(true);
  }

  subscribe(topic: string, handler: (payload: Buffer) => void): void {
    this.#handlers.set(topic, handler);
    if (this.#client?.connected) this.#client.subscribe(topic, { qos: 1 });
  }

  publish(topic: string, payload: string, retain: boolean): void {
    if (retain) this.#retained.set(topic, payload);
    if (this.#client?.connected) this.#client.publish(topic, payload, { qos: 1, retain });
  }
}
