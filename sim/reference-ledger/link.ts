// The ledger's MQTT connection: a persistent session that can be closed and reopened (pause/resume),
// publishes that wait in order while it is closed, and incoming messages acknowledged only after the
// handler succeeded, so a message the ledger did not book is delivered again.
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import type { Logger } from '../../firmware/log.ts';
import { noDelay } from '../../lib/mqtt-socket.ts';

interface Pending {
  topic: string;
  payload: Buffer | string;
  retain: boolean;
  settle: () => void;
}

export class MqttLink {
  #client: MqttClient | null = null;
  /** Clients closed on purpose: mqtt.js may still finish a reconnect it had begun, and say so. */
  readonly #ended = new WeakSet<MqttClient>();
  #pending: Pending[] = [];
  /** Sent, not yet acknowledged: a close without a broker puts them back in `#pending`. */
  readonly #inFlight = new Set<Pending>();
  #everConnected = false;

  constructor(
    private readonly url: string,
    private readonly options: IClientOptions,
    private readonly subscriptions: string[],
    /** Called for one message at a time; must not wait for broker acknowledgements (it holds the inbound stream). */
    private readonly onMessage: (topic: string, payload: Buffer) => Promise<void>,
    private readonly log: Logger,
    /** Called when the broker had no session for us after we had one: it lost its state (and its retained messages). */
    private readonly onSessionLost: () => void = () => undefined,
    /** A retained status: `online()` published at every connection (ahead of anything else), `offline` as its will. */
    private readonly status?: { topic: string; online: () => string; offline: string },
  ) {}

  get isOpen(): boolean {
    return this.#client !== null;
  }

  /**
   * QoS 1. Resolves when the broker has the message; while the link is closed the message waits
   * (in publish order) and the promise settles once it went out after reopening.
   */
  publish(topic: string, payload: Buffer | string, retain: boolean): Promise<void> {
    return new Promise((settle) => {
      if (this.#client) this.#send(this.#client, { topic, payload, retain, settle });
      else this.#pending.push({ topic, payload, retain, settle });
    });
  }

  #send(client: MqttClient, p: Pending): void {
    this.#inFlight.add(p);
    client.publishAsync(p.topic, p.payload, { qos: 1, retain: p.retain }).then(
      () => {
        if (this.#inFlight.delete(p)) p.settle();
      },
      (err: Error) => {
        if (!this.#inFlight.delete(p)) return; // put back by a close: it goes again
        this.log.error({ err: err.message }, 'publish failed');
        p.settle();
      },
    );
  }

  async open(): Promise<void> {
    if (this.#client) return;
    const st = this.status;
    const will = st && { topic: st.topic, payload: Buffer.from(st.offline), qos: 1 as const, retain: true };
    const client = noDelay(mqtt.connect(this.url, { ...this.options, will, clean: false, manualConnect: true }));
    let ready!: () => void;
    const connected = new Promise<void>((r) => (ready = r));
    // Queued messages arrive right after CONNACK; they wait until the pending publishes went first.
    client.handleMessage = (packet, done) => {
      const payload = typeof packet.payload === 'string' ? Buffer.from(packet.payload) : packet.payload;
      connected
        .then(() => this.onMessage(packet.topic, payload))
        .then(
          () => done(),
          // Not acknowledged: the broker delivers it again when the session resumes.
          (err: unknown) => {
            this.log.error({ err: String(err) }, 'message handler failed');
            done(err instanceof Error ? err : new Error(String(err)));
          },
        );
    };
    // mqtt.js retries by itself; one line per outage, not one per attempt.
    client.on('error', (err) => this.log.debug({ err: err.message }, 'mqtt error'));
    client.on('offline', () => this.log.warn('broker unreachable; retrying'));
    client.on('connect', (connack) => {
      // A client closed while mqtt.js reconnected it (a pause right after a broker restart) must not
      // come back as the link's: its stores close once its end is through, and the next open
      // would find the link open and do nothing.
      if (this.#ended.has(client)) return;
      this.log.info({ sessionPresent: connack.sessionPresent }, 'connected to broker');
      if (!connack.sessionPresent && this.#everConnected) this.onSessionLost();
      this.#everConnected = true;
      // Every connection (mqtt.js reconnects by itself) says online again: the will may have said offline.
      if (st) this.#send(client, { topic: st.topic, payload: st.online(), retain: true, settle: () => undefined });
      if (this.#client === client) return;
      this.#client = client;
      for (const p of this.#pending.splice(0)) this.#send(client, p);
      ready();
    });
    client.connect();
    await connected;
    await client.subscribeAsync(this.subscriptions, { qos: 1 });
  }

  /**
   * Disconnects cleanly; the broker keeps the session and queues what arrives meanwhile. `saying`:
   * a last retained status first (a clean end sends no will).
   */
  async close(saying?: string): Promise<void> {
    const client = this.#client;
    if (!client) return;
    this.#client = null;
    this.#ended.add(client);
    // mqtt.js ended in the middle of a reconnect arms the next one when that attempt closes: a
    // client reconnecting for ever under the ledger's id would take its session from the next one.
    client.options.reconnectPeriod = 0;
    // Without a broker the status cannot go out (the will says it); a QoS 1 publish would wait for one forever.
    if (saying !== undefined && this.status && client.connected)
      await client.publishAsync(this.status.topic, saying, { qos: 1, retain: true }).catch(() => undefined);
    if (client.connected) return void (await client.endAsync(false));
    // No broker: a clean end would wait for acknowledgements that cannot come (a pause then never
    // ended). What is in flight goes again, first, after the next open: QoS 1 is at least once.
    this.#pending.unshift(...this.#inFlight);
    this.#inFlight.clear();
    await client.endAsync(true);
  }

  /** Gives up publishes that are still waiting (on stop). */
  discardPending(): void {
    for (const p of this.#pending.splice(0)) p.settle();
    for (const p of this.#inFlight) p.settle();
    this.#inFlight.clear();
  }
}
