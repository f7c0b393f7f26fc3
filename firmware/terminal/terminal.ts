// The terminal: config → journal → ledger link → sale controller → hardware. It composes the parts
// and starts and stops them in order; each part owns its job. Every dependency is passed in, so a
// test builds a whole terminal with simulated devices and a temporary journal.
import type { KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { Logger } from '../log.ts';
import type { TerminalConfig } from '../config/schema.ts';
import type { UpdateReport } from '../../contract/release.ts';
import { stopHardware, type Hardware, type IndicatorFault, type ReaderStatus } from '../../hal/types.ts';
import { Journal } from '../journal/journal.ts';
import { LedgerLink } from '../ledger/link.ts';
import { LedgerSync } from '../ledger/sync.ts';
import { Forwarder } from '../ledger/forwarder.ts';
import { Authoriser } from '../sale/authoriser.ts';
import { SaleController } from '../sale/controller.ts';
import { CashierSession } from '../sale/cashier-session.ts';
import type { TerminalStatus } from '../sale/screen.ts';
import { EffectiveLimits, type Limits } from '../rules/effective-limits.ts';
import { FIRMWARE_VERSION } from '../version.ts';
import { within } from '../../lib/within.ts';
import { OfflineClock } from './offline-clock.ts';
import { LedgerSilence } from './ledger-silence.ts';
import { StatusPublisher } from './status-publisher.ts';
import { Retention } from './retention.ts';
import { BusinessDay } from './business-day.ts';
import { RestoreCheck } from './restore-check.ts';
import { systemClock, type Clock } from '../clock.ts';
import type { Intervals, TimerHandle, Timers } from '../../lib/timers.ts';
import { journalFileOf, UpdateAgent } from '../update/agent.ts';
import { Spool, spoolDir } from '../update/spool.ts';

export interface TerminalDeps {
  config: TerminalConfig;
  hardware: Hardware;
  log: Logger;
  /** Wall and monotonic time (default: the system's). */
  clock?: Clock;
  /** The last update this terminal worked on, for its status (the daemon reads the release layout). */
  update?: () => UpdateReport | null;
  /** The release this daemon runs, for its update agent (contract 1.2); absent: no agent. */
  release?: ReleaseFacts;
}

export interface ReleaseFacts {
  /** Null outside /opt/klubkort/releases (a checkout): the agent installs nothing. */
  running: string | null;
  rolledBack: () => string[];
  trusted: () => ReadonlyMap<string, KeyObject>;
}

/** Draws the screen on a change of what its status bar shows, once the controller that draws it exists. */
class Redraw {
  #controller: SaleController | null = null;
  bind(controller: SaleController): void {
    this.#controller = controller;
  }
  readonly now = (): void => this.#controller?.render();
}

/** How often the cashier's idle time is checked. */
const IDLE_CHECK_MS = 5_000;

export interface TerminalSnapshot {
  terminalId: string;
  online: boolean;
  queue: number;
  lastOnlineAt: string | null;
  reader: ReaderStatus;
  /** Null while the LEDs and buzzer work; else what is missing and where the feedback goes instead. */
  indicators: IndicatorFault | null;
  screen: string | null;
  rejected: number;
  cards: number;
  /** The journal was found older than the retained status (restored from a backup). */
  journalRestored?: boolean;
}

export class Terminal {
  readonly journal: Journal;
  readonly link: LedgerLink;
  readonly sync: LedgerSync;
  readonly forwarder: Forwarder;
  readonly controller: SaleController;
  readonly offlineClock: OfflineClock;
  readonly silence: LedgerSilence;
  readonly effectiveLimits: EffectiveLimits;
  readonly status: StatusPublisher;
  readonly retention: Retention;
  readonly businessDay: BusinessDay;
  readonly restoreCheck: RestoreCheck;
  readonly session: CashierSession;
  readonly updates: UpdateAgent | null;
  #idleTimer: TimerHandle | null = null;
  readonly #timers: Timers & Intervals;

  private constructor(
    private readonly d: TerminalDeps,
    journal: Journal,
  ) {
    const { config, log, hardware } = d;
    const clock = d.clock ?? systemClock();
    const now = () => clock.now();
    const timers = clock.timers;
    this.#timers = timers;
    // Built in the order they need each other; only the screen comes last, as it shows them all:
    // the parts before it report a change of the status bar to `redraw`, bound to it once it exists.
    const redraw = new Redraw();
    this.journal = journal;
    this.link = new LedgerLink(config, log.child({ part: 'link' }), timers);
    this.sync = new LedgerSync(this.link, journal, log.child({ part: 'sync' }), timers);
    const restoreCheck = new RestoreCheck(this.link, journal, clock, config.terminalId, log);
    this.restoreCheck = restoreCheck;
    this.forwarder = new Forwarder(
      this.link,
      journal,
      log.child({ part: 'forward' }),
      config.outbox.resendAfterMs,
      () => clock.mono(),
      () => restoreCheck.decided,
      undefined,
      timers,
    );
    const businessDay = new BusinessDay(journal, clock, config.timeZone);
    this.businessDay = businessDay;
    this.retention = new Retention(journal, config.retentionDays, now, log, (left) => businessDay.clamp(left), timers);
    this.offlineClock = new OfflineClock(this.link, this.sync, journal, clock, redraw.now);
    this.silence = new LedgerSilence(this.link, this.sync, clock, redraw.now);
    const sync = this.sync;
    this.effectiveLimits = new EffectiveLimits(
      config,
      {
        stored: () => journal.cards.ledgerConfig(),
        onChange: (fn) => {
          sync.on('configChanged', fn);
          return () => sync.off('configChanged', fn);
        },
      },
      redraw.now,
    );
    // The update agent reports into the status and asks the controller whether the till is idle: it is built last.
    let updates: UpdateAgent | null = null;
    this.status = new StatusPublisher(
      this.link,
      this.sync,
      journal,
      now,
      redraw.now,
      () => restoreCheck.checked,
      {
        club: config.clubId,
        reader: () => hardware.reader.status,
        update: () => updates?.report() ?? d.update?.() ?? null,
      },
      timers,
    );
    // In memory only: a restart signs the cashier out.
    this.session = new CashierSession(
      config.cashierIdleMinutes * 60_000,
      () => clock.mono(),
      () => journal.sales.mark(),
    );
    const { offlineClock, silence, session } = this;
    const authoriser = new Authoriser({
      terminalId: config.terminalId,
      clubId: config.clubId,
      journal,
      sync: this.sync,
      forward: () => this.#kick(false),
      online: () => offlineClock.online,
      offlineForSeconds: () => offlineClock.offlineForSeconds(),
      noAnswer: () => silence.timedOut(),
      limits: () => this.limits(),
      now,
      today: () => businessDay.today(),
      cashierId: () => session.cashier?.staffId ?? null,
      log: log.child({ part: 'sale' }),
      timers,
    });
    this.controller = new SaleController({
      hw: hardware,
      journal,
      authoriser,
      status: () => this.#status(),
      maxPurchase: () => this.limits().maxPurchase,
      resultScreenMs: config.sale.resultScreenMs,
      forward: () => this.#kick(true),
      businessDay: () => businessDay.today(),
      session,
      requireCashier: () => this.limits().requireCashier,
      lowBalance: config.sale.lowBalanceWarning,
      log: log.child({ part: 'sale' }),
      timers,
    });
    redraw.bind(this.controller);
    this.updates = updates = d.release ? this.#updateAgent(d.release, clock, log) : null;
  }

  #updateAgent(release: ReleaseFacts, clock: Clock, log: Logger): UpdateAgent {
    const { config } = this.d;
    let ca: Buffer | undefined;
    try {
      ca = config.broker.caFile ? readFileSync(config.broker.caFile) : undefined;
    } catch (e) {
      log.warn(
        { err: (e as Error).message },
        "the broker's CA cannot be read: bundles are fetched trusting the system's CAs",
      );
    }
    return new UpdateAgent({
      spool: new Spool(spoolDir(config.dataDir)),
      journalFile: journalFileOf(config.dataDir),
      ca,
      facts: () => ({ running: release.running, arch: process.arch, rolledBack: release.rolledBack() }),
      trusted: release.trusted,
      tillIdle: () => this.idle(),
      clock,
      timers: clock.timers,
      log: log.child({ part: 'update' }),
      changed: () => void this.status.refresh(),
    });
  }

  /** An update may be installed (the daemon restarted): no basket, no confirm screen, no sale awaiting its answer. */
  idle(): boolean {
    const s = this.controller.state;
    return s.screen === 'idle' && s.lines.length === 0;
  }

  static async start(d: TerminalDeps): Promise<Terminal> {
    const journal = await Journal.open(d.config.dataDir, d.config.terminalId, d.clock?.timers);
    if (journal.erasureWaiting)
      d.log.warn(
        { part: 'journal' },
        'the disk is full: cards a roster left out are closed to every sale and erased once there is room',
      );
    const t = new Terminal(d, journal);
    await t.#start();
    return t;
  }

  /** Effective limits: the local config, overridden by the ledger's `config` topic. */
  limits(): Limits {
    return this.effectiveLimits.current();
  }

  async snapshot(): Promise<TerminalSnapshot> {
    return {
      terminalId: this.d.config.terminalId,
      online: this.link.connected,
      queue: this.status.queue,
      lastOnlineAt: this.offlineClock.lastOnlineAt,
      reader: this.d.hardware.reader.status,
      indicators: this.d.hardware.indicators.fault ?? null,
      screen: this.controller.screen?.screen ?? null,
      rejected: this.link.counters.rejected,
      cards: await this.journal.cards.count(),
      journalRestored: this.restoreCheck.restored,
    };
  }

  async stop(): Promise<void> {
    const { hardware } = this.d;
    this.updates?.stop();
    this.retention.stop();
    this.businessDay.stop();
    this.restoreCheck.stop();
    if (this.#idleTimer) this.#timers.clearInterval(this.#idleTimer);
    this.status.stop();
    this.effectiveLimits.stop();
    this.controller.stop();
    this.forwarder.stop();
    this.sync.stop();
    this.silence.stop();
    await this.offlineClock.stop();
    await this.link.stop();
    if (!(await within(this.sync.idle(), 3000, this.#timers)))
      this.d.log.warn('stopping with ledger messages not yet applied (they come again)');
    await stopHardware(hardware);
    await this.journal.close();
  }

  async #start(): Promise<void> {
    const { config, log, hardware } = this.d;
    const { journal, controller } = this;
    await this.restoreCheck.start();
    await this.sync.start();
    await this.offlineClock.start();
    this.silence.start();
    await this.effectiveLimits.start();
    await this.status.start();
    controller.setCatalog((await journal.cards.catalog())?.items ?? []);
    await this.retention.start();
    await this.businessDay.start();
    await controller.recoverResult();

    this.link.on('trouble', () => controller.render());
    this.sync.on(
      'catalogChanged',
      () =>
        void journal.cards.catalog().then(
          (c) => controller.setCatalog(c?.items ?? []),
          () => undefined,
        ),
    );
    this.sync.on(
      'cardChanged',
      (uid) =>
        void controller.onCardChanged(uid).catch((e: Error) => log.error({ err: e.message }, 'card refresh failed')),
    );

    hardware.keypad.on('key', (k) => controller.onKey(k));
    hardware.reader.on(
      'card',
      (tap) => void controller.onCard(tap).catch((e: Error) => log.error({ err: e.message }, 'card lookup failed')),
    );
    hardware.reader.on('detached', () => log.warn('card reader detached'));
    hardware.reader.on('status', (status) => {
      controller.setReaderStatus(status);
      void this.status.refresh();
    });
    hardware.reader.on('error', (err) => {
      log.warn({ err: err.message }, 'card read failed');
      controller.dispatch({ type: 'readError' });
    });

    await hardware.display.start();
    await hardware.indicators.start();
    await hardware.keypad.start();
    await hardware.reader.start();
    controller.setReaderStatus(hardware.reader.status);
    controller.render();
    this.link.on('update', (a) => this.updates?.announce(a));
    this.updates?.start();
    this.link.start();
    this.#idleTimer = this.#timers.setInterval(() => controller.checkIdle(), IDLE_CHECK_MS);
    this.sync.on(
      'staffChanged',
      (uid) =>
        void controller.onStaffChanged(uid).catch((e: Error) => log.error({ err: e.message }, 'staff refresh failed')),
    );
    log.info(
      { terminal: config.terminalId, club: config.clubId, version: FIRMWARE_VERSION, queue: this.status.queue },
      'terminal started',
    );
  }

  /** Sends the outbox (everything again when forced) and shows the new queue length. */
  #kick(force: boolean): void {
    void this.status.refresh();
    void this.forwarder.forward(force);
  }

  /** For technicians and tests: sends every unanswered entry again now. */
  forwardNow(): Promise<void> {
    return this.forwarder.forward(true).then(() => this.status.refresh());
  }

  #status(): TerminalStatus {
    const c = this.d.config;
    const indicators = this.d.hardware.indicators.fault?.fallback ?? 'ok';
    const online = this.offlineClock.online;
    // Without the broker the ledger's last status is only remembered: the broker's trouble is the reason.
    const offlineReason = online
      ? null
      : !this.link.connected
        ? this.link.trouble
        : this.offlineClock.ledgerOffline
          ? 'ledger_offline'
          : null;
    // Not answering since the first unanswered sale, else (its status `offline`) since the terminal was last live.
    const ledgerSilentSince =
      this.silence.since ?? (this.offlineClock.ledgerOffline ? this.offlineClock.lastOnlineAt : null);
    return {
      lang: c.lang,
      clubId: c.clubId,
      terminalId: c.terminalId,
      online,
      offlineReason,
      ledgerSilentSince,
      queue: this.status.queue,
      indicators,
    };
  }
}
