// The terminal: config → journal → ledger link → sale controller → hardware. Every dependency is
// passed in, so a test builds a whole terminal with simulated devices and a temporary journal.
import type { Logger } from '../log.ts';
import type { TerminalConfig } from '../config/schema.ts';
import { stopHardware, type Hardware } from '../../hal/types.ts';
import { Journal } from '../journal/journal.ts';
import { LedgerLink } from '../ledger/link.ts';
import { LedgerSync } from '../ledger/sync.ts';
import { Forwarder } from '../ledger/forwarder.ts';
import type { TerminalConfigMsg } from '../../contract/index.ts';
import { Authoriser } from '../sale/authoriser.ts';
import { SaleController } from '../sale/controller.ts';
import type { TerminalStatus } from '../sale/screen.ts';
import { FIRMWARE_VERSION } from '../version.ts';
import { within } from '../../hal/within.ts';

const LAST_ONLINE = 'last_online_at';
const HEARTBEAT_MS = 60_000;

export interface TerminalDeps {
  config: TerminalConfig;
  hardware: Hardware;
  log: Logger;
  now?: () => Date;
}

export interface TerminalSnapshot {
  terminalId: string;
  online: boolean;
  queue: number;
  lastOnlineAt: string | null;
  reader: 'ready' | 'unplugged';
  screen: string | null;
  rejected: number;
  cards: number;
}

export class Terminal {
  readonly journal: Journal;
  readonly link: LedgerLink;
  readonly sync: LedgerSync;
  readonly forwarder: Forwarder;
  readonly controller: SaleController;
  #ledgerConfig: TerminalConfigMsg | null = null;
  #queue = 0;
  #since = '';
  #lastOnline: number | null = null;
  #heartbeat: NodeJS.Timeout | null = null;
  #purge: NodeJS.Timeout | null = null;
  #now: () => Date;

  private constructor(private readonly d: TerminalDeps, journal: Journal) {
    const { config, log, hardware } = d;
    this.#now = d.now ?? (() => new Date());
    this.journal = journal;
    this.link = new LedgerLink(config, log.child({ part: 'link' }));
    this.sync = new LedgerSync(this.link, journal, log.child({ part: 'sync' }));
    this.forwarder = new Forwarder(this.link, journal, log.child({ part: 'forward' }), config.outbox.resendAfterMs);
    const authoriser = new Authoriser({
      terminalId: config.terminalId, clubId: config.clubId, journal, sync: this.sync,
      forward: () => this.#kick(false),
      connected: () => this.link.connected,
      offlineForSeconds: () => this.offlineForSeconds(),
      limits: () => this.limits(),
      now: this.#now,
      log: log.child({ part: 'sale' }),
    });
    this.controller = new SaleController({
      hw: hardware, journal, authoriser,
      status: () => this.#status(),
      maxPurchase: () => this.limits().maxPurchase,
      resultScreenMs: config.sale.resultScreenMs,
      forward: () => this.#kick(true),
      now: this.#now,
      log: log.child({ part: 'sale' }),
    });
  }

  static async start(d: TerminalDeps): Promise<Terminal> {
    const journal = await Journal.open(d.config.dataDir);
    const t = new Terminal(d, journal);
    await t.#start();
    return t;
  }

  /** Effective limits: the local config, overridden by the ledger's `config` topic. */
  limits() {
    const c = this.d.config;
    return {
      maxPurchase: this.#ledgerConfig?.maxPurchase ?? c.sale.maxPurchase,
      offline: this.#ledgerConfig?.offline ?? c.offline,
      replyTimeoutMs: c.sale.replyTimeoutMs,
    };
  }

