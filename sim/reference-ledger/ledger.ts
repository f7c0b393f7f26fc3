// The reference ledger as an MQTT service: publishes the retained club state, books tx messages
// (booking.ts) and answers them, plus technician hooks and admin commands for tests and the simulator.
// Everything that changes state runs one job at a time, so a card's records go out in version order.
import type { IClientOptions } from 'mqtt';
import type { Db, Queryable } from '../../firmware/journal/db.ts';
import {
  CardRules,
  Catalog,
  CONTRACT_DEFAULTS,
  MAX_PHOTO_BYTES,
  TerminalConfigMsg,
  TxMsg,
  parsePayload,
  type CardRecord,
  type Roster,
  type StaffRecord,
} from '../../contract/index.ts';
import { localDay } from '../../firmware/rules/local-day.ts';
import { parseTerminalTopic, topics } from '../../contract/index.ts';
import { createLogger, maskUid, type Logger } from '../../firmware/log.ts';
import { ADMIN_REPLY_TOPIC, ADMIN_TOPIC, AdminCommand, type AdminReply } from './admin-protocol.ts';
import { applyToCard, bookTx } from './booking.ts';
import { MqttLink } from './link.ts';
import { Mirror } from './mirror.ts';
import { changedCard } from './rules.ts';
import { insertCard, insertStaff, registerTerminal, seedClubs, storePhoto } from './seed.ts';
import * as store from './store.ts';
import type { SunKeys } from './card-auth.ts';
import type { CardSeed, ClubSeed, LedgerCounters, LedgerEntry, StaffSeed } from './types.ts';

export type { CardSeed, ClubSeed, LedgerCounters, LedgerEntry, StaffSeed };

/** A change of the parents' rules; an absent field stays as it is. */
export interface RulesChange {
  dailyLimit?: number | null;
  block?: string[];
  unblock?: string[];
  note?: string | null;
}

export interface LedgerOptions {
  brokerUrl: string;
  dbPath: string;
  /** Seed: only clubs and cards not in the database yet are added. */
  clubs?: ClubSeed[];
  logger?: Logger;
  /** Passed to mqtt.js; `clientId` defaults to `ledger-sim`. The session is always persistent. */
  mqttOptions?: IClientOptions;
  /** The club's time zone, for its local day (`spent`, daily limits); default Europe/Copenhagen. */
  timeZone?: string;
  /** The ledger's clock (tests inject one to cross midnight). */
  now?: () => Date;
  /** The master key and system id `sun` cards are diversified from (card-auth.ts); without it no `sun` card verifies. */
  sun?: SunKeys;
}

export interface Ledger {
  readonly counters: Readonly<LedgerCounters>;
  /** Hooks resolve once the change is committed and, while connected, the broker has its records. */
  topUp(clubId: string, uid: string, amount: number): Promise<CardRecord>;
  block(clubId: string, uid: string): Promise<CardRecord>;
  unblock(clubId: string, uid: string): Promise<CardRecord>;
  /** Deletes the card; empty retained payloads on its topic and on its photo's if no other card shows it. */
  closeCard(clubId: string, uid: string): Promise<void>;
  addCard(clubId: string, card: CardSeed): Promise<CardRecord>;
  /** The card is now (or again) a `sun` card, e.g. after the desk personalised its NTAG 424 DNA; sunCounter starts at 0. */
  setAuth(clubId: string, uid: string, auth: 'uid' | 'sun'): Promise<CardRecord>;
  /**
   * The office replaces a card's photo (null: none). The new bytes are published before the record
   * that names them; the old photo's topic is emptied when no card of the club shows it any more
   * (contract: an empty payload deletes it), so no terminal keeps the old face.
   */
  setPhoto(clubId: string, uid: string, photo: Buffer | null): Promise<CardRecord>;
  /** The parents' portal changes a card's rules or note. */
  setRules(clubId: string, uid: string, change: RulesChange): Promise<CardRecord>;
  /** The club office adds or removes a staff card; the roster follows. */
  addStaff(clubId: string, staff: StaffSeed): Promise<StaffRecord>;
  removeStaff(clubId: string, uid: string): Promise<void>;
  staff(clubId: string): StaffRecord[];
  roster(clubId: string): Roster | null;
  setCatalog(clubId: string, catalog: Catalog): Promise<void>;
  setTerminalConfig(terminalId: string, cfg: TerminalConfigMsg): Promise<void>;
  /** Contract § Access: the club office registers a terminal with its club (again: no change; with another club: refused). */
  addTerminal(clubId: string, terminalId: string): Promise<void>;
  /** The terminals registered with the club. */
  terminals(clubId: string): string[];
  /** The current record (committed state), or null if there is no such card. */
  card(clubId: string, uid: string): CardRecord | null;
  cards(clubId: string): CardRecord[];
  /** Sale debits (0 or 1) or void refunds booked under this txId; a reversal's refund is not counted. */
  bookings(txId: string): number;
  /** Every money movement booked for a tx message, in order (top-ups are not tx bookings). */
  history(): LedgerEntry[];
  /** Disconnects; the broker keeps the session, so tx messages sent meanwhile arrive on resume(). */
  pause(): Promise<void>;
  resume(): Promise<void>;
  /** Sends each result this long after booking it (a slow ledger); later messages do not wait. */
  setReplyDelay(ms: number): void;
  /** Sends every result twice (a duplicating network). */
  setDuplicateResults(on: boolean): void;
  stop(): Promise<void>;
}

