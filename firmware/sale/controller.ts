// Runs the sale state machine: turns device and ledger happenings into events, performs the
// effects the pure transitions ask for, and draws every new state on the display.
import type { Logger } from '../log.ts';
import type { CardTap, Hardware, KeyName, SunRead } from '../../hal/types.ts';
import { tapAuthProblem } from '../rules/card-auth.ts';
import type { Journal } from '../journal/journal.ts';
import type { CatalogItem } from '../../contract/index.ts';
import type { Authoriser } from './authoriser.ts';
import type { CashierSession } from './cashier-session.ts';
import type { BusinessDayView } from '../journal/types.ts';
import { transition, initialState } from './machine.ts';
import { toScreenModel, type TerminalStatus } from './screen.ts';
import { voidView } from './void-view.ts';
import { readSaleNames } from '../journal/sale-names.ts';
import type { Effect, SaleContext, SaleEvent, SaleState, TapLookup } from './types.ts';
import type { ReaderStatus, ScreenModel } from '../../contract/index.ts';
import { systemTimers, type TimerHandle, type Timers } from '../../lib/timers.ts';

export interface ControllerDeps {
  hw: Hardware;
  journal: Journal;
  authoriser: Authoriser;
  status: () => TerminalStatus;
  maxPurchase: () => number;
  resultScreenMs: number;
  /** Forces a forward of the outbox (technician key). */
  forward: () => void;
  /** The day the report and the last sale belong to. */
  businessDay: () => Promise<BusinessDayView>;
  /** Who is signed in; whether the ledger's config requires a cashier; the low-balance warning amount. */
  session: CashierSession;
  requireCashier: () => boolean;
  lowBalance: number;
  log: Logger;
  /** The result screen's time (default: the system's timers). */
  timers?: Timers;
}

export class SaleController {
  #state: SaleState = initialState();
  #catalog: readonly CatalogItem[] = [];
  #reader: ReaderStatus = 'unplugged';
  #timer: TimerHandle | null = null;
  readonly #timers: Timers;
  #last: ScreenModel | null = null;

  constructor(private readonly d: ControllerDeps) {
    this.#timers = d.timers ?? systemTimers;
  }

  get state(): SaleState {
    return this.#state;
  }
  get screen(): ScreenModel | null {
    return this.#last;
  }
  get catalog(): readonly CatalogItem[] {
    return this.#catalog;
  }

  /** A new catalog version: the open basket is resolved again against it (machine.ts). */
  setCatalog(items: readonly CatalogItem[]): void {
    this.#catalog = items;
    this.dispatch({ type: 'catalogChanged' });
  }

  setReaderStatus(status: ReaderStatus): void {
    this.dispatch({ type: 'reader', status });
  }

  onKey(key: KeyName): void {
    this.#active();
    this.dispatch({ type: 'key', key });
  }

  async onCard(tap: CardTap): Promise<void> {
    this.#active();
    this.dispatch({ type: 'tap', lookup: await this.#lookup(tap.uid, tap.sun) });
  }

  /** The cashier idle too long is signed out (checked at every key and tap, and by the terminal's timer). */
  checkIdle(): void {
    if (!this.d.session.expireIfIdle()) return;
    this.d.log.info('cashier signed out after being idle');
    this.render();
  }

  #active(): void {
    this.checkIdle();
    this.d.session.touch();
  }

  #ctx(): SaleContext {
    return {
      catalog: this.#catalog,
      maxPurchase: this.d.maxPurchase(),
      resultScreenMs: this.d.resultScreenMs,
      reader: this.#reader,
      cashier: this.d.session.cashier,
      requireCashier: this.d.requireCashier(),
      lowBalance: this.d.lowBalance,
    };
  }

  /** The ledger changed or removed a staff card: the signed-in cashier follows (removed: signed out). */
  async onStaffChanged(uid: string): Promise<void> {
    const rec = await this.d.journal.cards.staff(uid);
    const cashier = rec && { staffId: rec.staffId, name: rec.name, role: rec.role, cardUid: uid };
    if (this.d.session.update(uid, cashier)) this.render();
  }

  /** The ledger changed a card: refresh or refuse the one on the confirm screen. */
  async onCardChanged(uid: string): Promise<void> {
    const s = this.#state;
    if (s.screen !== 'confirm' || s.card.uid !== uid) return;
    // The SUN read at the tap stays with the card on the confirm screen.
    const lookup = await this.#lookup(uid, s.card.sun ?? null);
    if (!lookup.ok && lookup.reason === 'staff') return;
    this.dispatch({
      type: 'cardChanged',
      lookup: lookup.ok || lookup.card ? lookup : { ...lookup, card: { ...s.card } },
    });
  }

  dispatch(ev: SaleEvent): void {
    const ctx = this.#ctx();
    const prev = this.#state;
    const { state, effects } = transition(prev, ev, ctx);
    // A fact of the device, read by the next transitions and the screen.
    if (ev.type === 'reader') this.#reader = ev.status;
    if (state !== prev && this.#timer) {
      this.#timers.clearTimeout(this.#timer);
      this.#timer = null;
    }
    this.#state = state;
    // A result that gives way to the next screen has been seen (a key, a tap, or its time was up).
    if (state !== prev) this.#seen(prev);
    // The screen first: the cashier waits for it; LEDs, buzzer and journal work follow at once.
    this.render();
    for (const e of effects) this.#run(e);
  }

