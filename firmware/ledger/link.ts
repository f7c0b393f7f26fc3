// The terminal's MQTT connection to the ledger: persistent session, QoS 1, retained status with a
// will, and every inbound payload validated before anyone sees it.
import { readFileSync } from 'node:fs';
import mqtt, { type MqttClient, type IClientOptions } from 'mqtt';
import { TypedEmitter } from '../../hal/emitter.ts';
import { within } from '../../hal/within.ts';
import type { Logger } from '../log.ts';
import { maskUid, redactUrl } from '../log.ts';
import { topics, parseClubTopic, parseTerminalTopic } from '../../contract/index.ts';
import { coalesceWrites, noDelay } from '../../hal/mqtt-socket.ts';
import {
  CardRecord, Catalog, LedgerStatus, ResultMsg, Roster, StaffRecord, TerminalConfigMsg, CARD_UID, MAX_ROSTER_BYTES, SHA256_HEX, parsePayload,
  StatusMsg, type TxMsg,
} from '../../contract/index.ts';
import type { TerminalConfig } from '../config/schema.ts';
import { FIRMWARE_VERSION } from '../version.ts';

export type LinkEvents = {
  connected: [];
  disconnected: [];
  /** A card record, or null: the card is closed. */
  card: [uid: string, record: CardRecord | null];
  /** Photo bytes as received (checked by the sync), or null: delete. */
  photo: [sha: string, bytes: Buffer | null];
  catalog: [catalog: Catalog];
  /** 1.1: a staff card, or null: removed. */
  staff: [uid: string, record: StaffRecord | null];
  /** 1.1: the roster of every card and staff card the ledger keeps. */
  roster: [roster: Roster];
  config: [config: TerminalConfigMsg | null];
  /** The ledger's retained status (contract 1.1); null when none is kept. */
  ledgerStatus: [state: 'online' | 'offline' | null];
  result: [result: ResultMsg];
  /** This terminal's own status as the broker kept it (retained), read once per connection. */
  ownStatus: [status: StatusMsg];
  /** The subscriptions of a connection are in place (the retained messages follow them). */
  subscribed: [];
};

export interface LinkCounters { received: number; rejected: number; rejectedBy: Record<string, number> }

export function mqttOptions(cfg: Pick<TerminalConfig, 'terminalId' | 'broker'>, will?: StatusMsg): IClientOptions {
  const b = cfg.broker;
  const read = (f?: string) => (f ? readFileSync(f) : undefined);
  return {
    clientId: cfg.terminalId,
    clean: false, // persistent session: the broker queues results while we are away
    protocolVersion: 4,
    keepalive: 15,
    reconnectPeriod: 1000,
    connectTimeout: 5000,
    resubscribe: false, // we subscribe on every connect ourselves (also gets retained records anew)
    username: b.username,
    password: b.password,
    ca: read(b.caFile),
    cert: read(b.certFile),
    key: read(b.keyFile),
    rejectUnauthorized: b.rejectUnauthorized,
    will: will && { topic: topics.status(cfg.terminalId), payload: Buffer.from(JSON.stringify(will)), qos: 1, retain: true },
  };
}

/**
 * A rejected topic fit for the log. It may carry a card UID anywhere, in any case, or whatever a
 * broken publisher put there (a name): every segment but `keep` is masked, hex to its last 4 digits.
 */
export function loggableTopic(topic: string, keep: ReadonlySet<string>): string {
  return topic.split('/').map((s) => (keep.has(s) ? s : /^[0-9A-Fa-f]+$/.test(s) ? maskUid(s) : `<${s.length} chars>`)).join('/');
}

export class LedgerLink extends TypedEmitter<LinkEvents> {
  #client: MqttClient | null = null;
  /** mqtt.js emits `close` after every failed reconnect attempt too: report only real transitions. */
  #up = false;
  readonly counters: LinkCounters = { received: 0, rejected: 0, rejectedBy: {} };

  constructor(private readonly cfg: Pick<TerminalConfig, 'terminalId' | 'clubId' | 'broker'>, private readonly log: Logger) { super(); }