class ReferenceLedger implements Ledger {
  readonly counters: LedgerCounters = { accepted: 0, rejected: 0 };
  readonly #db: Db;
  readonly #log: Logger;
  readonly #link: MqttLink;
  #chain: Promise<unknown> = Promise.resolve();
  #outstanding = new Set<Promise<void>>();
  // Committed state mirrored in memory (see mirror.ts); every change to it follows a commit.
  readonly #mirror: Mirror;
  #replyDelay = 0;
  readonly #delayed = new Set<NodeJS.Timeout>();
  #duplicateResults = false;
  #stopped = false;
  readonly #clock: () => Date;
  readonly #timeZone: string;
  readonly #sunKeys: SunKeys | null;

  constructor(db: Db, mirror: Mirror, opts: LedgerOptions) {
    this.#clock = opts.now ?? (() => new Date());
    this.#timeZone = opts.timeZone ?? CONTRACT_DEFAULTS.timeZone;
    this.#sunKeys = opts.sun ?? null;
    this.#db = db;
    this.#mirror = mirror;
    this.#log = (opts.logger ?? createLogger()).child({ part: 'ledger-sim' });
    this.#link = new MqttLink(
      opts.brokerUrl,
      { clientId: 'ledger-sim', ...opts.mqttOptions },
      [topics.tx('+'), ADMIN_TOPIC],
      (topic, payload) => this.#serial(() => this.#onMessage(topic, payload)),
      this.#log,
      () => void this.#serial(() => this.#publishAll()),
      // Contract 1.1 § Ledger status: retained, the will says offline. A pause (a ledger that
      // stops answering) keeps saying online; a stop says offline.
      {
        topic: topics.ledgerStatus(),
        online: () => JSON.stringify({ state: 'online', since: this.#now() }),
        offline: JSON.stringify({ state: 'offline' }),
      },
    );
  }

  async start(): Promise<void> {
    // Queued before connecting, so the state goes out ahead of any answer to a queued tx.
    await this.#serial(() => this.#publishAll());
    await this.#link.open();
    await this.#settled();
  }

  #now(): string {
    return this.#clock().toISOString();
  }

