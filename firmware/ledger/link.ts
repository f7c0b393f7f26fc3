// The terminal's MQTT connection to the ledger: persistent session, QoS 1, retained status with a
// will, and every inbound payload validated before anyone sees it.
import { readFileSync } from 'node:fs';
import mqtt, { type MqttClient, type IClientOptions } from 'mqtt';
import { TypedEmitter } from '../../lib/emitter.ts';
import { within } from '../../lib/within.ts';
import type { Logger } from '../log.ts';
import { maskUid, redactUrl } from '../log.ts';
import { topics, parseClubTopic, parseTerminalTopic } from '../../contract/index.ts';
import { coalesceWrites, noDelay } from '../../lib/mqtt-socket.ts';
import { Redelivery } from './redelivery.ts';
import {
  CardRecord,
  Catalog,
  LedgerStatus,
  ResultMsg,
  Roster,
  StaffRecord,
  TerminalConfigMsg,
  CARD_UID,
  MAX_ROSTER_BYTES,
  SHA256_HEX,
  parsePayload,
  StatusMsg,
  UpdateAnnouncement,
  type OfflineReason,
  type TxMsg,
} from '../../contract/index.ts';
import type { TerminalConfig } from '../config/schema.ts';
import { FIRMWARE_VERSION } from '../version.ts';
import type { Timers } from '../../lib/timers.ts';

export type LinkEvents = {
  connected: [];
  disconnected: [];
  /** A card record, or null: the card is closed. */
  card: [uid: string, record: CardRecord | null];
  /** Photo bytes as received (checked by the sync), or null: delete. */
  photo: [sha: string, bytes: Buffer | null];
  catalog: [catalog: Catalog];
  /** A staff card, or null: removed. */
  staff: [uid: string, record: StaffRecord | null];
  /** The roster of every card and staff card the ledger keeps. */
  roster: [roster: Roster];
  config: [config: TerminalConfigMsg | null];
  /**
   * The ledger's status (contract 1.1), once per message; null when the broker keeps none (an
   * empty payload, or no retained status where the connection's retained messages passed it).
   * `since`: when the ledger's connection began (online only): a new one tells the ledger connected again.
   */
  ledgerStatus: [state: 'online' | 'offline' | null, since?: string | null];
  /** Why the last connection attempt failed, or null once connected (the status line and the log say it). */
  trouble: [trouble: LinkTrouble | null];
  result: [result: ResultMsg];
  /** This terminal's own status as the broker kept it (retained), read once per connection. */
  ownStatus: [status: StatusMsg];
  /** The subscriptions of a connection are in place (the retained messages follow them). */
  subscribed: [];
  /** 1.2: the release announced for this terminal (retained), or null: none wanted. */
  update: [announcement: UpdateAnnouncement | null];
};

export interface LinkCounters {
  /** Messages from the ledger's side handed on (each once: see redelivered); not the terminal's own status coming back. */
  received: number;
  /** Of those, retained records a subscription brought (every connection and refetch brings them all again). */
  retained: number;
  rejected: number;
  rejectedBy: Record<string, number>;
  /** Copies the broker sent again of messages already handed on (unacknowledged when a connection ended), dropped. */
  redelivered: number;
}

/** What keeps the link from the broker (the ledger's own status is the offline clock's). */
export type LinkTrouble = Exclude<OfflineReason, 'ledger_offline'>;

/**
 * Reconnect waits: the first after RECONNECT_MIN_MS, each failed attempt doubling it up to the
 * config's `broker.reconnectMaxSeconds` (default RECONNECT_MAX_MS), back to the first once
 * connected. A refusing or absent broker is not hammered by a fleet, and a terminal is back at most
 * that long (+ a connect) after its broker is.
 */
export const RECONNECT_MIN_MS = 1000;
export const RECONNECT_MAX_MS = 30_000;