  get connected(): boolean { return this.#client?.connected ?? false; }

  #hold: () => Promise<void> | null = () => null;

  /**
   * Flow control: while `hold` returns a promise, no further inbound message is read or
   * acknowledged (the socket, then the broker, wait). A fresh terminal is sent every retained
   * record and photo of its club at once; without this all of them sat in memory together.
   */
  throttle(hold: () => Promise<void> | null): void { this.#hold = hold; }

  start(): void {
    const { terminalId, clubId } = this.cfg;
    const client = coalesceWrites(noDelay(mqtt.connect(this.cfg.broker.url, mqttOptions(this.cfg, this.#offline()))));
    this.#client = client;
    client.on('connect', () => {
      this.log.info({ broker: redactUrl(this.cfg.broker.url) }, 'connected to broker');
      // The broker sends each filter's retained messages in this order: the terminal's own status
      // (its first status waits for it: restore-check.ts), the ledger's and the config come before
      // a club's thousands of card records and photos, not after them (that made a start take seconds).
      client.subscribe([topics.status(terminalId), topics.ledgerStatus(), topics.config(terminalId), topics.results(terminalId), topics.clubAll(clubId)], { qos: 1 }, (err) => {
        if (err) this.log.warn({ err: err.message }, 'subscribe failed');
        this.emit('subscribed');
      });
      this.#up = true;
      this.emit('connected');
    });
    client.on('close', () => {
      if (!this.#up) return;
      this.#up = false;
      this.emit('disconnected');
    });
    client.on('offline', () => this.log.info('broker unreachable; selling offline'));
    client.on('error', (err) => this.log.warn({ err: err.message }, 'broker connection error'));
    client.on('message', (topic, payload, packet) => this.#route(topic, payload, packet.retain));
    // Reads (and acknowledges) the next inbound message only once the consumer has room.
    client.handleMessage = (_packet, done) => {
      const wait = this.#hold();
      if (wait) void wait.then(() => done(), () => done());
      else done();
    };
  }

  async stop(): Promise<void> {
    const c = this.#client;
    if (!c) return;
    // A clean stop says offline itself (the will only speaks for an unclean end).
    if (c.connected) await within(this.#publish(topics.status(this.cfg.terminalId), JSON.stringify(this.#offline()), true), 1000);
    this.#client = null;
    // Without a connection nothing is in flight worth waiting for (the journal keeps the outbox).
    if (!(await within(c.endAsync(!c.connected), 2000))) c.end(true);
  }

  /** Publishes a tx message; false when not connected (the outbox keeps it for the next connection). */
  sendTx(msg: TxMsg): Promise<boolean> {
    if (!this.connected) return Promise.resolve(false);
    return this.#publish(topics.tx(this.cfg.terminalId), JSON.stringify(msg), false).then(() => true, () => false);
  }

  publishStatus(status: StatusMsg): Promise<boolean> {
    if (!this.connected) return Promise.resolve(false);
    return this.#publish(topics.status(this.cfg.terminalId), JSON.stringify(status), true).then(() => true, () => false);
  }

  /** Drops the connection now (tests, technicians); it reconnects by itself. */
  reconnect(): void { this.#client?.reconnect(); }

  #publish(topic: string, payload: string, retain: boolean): Promise<void> {
    const c = this.#client;
    if (!c) return Promise.reject(new Error('not started'));
    return new Promise((resolve, reject) => c.publish(topic, payload, { qos: 1, retain }, (err) => (err ? reject(err) : resolve())));
  }

  #reject(kind: string, topic: string, error: string): void {
    this.counters.rejected++;
    this.counters.rejectedBy[kind] = (this.counters.rejectedBy[kind] ?? 0) + 1;
    this.log.warn({ kind, topic: loggableTopic(topic, this.#ownWords), error }, 'rejected inbound message');
  }

  /** The contract's words and this terminal's ids: what loggableTopic keeps. */
  get #ownWords(): ReadonlySet<string> {
    return new Set(['klubkort', 'v1', 'clubs', 'terminals', 'cards', 'photos', 'catalog', 'staff', 'roster', 'results', 'config', 'ledger', 'status', this.cfg.clubId, this.cfg.terminalId]);
  }

  /** What every status of this terminal says of its journal (the will's too): set before start(). */
  #mark: { starts?: number; restored?: true } = {};
  markStatus(mark: { starts?: number; restored?: true }): void { this.#mark = mark; }
  get statusMark(): { starts?: number; restored?: true } { return this.#mark; }
  /** The offline status (the will, a clean stop's): still naming the club and version for `klubkort fleet`. */
  #offline(): StatusMsg { return { state: 'offline', version: FIRMWARE_VERSION, club: this.cfg.clubId, ...this.#mark }; }

  #route(topic: string, payload: Buffer, retained = false): void {
    this.counters.received++;
    const { clubId, terminalId } = this.cfg;
    const club = parseClubTopic(topic);
    if (club) {
      if (club.club !== clubId) return this.#reject(club.kind, topic, 'another club');
      if (club.kind === 'card') {
        if (!CARD_UID.test(club.uid)) return this.#reject('card', topic, 'malformed UID in topic');
        if (payload.length === 0) return void this.emit('card', club.uid, null);
        const r = parsePayload(CardRecord, payload);
        if (!r.ok) return this.#reject('card', topic, r.error);
        if (r.value.cardUid !== club.uid) return this.#reject('card', topic, 'cardUid differs from topic');
        return void this.emit('card', club.uid, r.value);
      }
      if (club.kind === 'staff') {
        // A staff record that breaks the schema is rejected whole: logged by path only, counted, nothing changes.
        if (!CARD_UID.test(club.uid)) return this.#reject('staff', topic, 'malformed UID in topic');
        if (payload.length === 0) return void this.emit('staff', club.uid, null);
        const r = parsePayload(StaffRecord, payload);
        if (!r.ok) return this.#reject('staff', topic, r.error);
        if (r.value.cardUid !== club.uid) return this.#reject('staff', topic, 'cardUid differs from topic');
        return void this.emit('staff', club.uid, r.value);
      }
      if (club.kind === 'roster') {
        if (payload.length > MAX_ROSTER_BYTES) return this.#reject('roster', topic, 'larger than 256 KiB');
        const r = parsePayload(Roster, payload);
        if (!r.ok) return this.#reject('roster', topic, r.error);
        return void this.emit('roster', r.value);
      }
      if (club.kind === 'photo') {
        if (!SHA256_HEX.test(club.sha)) return this.#reject('photo', topic, 'malformed hash in topic');
        return void this.emit('photo', club.sha, payload.length === 0 ? null : payload);
      }
      const r = parsePayload(Catalog, payload);
      if (!r.ok) return this.#reject('catalog', topic, r.error);
      return void this.emit('catalog', r.value);
    }
    if (topic === topics.ledgerStatus()) {
      if (payload.length === 0) return void this.emit('ledgerStatus', null);
      const r = parsePayload(LedgerStatus, payload);
      if (!r.ok) return this.#reject('ledgerStatus', topic, r.error);
      return void this.emit('ledgerStatus', r.value.state);
    }
    if (parseTerminalTopic(topic, 'status') === terminalId) {
      // Its own publications come back too: only what the broker had kept counts.
      if (!retained || payload.length === 0) return;
      const r = parsePayload(StatusMsg, payload);
      if (!r.ok) return this.#reject('status', topic, r.error);
      return void this.emit('ownStatus', r.value);
    }
    if (parseTerminalTopic(topic, 'results') === terminalId) {
      const r = parsePayload(ResultMsg, payload);
      if (!r.ok) return this.#reject('result', topic, r.error);
      return void this.emit('result', r.value);
    }
    if (parseTerminalTopic(topic, 'config') === terminalId) {
      if (payload.length === 0) return void this.emit('config', null);
      const r = parsePayload(TerminalConfigMsg, payload);
      if (!r.ok) return this.#reject('config', topic, r.error);
      return void this.emit('config', r.value);
    }
    this.#reject('unknown', topic, 'unexpected topic');
  }
}