  /** Runs jobs one at a time. A job never waits for the broker: it would hold up the inbound stream. */
  #serial<T>(job: () => Promise<T>): Promise<T> {
    const run = this.#chain.then(job);
    this.#chain = run.catch(() => undefined);
    return run;
  }

  #publish(topic: string, payload: Buffer | string, retain: boolean): void {
    const p = this.#link.publish(topic, payload, retain);
    this.#outstanding.add(p);
    void p.then(() => this.#outstanding.delete(p));
  }

  /** Waits until the broker has everything published so far (not while paused: that waits for resume). */
  async #settled(): Promise<void> {
    if (this.#link.isOpen) await Promise.all(this.#outstanding);
  }

  async #hook<T>(job: () => Promise<T>): Promise<T> {
    const out = await this.#serial(job);
    await this.#settled();
    return out;
  }

  /** Records a committed card change in the mirror and publishes it (retained). */
  #cardChanged(clubId: string, card: CardRecord): void {
    this.#mirror.setCard(clubId, card);
    this.#publish(topics.card(clubId, card.cardUid), JSON.stringify(card), true);
  }

  async #publishAll(): Promise<void> {
    const q = this.#db;
    for (const p of await store.listPhotos(q)) this.#publish(topics.photo(p.club_id, p.sha), p.bytes, true);
    for (const c of await store.listCards(q))
      this.#publish(topics.card(c.clubId, c.card.cardUid), JSON.stringify(c.card), true);
    for (const s of await store.listStaff(q))
      this.#publish(topics.staff(s.clubId, s.staff.cardUid), JSON.stringify(s.staff), true);
    for (const clubId of await store.listClubs(q)) {
      const r = await store.getRoster(q, clubId);
      if (r) this.#publish(topics.roster(clubId), JSON.stringify(r), true);
    }
    for (const c of await store.listCatalogs(q))
      this.#publish(topics.catalog(c.clubId), JSON.stringify(c.catalog), true);
    for (const t of await store.listTerminalConfigs(q))
      this.#publish(topics.config(t.terminalId), JSON.stringify(t.config), true);
  }

  async #onMessage(topic: string, payload: Buffer): Promise<void> {
    if (this.#stopped) throw new Error('ledger stopped'); // left unacknowledged for the next start
    if (topic === ADMIN_TOPIC) return this.#onAdmin(payload);
    const terminalId = parseTerminalTopic(topic, 'tx');
    if (terminalId !== null) return this.#onTx(terminalId, payload);
  }

  async #onTx(terminalId: string, payload: Buffer): Promise<void> {
    const parsed = parsePayload(TxMsg, payload);
    const error = parsed.ok
      ? parsed.value.terminalId === terminalId
        ? null
        : 'terminalId differs from topic'
      : parsed.error;
    if (!parsed.ok || error !== null) {
      this.counters.rejected++;
      this.#log.warn({ terminalId: terminalId.slice(0, 64), error }, 'tx rejected');
      return;
    }
    const msg = parsed.value;
    this.counters.accepted++;
    // Declined below (Access); said here so that the club office sees the terminal it has to register.
    if (this.#mirror.terminalClub(terminalId) === null)
      this.#log.warn({ terminalId }, 'tx from a terminal not registered with any club: declined');
    // One statement, committed when it returns (see booking.ts); jobs run one at a time, as it needs.
    const at = this.#clock();
    const outcome = await bookTx(
      this.#db,
      this.#mirror,
      msg,
      { now: at.toISOString(), today: localDay(at, this.#timeZone) },
      this.#sunKeys,
    );
    this.#mirror.addTxId(msg.txId); // whatever was stored under it, it is committed now
    this.#mirror.addEntries(outcome.entries);
    // The card record first: the result names its version. Records are never delayed, so the
    // retained record of a card only ever goes up in version.
    for (const c of outcome.changed) this.#cardChanged(c.clubId, c.card);
    const result = JSON.stringify(outcome.result);
    const copies = this.#duplicateResults ? 2 : 1;
    this.#later(() => {
      for (let i = 0; i < copies; i++) this.#publish(topics.results(terminalId), result, false);
    });
    const r = outcome.result;
    this.#log.info(
      {
        txId: msg.txId,
        type: msg.type,
        terminalId,
        card: 'cardUid' in msg ? maskUid(msg.cardUid) : undefined,
        status: r.status,
        reason: r.reason,
        cashier: msg.type !== 'reversal' ? (msg.cashierId ?? null) : undefined,
      },
      'tx answered',
    );
  }

  /** Runs `send` after the reply delay; later messages are booked and answered meanwhile. */
  #later(send: () => void): void {
    if (this.#replyDelay <= 0) return send();
    const timer = setTimeout(() => {
      this.#delayed.delete(timer);
      send();
    }, this.#replyDelay);
    this.#delayed.add(timer);
  }

  async #onAdmin(payload: Buffer): Promise<void> {
    let id = '';
    let cmdName: string | undefined;
    let reply: Omit<AdminReply, 'id'>;
    try {
      const raw: unknown = JSON.parse(payload.toString('utf8'));
      if (raw && typeof raw === 'object' && 'id' in raw && typeof raw.id === 'string') id = raw.id;
      const cmd = AdminCommand.safeParse(raw);
      if (!cmd.success)
        throw new Error(`bad command: ${cmd.error.issues.map((i) => i.path.join('.') || '(root)').join(', ')}`);
      cmdName = cmd.data.cmd;
      reply = { ok: true, data: await this.#runAdmin(cmd.data) };
    } catch (err) {
      reply = { ok: false, error: err instanceof Error ? err.message : String(err) };
    }
    this.#log.info({ id, cmd: cmdName, ok: reply.ok, error: reply.error }, 'admin command');
    this.#publish(ADMIN_REPLY_TOPIC, JSON.stringify({ id, ...reply }), false);
  }

  async #runAdmin(c: AdminCommand): Promise<unknown> {
    if (c.cmd === 'list') return this.cards(c.clubId);
    if (c.cmd === 'staff-list') return this.staff(c.clubId);
    if (c.cmd === 'terminal-list')
      return this.terminals(c.clubId).map((terminalId) => ({ terminalId, clubId: c.clubId }));
    if (c.cmd === 'terminal-add') {
      if (c.terminalId === undefined) throw new Error('terminalId missing');
      return this.#addTerminal(c.clubId, c.terminalId);
    }
    if (c.uid === undefined) throw new Error('uid missing');
    switch (c.cmd) {
      case 'rules':
        return this.#setRules(c.clubId, c.uid, c.rules ?? {});
      case 'staff-add':
        if (!c.staff) throw new Error('staff missing');
        return this.#addStaff(c.clubId, { cardUid: c.uid, ...c.staff });
      case 'staff-remove':
        await this.#removeStaff(c.clubId, c.uid);
        return { cardUid: c.uid };
      case 'topup':
        if (c.amount === undefined) throw new Error('amount missing');
        return this.#topUp(c.clubId, c.uid, c.amount);
      case 'auth':
        if (!c.auth) throw new Error('auth missing');
        return this.#setAuth(c.clubId, c.uid, c.auth);
      case 'block':
        return this.#setStatus(c.clubId, c.uid, 'blocked');
      case 'unblock':
        return this.#setStatus(c.clubId, c.uid, 'active');
      case 'close':
        await this.#close(c.clubId, c.uid);
        return { cardUid: c.uid };
    }
  }

  // --- state changes; each runs inside a job ---

  async #existing(q: Queryable, clubId: string, uid: string): Promise<CardRecord> {
    const card = await store.getCard(q, clubId, uid);
    if (!card) throw new Error('unknown card');
    return card;
  }

  async #topUp(clubId: string, uid: string, amount: number): Promise<CardRecord> {
    if (!Number.isSafeInteger(amount) || amount <= 0) throw new Error('amount must be a positive integer of øre');
    const after = await this.#db.tx(async (q) => {
      const card = await this.#existing(q, clubId, uid);
      const at = this.#now();
      await store.addTopUp(q, clubId, uid, amount, at);
      return applyToCard(q, clubId, card, amount, at);
    });
    this.#cardChanged(clubId, after);
    return after;
  }

  async #setStatus(clubId: string, uid: string, status: CardRecord['status']): Promise<CardRecord> {
    const card = await this.#db.tx(async (q) => {
      const before = await this.#existing(q, clubId, uid);
      if (before.status === status) return null;
      const after = changedCard(before, { status }, this.#now());
      await store.putCard(q, clubId, after);
      return after;
    });
    if (!card) return this.#existing(this.#db, clubId, uid);
    this.#cardChanged(clubId, card);
    return card;
  }

  async #setAuth(clubId: string, uid: string, auth: 'uid' | 'sun'): Promise<CardRecord> {
    if (auth === 'sun' && !/^[0-9A-F]{14}$/.test(uid)) throw new Error('a sun card (NTAG 424 DNA) has a 7-byte UID');
    const after = await this.#db.tx(async (q) => {
      const card = await this.#existing(q, clubId, uid);
      const { auth: _a, sunCounter: _s, ...rest } = changedCard(card, {}, this.#now());
      // A card already `sun` keeps its counter: the chip's never goes back.
      const next: CardRecord =
        auth === 'sun'
          ? { ...rest, auth, sunCounter: card.auth === 'sun' ? (card.sunCounter ?? 0) : 0 }
          : { ...rest, auth };
      await store.putCard(q, clubId, next);
      return next;
    });
    this.#cardChanged(clubId, after);
    return after;
  }

  async #setPhoto(clubId: string, uid: string, photo: Buffer | null): Promise<CardRecord> {
    if (photo && photo.length > MAX_PHOTO_BYTES) throw new Error(`a photo is at most ${MAX_PHOTO_BYTES} bytes`);
    const changed = await this.#db.tx(async (q) => {
      const before = await this.#existing(q, clubId, uid);
      const { sha, newPhoto } = await storePhoto(q, clubId, photo);
      if (before.photo === sha) return null;
      const after: CardRecord = { ...changedCard(before, {}, this.#now()), photo: sha };
      await store.putCard(q, clubId, after);
      const dropped = before.photo !== null && (await store.dropPhotoIfUnused(q, clubId, before.photo));
      return { after, newPhoto, dropped: dropped ? before.photo : null };
    });
    if (!changed) return this.#existing(this.#db, clubId, uid);
    const { after, newPhoto, dropped } = changed;
    if (newPhoto && photo && after.photo) this.#publish(topics.photo(clubId, after.photo), photo, true);
    this.#cardChanged(clubId, after);
    if (dropped) this.#publish(topics.photo(clubId, dropped), '', true);
    return after;
  }

  async #close(clubId: string, uid: string): Promise<void> {
    const droppedPhoto = await this.#db.tx(async (q) => {
      const card = await this.#existing(q, clubId, uid);
      await store.deleteCard(q, clubId, card);
      return card.photo !== null && (await store.dropPhotoIfUnused(q, clubId, card.photo)) ? card.photo : null;
    });
    this.#mirror.deleteCard(clubId, uid);
    this.#publish(topics.card(clubId, uid), '', true);
    if (droppedPhoto) this.#publish(topics.photo(clubId, droppedPhoto), '', true);
    await this.#rosterChanged(clubId);
  }

  /** The roster goes out after every change of who is on it. */
  async #rosterChanged(clubId: string): Promise<void> {
    const roster = await this.#db.tx((q) => store.bumpRoster(q, clubId, this.#now()));
    this.#mirror.setRoster(clubId, roster);
    this.#publish(topics.roster(clubId), JSON.stringify(roster), true);
  }

  async #setRules(clubId: string, uid: string, change: RulesChange): Promise<CardRecord> {
    // A category the catalog does not have would block nothing: a typo the parent must hear of.
    const known = this.#mirror.categories(clubId);
    const missing = (change.block ?? []).filter((c) => !known.includes(c));
    if (missing.length)
      throw new Error(`the club's catalog has no category ${missing.join(', ')}; it has ${known.join(', ') || 'none'}`);
    const after = await this.#db.tx(async (q) => {
      const card = await this.#existing(q, clubId, uid);
      const r = card.rules ?? {};
      const blocked = new Set(r.blockedCategories ?? []);
      for (const c of change.block ?? []) blocked.add(c);
      for (const c of change.unblock ?? []) blocked.delete(c);
      const rules = CardRules.parse({
        dailyLimit: change.dailyLimit !== undefined ? change.dailyLimit : (r.dailyLimit ?? null),
        blockedCategories: [...blocked],
        note: change.note !== undefined ? change.note : (r.note ?? null),
      });
      const next = changedCard(card, { rules }, this.#now());
      await store.putCard(q, clubId, next);
      return next;
    });
    this.#cardChanged(clubId, after);
    return after;
  }

  async #addTerminal(clubId: string, terminalId: string): Promise<{ terminalId: string; clubId: string }> {
    if (!this.#mirror.clubKnown(clubId)) throw new Error('unknown club');
    await this.#db.tx((q) => registerTerminal(q, terminalId, clubId));
    this.#mirror.setTerminalClub(terminalId, clubId);
    return { terminalId, clubId };
  }

  async #addStaff(clubId: string, seed: StaffSeed): Promise<StaffRecord> {
    const staff = await this.#db.tx((q) => insertStaff(q, clubId, seed, this.#now()));
    this.#mirror.addClub(clubId);
    this.#mirror.setStaff(clubId, staff);
    this.#publish(topics.staff(clubId, staff.cardUid), JSON.stringify(staff), true);
    await this.#rosterChanged(clubId);
    return staff;
  }

  async #removeStaff(clubId: string, uid: string): Promise<void> {
    await this.#db.tx(async (q) => {
      const staff = await store.getStaff(q, clubId, uid);
      if (!staff) throw new Error('unknown staff card');
      await store.deleteStaff(q, clubId, staff);
    });
    this.#mirror.deleteStaff(clubId, uid);
    this.#publish(topics.staff(clubId, uid), '', true);
    await this.#rosterChanged(clubId);
  }

  // --- Ledger ---

  topUp(clubId: string, uid: string, amount: number) {
    return this.#hook(() => this.#topUp(clubId, uid, amount));
  }
  block(clubId: string, uid: string) {
    return this.#hook(() => this.#setStatus(clubId, uid, 'blocked'));
  }
  unblock(clubId: string, uid: string) {
    return this.#hook(() => this.#setStatus(clubId, uid, 'active'));
  }
  closeCard(clubId: string, uid: string) {
    return this.#hook(() => this.#close(clubId, uid));
  }

  addCard(clubId: string, seed: CardSeed): Promise<CardRecord> {
    return this.#hook(async () => {
      const { card, newPhoto } = await this.#db.tx((q) => insertCard(q, clubId, seed, this.#now()));
      if (newPhoto && card.photo && seed.photo) this.#publish(topics.photo(clubId, card.photo), seed.photo, true);
      this.#mirror.addClub(clubId);
      this.#cardChanged(clubId, card);
      await this.#rosterChanged(clubId);
      return card;
    });
  }

  setCatalog(clubId: string, catalog: Catalog): Promise<void> {
    const valid = Catalog.parse(catalog);
    return this.#hook(async () => {
      await this.#db.tx(async (q) => {
        await store.addClub(q, clubId);
        await store.putCatalog(q, clubId, valid);
      });
      this.#mirror.addClub(clubId);
      this.#mirror.setCatalog(clubId, valid);
      this.#publish(topics.catalog(clubId), JSON.stringify(valid), true);
    });
  }

  setTerminalConfig(terminalId: string, cfg: TerminalConfigMsg): Promise<void> {
    const valid = TerminalConfigMsg.parse(cfg);
    return this.#hook(async () => {
      await this.#db.tx((q) => store.putTerminalConfig(q, terminalId, valid));
      this.#mirror.setTerminalConfig(terminalId, valid);
      this.#publish(topics.config(terminalId), JSON.stringify(valid), true);
    });
  }

  async addTerminal(clubId: string, terminalId: string): Promise<void> {
    await this.#hook(() => this.#addTerminal(clubId, terminalId));
  }
  terminals(clubId: string): string[] {
    return this.#mirror.terminalsOf(clubId);
  }

  setAuth(clubId: string, uid: string, auth: 'uid' | 'sun') {
    return this.#hook(() => this.#setAuth(clubId, uid, auth));
  }
  setPhoto(clubId: string, uid: string, photo: Buffer | null) {
    return this.#hook(() => this.#setPhoto(clubId, uid, photo));
  }
  setRules(clubId: string, uid: string, change: RulesChange) {
    return this.#hook(() => this.#setRules(clubId, uid, change));
  }
  addStaff(clubId: string, staff: StaffSeed) {
    return this.#hook(() => this.#addStaff(clubId, staff));
  }
  removeStaff(clubId: string, uid: string) {
    return this.#hook(() => this.#removeStaff(clubId, uid));
  }
  staff(clubId: string): StaffRecord[] {
    return this.#mirror.staffOf(clubId);
  }
  roster(clubId: string): Roster | null {
    return this.#mirror.roster(clubId);
  }

  card(clubId: string, uid: string): CardRecord | null {
    return this.#mirror.card(clubId, uid);
  }
  cards(clubId: string): CardRecord[] {
    return this.#mirror.cards(clubId);
  }
  bookings(txId: string): number {
    return this.#mirror.entries().filter((e) => e.txId === txId && e.type !== 'reversal').length;
  }
  history(): LedgerEntry[] {
    return [...this.#mirror.entries()];
  }

  async pause(): Promise<void> {
    await this.#serial(async () => undefined);
    await this.#link.close();
  }

  async resume(): Promise<void> {
    await this.#link.open();
    await this.#settled();
  }

  setReplyDelay(ms: number): void {
    this.#replyDelay = Math.max(0, ms);
  }
  setDuplicateResults(on: boolean): void {
    this.#duplicateResults = on;
  }

  async stop(): Promise<void> {
    if (this.#stopped) return;
    await this.#serial(async () => {
      this.#stopped = true;
    });
    for (const timer of this.#delayed) clearTimeout(timer); // those answers are lost, as in a crash
    await this.#link.close(JSON.stringify({ state: 'offline' }));
    this.#link.discardPending();
    await this.#db.close();
  }
}

export async function startLedger(opts: LedgerOptions): Promise<Ledger> {
  const db = await store.openStore(opts.dbPath);
  const clock = opts.now ?? (() => new Date());
  const timeZone = opts.timeZone ?? CONTRACT_DEFAULTS.timeZone;
  try {
    await seedClubs(db, opts.clubs ?? [], clock().toISOString());
    const ledger = new ReferenceLedger(db, await Mirror.load(db, (iso) => localDay(new Date(iso), timeZone)), opts);
    await ledger.start();
    return ledger;
  } catch (err) {
    await db.close();
    throw err;
  }
}