/** The wait before the next attempt after `failures` failed ones in a row; ±20 % so a fleet does not come back in step. */
export function reconnectDelay(failures: number, random: () => number = Math.random, maxMs = RECONNECT_MAX_MS): number {
  const base = RECONNECT_MIN_MS * 2 ** Math.min(Math.max(failures, 0), 16);
  return Math.round(Math.min(maxMs, base * (0.8 + 0.4 * random())));
}

/**
 * Why a connection attempt failed, from mqtt.js's error: a CONNACK refusal carries the MQTT 3.1.1
 * return code (a number), a socket or TLS failure Node's error code (a string).
 */
export function troubleOf(err: Error & { code?: unknown }): LinkTrouble {
  const code = err.code;
  if (typeof code === 'number')
    return code === 3 ? 'unavailable' : code === 4 || code === 5 ? 'not_authorized' : 'refused';
  if (typeof code === 'string' && /CERT|SSL|TLS|SELF_SIGNED|UNABLE_TO_(GET|VERIFY)/.test(code)) return 'tls';
  return 'unreachable';
}
export function mqttOptions(
  cfg: Pick<TerminalConfig, 'terminalId'> & { broker: Omit<TerminalConfig['broker'], 'reconnectMaxSeconds'> },
  will?: StatusMsg,
): IClientOptions {
  const b = cfg.broker;
  const read = (f?: string) => (f ? readFileSync(f) : undefined);
  return {
    clientId: cfg.terminalId,
    clean: false, // persistent session: the broker queues results while we are away
    protocolVersion: 4,
    keepalive: 15,
    // The link stretches it after every failed attempt (reconnectDelay): mqtt.js's own timer
    // (setInterval: monotonic, whatever the wall clock does) waits it.
    reconnectPeriod: RECONNECT_MIN_MS,
    // mqtt.js gives up for good after a CONNACK refusal without this: a broker restarting with its
    // password file or ACL not yet loaded, or at max_connections, would keep the terminal away until a restart.
    reconnectOnConnackError: true,
    connectTimeout: 5000,
    resubscribe: false, // we subscribe on every connect ourselves (also gets retained records anew)
    username: b.username,
    password: b.password,
    ca: read(b.caFile),
    cert: read(b.certFile),
    key: read(b.keyFile),
    rejectUnauthorized: b.rejectUnauthorized,
    will: will && {
      topic: topics.status(cfg.terminalId),
      payload: Buffer.from(JSON.stringify(will)),
      qos: 1,
      retain: true,
    },
  };
}

/**
 * A rejected topic fit for the log. It may carry a card UID anywhere, in any case, or whatever a
 * broken publisher put there (a name): every segment but `keep` is masked, hex to its last 4 digits.
 */
export function loggableTopic(topic: string, keep: ReadonlySet<string>): string {
  return topic
    .split('/')
    .map((s) => (keep.has(s) ? s : /^[0-9A-Fa-f]+$/.test(s) ? maskUid(s) : `<${s.length} chars>`))
    .join('/');
}

/** What one connection (from its CONNACK to its end) has seen so far. */
interface Connection {
  /** A message on the ledger's status topic came (or a later retained record showed there is none). */
  ledgerSeen: boolean;
  /**
   * The connect's retained messages are past the ledger's status, so past this terminal's own
   * (subscribed before it): a retained status of its own from now on answers a refetch.
   */
  headPassed: boolean;
  /** This terminal's status was published on this connection: the broker holds one, retained. */
  statusStored: boolean;
  /** A refetch waiting for its end (see refetch()). */
  refetched: ((done: boolean) => void) | null;
}

export class LedgerLink extends TypedEmitter<LinkEvents> {
  #client: MqttClient | null = null;
  /** mqtt.js emits `close` after every failed reconnect attempt too: report only real transitions. */
  #up = false;
  #conn: Connection | null = null;
  /** Refetches waiting for a connection fit for them (null: the link stopped). */
  #waiting: ((c: Connection | null) => void)[] = [];
  /** Attempts that failed since the last connection. */
  #failures = 0;
  #trouble: LinkTrouble | null = null;
  readonly counters: LinkCounters = { received: 0, retained: 0, rejected: 0, rejectedBy: {}, redelivered: 0 };
  readonly #redelivery = new Redelivery();