  /** Draws the current state; called on every change of state or terminal status. */
  render(): void {
    const ctx = this.#ctx();
    this.#last = toScreenModel(this.#state, ctx, this.d.status());
    try {
      this.d.hw.display.draw(this.#last);
    } catch (err) {
      this.d.log.error({ err: (err as Error).message }, 'display failed to draw');
    }
  }

  /** Stopped on purpose (not a power cut): the result on the screen has been seen. */
  stop(): void {
    if (this.#timer) this.#timers.clearTimeout(this.#timer);
    this.#seen(this.#state);
  }

  /**
   * After a restart: shows the result of the last sale again if the cashier never saw it (the
   * terminal went down between committing the decision and drawing it), so that what was
   * approved is what the cashier saw approved.
   */
  async recoverResult(): Promise<void> {
    const sale = await this.d.journal.sales.lastUnshown();
    if (!sale) return;
    const card = sale.cardUid ? await this.d.authoriser.cardView(sale.cardUid) : null;
    const status = sale.status === 'approved' ? 'approved' : 'declined';
    this.d.log.info({ tx: sale.txId, status }, 'result of the sale before the restart shown again');
    this.dispatch({
      type: 'recovered',
      card,
      offline: sale.offline,
      result: {
        status,
        reason: status === 'declined' ? (sale.reason ?? 'invalid') : null,
        balance: card?.available ?? null,
        txId: sale.txId,
      },
    });
  }

  #seen(s: SaleState): void {
    if (s.screen !== 'result' || s.voided || !s.result.txId) return;
    this.d.journal.sales
      .markShown(s.result.txId)
      .catch((err: Error) => this.d.log.error({ err: err.message }, 'marking a result seen failed'));
  }

  async #lookup(uid: string, sun: SunRead | null): Promise<TapLookup> {
    // A staff card never pays (a UID is never both).
    const staff = await this.d.journal.cards.staff(uid);
    if (staff)
      return {
        ok: false,
        reason: 'staff',
        staff: { staffId: staff.staffId, name: staff.name, role: staff.role, cardUid: uid },
        card: null,
      };
    const found = await this.d.authoriser.lookup(uid);
    if (!found) return { ok: false, reason: 'unknown_card', card: null };
    // A `sun` card that brought no SUN, or another card's, is refused before anything is shown of it.
    if (tapAuthProblem(found.record, sun)) return { ok: false, reason: 'card_auth', card: null };
    const card = { ...found.card, sun };
    return found.record.status === 'active' ? { ok: true, card } : { ok: false, reason: 'blocked', card };
  }

  #run(e: Effect): void {
    const fail = (what: string) => (err: Error) => this.d.log.error({ err: err.message }, `${what} failed`);
    switch (e.type) {
      case 'indicate':
        return this.d.hw.indicators.show({ led: e.led, buzzer: e.buzzer });
      case 'resetAfter':
        this.#timer = this.#timers.setTimeout(() => {
          this.#timer = null;
          this.dispatch({ type: 'timeout' });
        }, e.ms);
        return;
      case 'forward':
        return this.d.forward();
      case 'setCashier':
        this.d.session
          .set(e.cashier)
          .then(() => {
            this.d.log.info({ role: e.cashier?.role ?? null }, e.cashier ? 'cashier signed in' : 'cashier signed out');
            this.render();
          })
          .catch(fail('signing in'));
        return;
      case 'authorise':
        this.d.authoriser
          .authorise(e.lines, e.card, () => this.#catalog)
          .then((d) => this.dispatch({ type: 'decided', ...d }))
          .catch((err: Error) => {
            // Nothing durable was approved: the cashier sees a decline, never a false approval.
            fail('authorisation')(err);
            this.dispatch({
              type: 'decided',
              result: { status: 'declined', reason: 'invalid', balance: null, txId: null },
              card: e.card,
              offline: false,
            });
          });
        return;
      case 'recordRefusal':
        this.d.authoriser.recordRefusal(e.lines, e.card, e.reason).catch(fail('recording a refusal'));
        return;
      case 'loadVoid':
        this.d
          .businessDay()
          .then((day) => this.d.journal.sales.lastApproved(day.mark))
          .then(async (s) =>
            this.dispatch({ type: 'voidLoaded', sale: s && voidView(s, await readSaleNames(this.d.journal.db, s)) }),
          )
          .catch(fail('loading the last sale'));
        return;
      case 'void':
        this.d.authoriser
          .voidSale(e.txId)
          .then((result) => this.dispatch(result ? { type: 'voided', result } : { type: 'voidLoaded', sale: null }))
          .catch(fail('void'));
        return;
      case 'loadReport': {
        const signedIn = this.d.session.signedIn;
        this.d
          .businessDay()
          .then((day) =>
            Promise.all([
              day,
              this.d.journal.sales.report(day.mark),
              signedIn && this.d.journal.sales.cashierReport(signedIn.cashier.staffId, signedIn.mark),
            ]),
          )
          .then(([day, r, c]) =>
            this.dispatch({
              type: 'reportLoaded',
              report: {
                ...r,
                date: day.date,
                queue: this.d.status().queue,
                cashier: c && signedIn ? { name: signedIn.cashier.name, ...c } : null,
              },
            }),
          )
          .catch(fail('loading the report'));
        return;
      }
    }
  }
}