  offlineForSeconds(): number {
    if (this.link.connected) return 0;
    if (this.#lastOnline === null) return Number.POSITIVE_INFINITY;
    return Math.max(0, (this.#now().getTime() - this.#lastOnline) / 1000);
  }

  async snapshot(): Promise<TerminalSnapshot> {
    return {
      terminalId: this.d.config.terminalId, online: this.link.connected, queue: this.#queue,
      lastOnlineAt: this.#lastOnline === null ? null : new Date(this.#lastOnline).toISOString(),
      reader: this.d.hardware.reader.attached ? 'ready' : 'unplugged',
      screen: this.controller.screen?.screen ?? null,
      rejected: this.link.counters.rejected, cards: await this.journal.cards.count(),
    };
  }

  async stop(): Promise<void> {
    const { hardware } = this.d;
    if (this.#heartbeat) clearInterval(this.#heartbeat);
    if (this.#purge) clearInterval(this.#purge);
    this.controller.stop();
    this.forwarder.stop();
    if (this.link.connected) await this.#markOnline();
    await this.link.stop();
    if (!(await within(this.sync.idle(), 3000))) this.d.log.warn('stopping with ledger messages not yet applied (they come again)');
    await stopHardware(hardware);
    await this.journal.close();
  }

  async #start(): Promise<void> {
    const { config, log, hardware } = this.d;
    const { journal, controller } = this;
    const reversed = await journal.sales.reverseUnansweredOnline(this.#now().toISOString(), config.terminalId);
    if (reversed) log.warn({ reversed }, 'online sales unanswered at restart: reversals queued');
    const last = await journal.meta(LAST_ONLINE);
    this.#lastOnline = last ? Date.parse(last) : null;
    this.#ledgerConfig = await journal.cards.ledgerConfig();
    this.#queue = await journal.sales.queueLength();
    controller.setCatalog((await journal.cards.catalog())?.items ?? []);
    await this.#purgeOld();
    await controller.recoverResult();

    this.sync.on('catalogChanged', () => void journal.cards.catalog().then((c) => controller.setCatalog(c?.items ?? []), () => undefined));
    this.sync.on('configChanged', (c) => { this.#ledgerConfig = c; controller.render(); });
    this.sync.on('cardChanged', (uid) => void controller.onCardChanged(uid).catch((e: Error) => log.error({ err: e.message }, 'card refresh failed')));
    this.sync.on('queueChanged', () => void this.#refreshQueue());
    this.link.on('connected', () => {
      this.#since = this.#now().toISOString();
      void this.#markOnline().then(() => this.#publishStatus());
      controller.render();
    });
    this.link.on('disconnected', () => { void this.#markOnline(); controller.render(); });

    hardware.keypad.on('key', (k) => controller.onKey(k));
    hardware.reader.on('card', (tap) => void controller.onCard(tap.uid).catch((e: Error) => log.error({ err: e.message }, 'card lookup failed')));
    hardware.reader.on('attached', () => controller.setReaderAttached(true));
    hardware.reader.on('detached', () => { log.warn('card reader detached'); controller.setReaderAttached(false); });
    hardware.reader.on('error', (err) => { log.warn({ err: err.message }, 'card read failed'); controller.dispatch({ type: 'readError' }); });

    await hardware.display.start();
    await hardware.indicators.start();
    await hardware.keypad.start();
    await hardware.reader.start();
    controller.setReaderAttached(hardware.reader.attached);
    controller.render();
    this.link.start();
    this.#heartbeat = setInterval(() => { if (this.link.connected) void this.#markOnline(); void this.#refreshQueue(); }, HEARTBEAT_MS);
    this.#purge = setInterval(() => void this.#purgeOld(), 6 * 3600_000);
    log.info({ terminal: config.terminalId, club: config.clubId, version: FIRMWARE_VERSION, queue: this.#queue }, 'terminal started');
  }

  /** Sends the outbox (everything again when forced) and shows the new queue length. */
  #kick(force: boolean): void {
    void this.#refreshQueue();
    void this.forwarder.forward(force);
  }

  /** For technicians and tests: sends every unanswered entry again now. */
  forwardNow(): Promise<void> { return this.forwarder.forward(true).then(() => this.#refreshQueue()); }

  #status(): TerminalStatus {
    const c = this.d.config;
    return { lang: c.lang, clubId: c.clubId, terminalId: c.terminalId, online: this.link.connected, queue: this.#queue };
  }

  /** Records that the broker connection is (or was until now) live: the offline age counts from here. */
  async #markOnline(): Promise<void> {
    this.#lastOnline = this.#now().getTime();
    await this.journal.setMeta(LAST_ONLINE, new Date(this.#lastOnline).toISOString()).catch(() => undefined);
  }

  async #refreshQueue(): Promise<void> {
    // Timers and ledger events call this unawaited, also while stop() closes the journal: a read
    // that fails then changes nothing (it was an unhandled rejection).
    const q = await this.journal.sales.queueLength().catch(() => this.#queue);
    if (q === this.#queue) return;
    this.#queue = q;
    this.controller.render();
    await this.#publishStatus();
  }

  async #publishStatus(): Promise<void> {
    await this.link.publishStatus({ state: 'online', version: FIRMWARE_VERSION, since: this.#since, queue: this.#queue });
  }

  async #purgeOld(): Promise<void> {
    const before = new Date(this.#now().getTime() - this.d.config.retentionDays * 86400_000).toISOString();
    const n = await this.journal.sales.purgeOlderThan(before).catch(() => 0);
    if (n) this.d.log.info({ deleted: n }, 'old answered sales deleted');
  }
}