  constructor(
    private readonly cfg: Pick<TerminalConfig, 'terminalId' | 'clubId' | 'broker'>,
    private readonly log: Logger,
    private readonly timers: Timers,
  ) {
    super();
  }

  get connected(): boolean {
    return this.#client?.connected ?? false;
  }

  /** Why the terminal is not connected (the last failure), or null while connected or before the first attempt ended. */
  get trouble(): LinkTrouble | null {
    return this.#trouble;
  }

  #hold: () => Promise<void> | null = () => null;

  /**
   * Flow control: while `hold` returns a promise, no further inbound message is read or
   * acknowledged (the socket, then the broker, wait). A fresh terminal is sent every retained
   * record and photo of its club at once; without this all of them sat in memory together.
   */
  throttle(hold: () => Promise<void> | null): void {
    this.#hold = hold;
  }

  start(): void {
    const { terminalId, clubId } = this.cfg;
    const client = coalesceWrites(noDelay(mqtt.connect(this.cfg.broker.url, mqttOptions(this.cfg, this.#offline()))));
    this.#client = client;
    client.on('connect', () => {
      this.log.info({ failedAttempts: this.#failures, broker: redactUrl(this.cfg.broker.url) }, 'connected to broker');
      this.#failures = 0;
      client.options.reconnectPeriod = reconnectDelay(0);
      this.#setTrouble(null);
      this.#conn = { ledgerSeen: false, headPassed: false, statusStored: false, refetched: null };
      // The broker sends each filter's retained messages in this order: the terminal's own status
      // (its first status waits for it: restore-check.ts), the ledger's, the config and (1.2) the update come before
      // a club's thousands of card records and photos, not after them (that made a start take seconds).
      client.subscribe(
        [
          topics.status(terminalId),
          topics.ledgerStatus(),
          topics.config(terminalId),
          topics.update(terminalId),
          topics.results(terminalId),
          topics.clubAll(clubId),
        ],
        { qos: 1 },
        (err) => {
          if (err) this.log.warn({ err: err.message }, 'subscribe failed');
          this.emit('subscribed');
        },
      );
      this.#up = true;
      this.emit('connected');
    });
    // An attempt begins: the wait before the one after it, should this one fail, grows.
    client.on('reconnect', () => {
      client.options.reconnectPeriod = reconnectDelay(
        ++this.#failures,
        Math.random,
        this.cfg.broker.reconnectMaxSeconds * 1000,
      );
    });
    client.on('close', () => {
      this.#redelivery.ended();
      const conn = this.#conn;
      this.#conn = null;
      conn?.refetched?.(false);
      // A connection that ends without an error (the broker stopped, a keepalive lost): unreachable until an attempt says more.
      if (!this.#up) return;
      this.#up = false;
      this.#setTrouble('unreachable');
      this.emit('disconnected');
    });
    client.on('offline', () => this.log.info('broker unreachable; selling offline'));
    client.on('error', (err) => {
      // Stopping (a write after the end): nothing to tell.
      if (this.#client !== client)
        return void this.log.debug({ err: err.message }, 'broker connection error while stopping');
      // A connection that stays up (an error on a write): no trouble to show.
      if (client.connected) return void this.log.warn({ err: err.message }, 'broker connection error');
      const trouble = troubleOf(err);
      if (!this.#setTrouble(trouble)) this.log.debug({ err: err.message, trouble }, 'broker connection error');
      else
        this.log.warn(
          { err: err.message, trouble, retryInMs: client.options.reconnectPeriod },
          'broker connection failed; selling offline, trying again',
        );
    });
    client.on('message', (topic, payload, packet) => {
      // Read after its connection ended (mqtt.js still works through what it had parsed): not
      // handed on and not acknowledged (below), so the broker sends it again on the next one.
      if (!this.#conn) return;
      if (this.#redelivery.again(packet.messageId, topic, payload)) {
        this.counters.redelivered++;
        return;
      }
      // The terminal's own status (what it published, back to it) is not counted as received.
      if (topic !== topics.status(terminalId)) {
        this.counters.received++;
        if (packet.retain) this.counters.retained++;
      }
      this.#route(topic, payload, packet.retain);
    });
    // Reads (and acknowledges) the next inbound message only once the consumer has room. A message
    // of a connection that ended meanwhile is not acknowledged: mqtt.js would queue that PUBACK for
    // the next connection, where it acknowledged the copy the broker sends again before it came
    // (and aedes drops a client that acknowledges the copy then: "no such packet").
    client.handleMessage = (_packet, done) => {
      const conn = this.#conn;
      const ack = () =>
        conn && this.#conn === conn ? done() : done(new Error('connection ended before the acknowledgement'));
      const wait = conn ? this.#hold() : null;
      if (wait !== null) void wait.then(ack, ack);
      else ack();
    };
  }

  /** True when the trouble changed (told to listeners). */
  #setTrouble(trouble: LinkTrouble | null): boolean {
    if (trouble === this.#trouble) return false;
    this.#trouble = trouble;
    this.emit('trouble', trouble);
    return true;
  }

  /**
   * Asks the broker again for every retained record of the club and this terminal's config, on
   * the live connection: for a cache that failed to store some of what it was sent (sync.ts). The
   * same SUBSCRIBE names this terminal's own status last, so its retained status (published on
   * this connection before the SUBSCRIBE goes out) comes after all of them: brokers send one
   * SUBSCRIBE's retained messages filter by filter (mosquitto queues them so, aedes streams them so).
   * Resolves true once that status came (everything before it was handed on), false when the
   * connection ended first or the link stopped. It waits for a connection whose own retained
   * messages are past this terminal's status (else that one could be taken for the end).
   */
  async refetch(): Promise<boolean> {
    const c = await this.#fitForRefetch();
    const client = this.#client;
    if (!c || !client || c.refetched) return false;
    const { terminalId, clubId } = this.cfg;
    return new Promise<boolean>((resolve) => {
      c.refetched = (done) => {
        c.refetched = null;
        resolve(done);
      };
      this.log.info('fetching the retained records again');
      client.subscribe(
        [topics.config(terminalId), topics.clubAll(clubId), topics.status(terminalId)],
        { qos: 1 },
        (err) => {
          if (err) {
            this.log.warn({ err: err.message }, 'subscribe failed');
            c.refetched?.(false);
          }
        },
      );
    });
  }

  /** The live connection once it is fit for a refetch (now, or when one is); null when the link stopped. */
  #fitForRefetch(): Promise<Connection | null> {
    if (!this.#client) return Promise.resolve(null);
    const c = this.#conn;
    if (c?.headPassed && c.statusStored) return Promise.resolve(c);
    return new Promise((resolve) => this.#waiting.push(resolve));
  }

  /** Something a waiting refetch needs changed: they go once the connection is fit. */
  #connChanged(): void {
    const c = this.#conn;
    if (!this.#waiting.length || !c?.headPassed || !c.statusStored) return;
    for (const w of this.#waiting.splice(0)) w(c);
  }

  async stop(): Promise<void> {
    const c = this.#client;
    if (!c) return;
    // A clean stop says offline itself (the will only speaks for an unclean end).
    if (c.connected)
      await within(
        this.#publish(topics.status(this.cfg.terminalId), JSON.stringify(this.#offline()), true),
        1000,
        this.timers,
      );
    this.#client = null;
    for (const w of this.#waiting.splice(0)) w(null);
    this.#conn?.refetched?.(false);
    // Without a connection nothing is in flight worth waiting for (the journal keeps the outbox).
    if (!(await within(c.endAsync(!c.connected), 2000, this.timers))) c.end(true);
  }

  /** Publishes a tx message; false when not connected (the outbox keeps it for the next connection). */
  sendTx(msg: TxMsg): Promise<boolean> {
    if (!this.connected) return Promise.resolve(false);
    return this.#publish(topics.tx(this.cfg.terminalId), JSON.stringify(msg), false).then(
      () => true,
      () => false,
    );
  }

  publishStatus(status: StatusMsg): Promise<boolean> {
    const conn = this.#conn;
    if (!this.connected || !conn) return Promise.resolve(false);
    return this.#publish(topics.status(this.cfg.terminalId), JSON.stringify(status), true).then(
      () => {
        // Acknowledged: the broker keeps it (a refetch's end mark).
        if (!conn.statusStored) {
          conn.statusStored = true;
          this.#connChanged();
        }
        return true;
      },
      () => false,
    );
  }

  /** Drops the connection now, as a lost network would (tests, technicians); it reconnects by itself. */
  reconnect(): void {
    this.#client?.stream?.destroy();
  }

  #publish(topic: string, payload: string, retain: boolean): Promise<void> {
    const c = this.#client;
    if (!c) return Promise.reject(new Error('not started'));
    return new Promise((resolve, reject) =>
      c.publish(topic, payload, { qos: 1, retain }, (err) => (err ? reject(err) : resolve())),
    );
  }

  #reject(kind: string, topic: string, error: string): void {
    this.counters.rejected++;
    this.counters.rejectedBy[kind] = (this.counters.rejectedBy[kind] ?? 0) + 1;
    this.log.warn({ kind, topic: loggableTopic(topic, this.#ownWords), error }, 'rejected inbound message');
  }

  /** The contract's words and this terminal's ids: what loggableTopic keeps. */
  get #ownWords(): ReadonlySet<string> {
    return new Set([
      'klubkort',
      'v1',
      'clubs',
      'terminals',
      'cards',
      'photos',
      'catalog',
      'staff',
      'roster',
      'results',
      'config',
      'update',
      'ledger',
      'status',
      this.cfg.clubId,
      this.cfg.terminalId,
    ]);
  }

  /** What every status of this terminal says of its journal (the will's too): set before start(). */
  #mark: { starts?: number; restored?: true } = {};
  markStatus(mark: { starts?: number; restored?: true }): void {
    this.#mark = mark;
  }
  get statusMark(): { starts?: number; restored?: true } {
    return this.#mark;
  }
  /** The offline status (the will, a clean stop's): still naming the club and version for `klubkort fleet`. */
  #offline(): StatusMsg {
    return { state: 'offline', version: FIRMWARE_VERSION, club: this.cfg.clubId, ...this.#mark };
  }

  /**
   * The connection's retained messages, in the connect's filter order (own status, ledger status,
   * config, results, club): one of a filter after the ledger's while none of the ledger's came
   * means the broker keeps no ledger status (a 1.0 ledger): known as none, not awaited for ever.
   * Messages queued in the session meanwhile come without the retain flag and tell nothing.
   */
  #retained(c: Connection, topic: string): void {
    if (topic === topics.status(this.cfg.terminalId)) {
      // A refetch's end (its promise goes on only after this message is routed, everything before it too).
      if (c.headPassed) c.refetched?.(true);
      return;
    }
    if (c.headPassed) return;
    c.headPassed = true;
    if (topic !== topics.ledgerStatus() && !c.ledgerSeen) {
      c.ledgerSeen = true;
      this.emit('ledgerStatus', null);
    }
    this.#connChanged();
  }

  #route(topic: string, payload: Buffer, retained = false): void {
    const { clubId, terminalId } = this.cfg;
    const conn = this.#conn;
    if (conn && retained) this.#retained(conn, topic);
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
      if (conn) conn.ledgerSeen = true;
      if (payload.length === 0) return void this.emit('ledgerStatus', null);
      const r = parsePayload(LedgerStatus, payload);
      if (!r.ok) return this.#reject('ledgerStatus', topic, r.error);
      return void this.emit('ledgerStatus', r.value.state, r.value.state === 'online' ? r.value.since : null);
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
    if (parseTerminalTopic(topic, 'update') === terminalId) {
      if (payload.length === 0) return void this.emit('update', null);
      const r = parsePayload(UpdateAnnouncement, payload);
      if (!r.ok) return this.#reject('update', topic, r.error);
      return void this.emit('update', r.value);
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
