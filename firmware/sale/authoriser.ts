// Decides an approved-by-the-cashier sale: online by the ledger when connected, else (or when the
// ledger does not answer in time) by the offline rules. Every approval is durable in the journal
// before it is returned, so the screen never says approved for a sale that is not on disk. A
// decline the disk refuses to record is shown all the same and kept in force in memory (with its
// reversal sent, if the sale may have reached the ledger) until the disk takes it.
import type { Logger } from '../log.ts';
import { maskUid } from '../log.ts';
import { errorCode } from '../error-code.ts';
import type { Journal } from '../journal/journal.ts';
import type { CardMoney } from '../journal/card-money.ts';
import type { Settled } from '../journal/sales-book.ts';
import type { BusinessDayView } from '../journal/types.ts';
import type { LedgerSync } from '../ledger/sync.ts';
import type { CardRecord, CatalogItem, SaleMsg } from '../../contract/index.ts';
import { checkParentRules, displayNote, spentOnDay, withCategories } from '../rules/parents.ts';
import { checkBasket, availableMoney } from '../rules/basket.ts';
import { basketMatchesCatalog } from '../rules/basket-catalog.ts';
import { reversalMessage, saleMessage, voidMessage } from './messages.ts';
import { decideOffline } from '../rules/offline.ts';
import { isSunCard, offlineAuthProblem, saleCardAuth, tapAuthProblem } from '../rules/card-auth.ts';
import type { Limits } from '../rules/effective-limits.ts';
import type { BasketLine, ScreenResult } from '../../contract/index.ts';
import type { CardView } from './types.ts';
import { systemTimers, type Timers } from '../../lib/timers.ts';

export interface Decided {
  result: ScreenResult;
  card: CardView | null;
  offline: boolean;
}

/** A well-formed UID for a refusal of a card the terminal does not hold (see recordRefusal). */
const NO_CARD = '00000000';

/** `spentToday`: today's spending, counted only for a card with a daily limit. */
const toView = (m: CardMoney, spentToday = 0): CardView => ({
  uid: m.record.cardUid,
  name: m.record.name,
  photo: m.record.photo,
  available: availableMoney(m.record, m.unbooked),
  ...(m.record.rules ? { rules: m.record.rules, note: displayNote(m.record.rules.note) } : {}),
  spentToday,
});

/**
 * Today's spending = the record's `spent.total` for the business day, + this card's sales of
 * the business day this terminal approved that are not in the record yet (0 for a card without a
 * daily limit).
 */
const spentToday = (m: CardMoney, today: BusinessDayView): number =>
  m.record.rules?.dailyLimit == null ? 0 : spentOnDay(m.record.spent, today) + m.unbookedToday;

export interface AuthoriserDeps {
  terminalId: string;
  clubId: string;
  journal: Journal;
  sync: LedgerSync;
  /** Publishes the outbox now (no-op when offline). */
  forward: () => void;
  /** Broker connected and the ledger's status not `offline`: ask the ledger; else decide offline at once. */
  online: () => boolean;
  /** Seconds since the last live broker connection ended (0 while connected). */
  offlineForSeconds: () => number;
  /** An online sale got no answer within `replyTimeoutMs`: the ledger is not answering (the status bar says so). */
  noAnswer: () => void;
  limits: () => Limits;
  now: () => Date;
  /** The business day ("today" of the daily limit) and the signed-in staffId. */
  today: () => Promise<BusinessDayView>;
  cashierId: () => string | null;
  log: Logger;
  /** The wait for the ledger's answer (default: the system's). */
  timers?: Timers;
}

export class Authoriser {
  constructor(private readonly d: AuthoriserDeps) {}

  /** Looks a card up as the sale sees it, with the money available now. */
  async cardView(uid: string): Promise<CardView | null> {
    const { m, today } = await this.#money(uid);
    return m && toView(m, spentToday(m, today));
  }

  /** The card as the sale sees it, with its record (for its status). */
  async lookup(uid: string): Promise<{ card: CardView; record: CardRecord } | null> {
    const { m, today } = await this.#money(uid);
    return m && { card: toView(m, spentToday(m, today)), record: m.record };
  }

  /** The card's money in one read, with the business day's unbooked part. */
  async #money(uid: string): Promise<{ m: CardMoney | null; today: BusinessDayView }> {
    const today = await this.d.today();
    return { m: await this.d.journal.cardMoney(uid, today.mark.sale), today };
  }

  /**
   * `catalog`: the screen's catalog as it is when asked (for the items' prices and categories): one
   * that arrives while the card is read refuses a basket rung up on the old one.
   */
  async authorise(lines: BasketLine[], card: CardView, catalog: () => readonly CatalogItem[]): Promise<Decided> {
    const { journal, log } = this.d;
    const limits = this.d.limits();
    const msg = saleMessage(this.d, card.uid, lines, this.d.now(), this.d.cashierId());
    // Checked again here, not only when items were added: the limit may have changed since.
    if (checkBasket(lines, limits.maxPurchase) !== 'ok') return this.#refuse(msg, 'limit', card);
    const { m: money, today } = await this.#money(card.uid);
    if (!money) return this.#refuse(msg, 'unknown_card', null);
    // The record may have become a `sun` card's since the tap.
    if (tapAuthProblem(money.record, card.sun ?? null)) return this.#refuse(msg, 'card_auth', null);
    if (money.record.status !== 'active') return this.#refuse(msg, 'blocked', card);
    // A catalog that arrived since the cashier's Enter: the basket is not the one shown at its prices,
    // and the rules below cannot judge the categories of items that are gone.
    if (!basketMatchesCatalog(lines, catalog())) return this.#refuse(msg, 'invalid', card);
    // The parents' rules again, on the record as it is now (they may have changed since the tap).
    const refusal = checkParentRules(money.record.rules, withCategories(lines, catalog()), spentToday(money, today));
    if (refusal) return this.#refuse(msg, refusal.reason, card);
    // The money again, as it is now (a sale at another terminal may have been booked since the tap):
    // without it the sale is refused here, online as offline, and nothing is sent (contract 1.1).
    if (availableMoney(money.record, money.unbooked) < msg.total)
      return this.#refuse(msg, 'insufficient_funds', toView(money, spentToday(money, today)));
    const cardAuth = saleCardAuth(money.record, card.sun ?? null);
    if (cardAuth) msg.cardAuth = cardAuth;

    if (!this.d.online()) {
      // Not sent, and never sent if its approval could not be written: a decline, kept for the report.
      return this.#offline(msg, card, false, money).catch((err: unknown) =>
        this.#unrecorded(msg, card, 'invalid', false, err),
      );
    }
    // From the online attempt on, the ledger may get the sale (the write may even have failed after
    // it reached the disk): whatever fails, the decline the cashier then sees is sent as a reversal.
    try {
      await journal.sales.beginOnline(msg);
      const answer = this.#waitFor(msg.txId, limits.replyTimeoutMs);
      this.d.forward();
      const settled = await answer;
      if (settled) {
        log.info({ tx: msg.txId, card: maskUid(card.uid), status: settled.status }, 'sale decided by the ledger');
        return await this.#fromSettled(msg, settled, card);
      }
      log.warn({ tx: msg.txId }, 'no answer from the ledger in time; deciding offline');
      // Told before the decision is shown, so the result screen's status bar already says it.
      this.d.noAnswer();
      return await this.#offline(msg, card, true, undefined, money.record.sunCounter ?? null);
    } catch (err) {
      return this.#unrecorded(msg, card, 'invalid', true, err);
    }
  }

  /**
   * A basket the sale machine refused at the tap (blocked, unknown, the parents' rules, the money):
   * nothing is sent; it is kept for the day's report, in memory while the disk refuses it.
   */
  async recordRefusal(lines: BasketLine[], card: CardView | null, reason: string): Promise<void> {
    // The journal keeps no card for a refusal and its message never leaves the terminal: a card it
    // does not hold is named by a UID that names none.
    await this.#refuse(
      saleMessage(this.d, card?.uid ?? NO_CARD, lines, this.d.now(), this.d.cashierId()),
      reason,
      card,
    );
  }

  /**
   * Voids one approved sale of this terminal: the void is queued (durable) before the result says
   * so. Null when there is no such sale (any more) to void.
   */
  async voidSale(saleTxId: string): Promise<ScreenResult | null> {
    const { journal, log } = this.d;
    const sale = await journal.sales.sale(saleTxId);
    if (!sale?.cardUid) return null;
    const msg = voidMessage(this.d, { txId: saleTxId, cardUid: sale.cardUid }, this.d.now(), this.d.cashierId());
    const ok = await journal.sales.recordVoid(msg, sale.total).catch((err: unknown) => {
      // Not queued (the transaction is undone): the sale stands, nothing is sent, the cashier is told.
      log.error(
        { tx: msg.txId, voids: saleTxId, err: errorCode(err) },
        'the journal refused to record the void; the sale stands',
      );
      return false;
    });
    log.info({ tx: msg.txId, voids: saleTxId, ok }, 'void queued');
    this.d.forward();
    return ok
      ? { status: 'approved', reason: null, balance: null, txId: msg.txId }
      : { status: 'declined', reason: 'invalid', balance: null, txId: null };
  }

  /** `known`: what was just read (not after waiting for the ledger: it may have changed meanwhile). */
  /** `sentAbove`: the card's sunCounter before the sale was sent online (rules/card-auth.ts). */
  async #offline(
    sale: SaleMsg,
    card: CardView,
    triedOnline: boolean,
    known?: CardMoney,
    sentAbove?: number | null,
  ): Promise<Decided> {
    const { journal, log } = this.d;
    const money = known ?? (await journal.cardMoney(card.uid));
    const msg: SaleMsg = { ...sale, offline: true };
    const authProblem =
      money && isSunCard(money.record)
        ? offlineAuthProblem(
            money.record,
            msg.cardAuth,
            await journal.sales.highestSunCounter(card.uid, msg.txId),
            sentAbove,
          )
        : null;
    const decision = authProblem
      ? { ok: false as const, reason: authProblem }
      : decideOffline({
          card: money?.record ?? null,
          total: msg.total,
          unbooked: money?.unbooked ?? 0,
          exposure: money?.exposure ?? { card: 0, terminal: 0 },
          limits: this.d.limits().offline,
          offlineForSeconds: this.d.offlineForSeconds(),
        });
    if (decision.ok && money) {
      if (!(await journal.sales.approveOffline(msg, !triedOnline))) return this.#storedAnswer(msg, card);
      // The screen first: the queue's count and the forward (a read each) wait for the next turn.
      setImmediate(() => {
        log.info({ tx: msg.txId, card: maskUid(card.uid), total: msg.total }, 'sale approved offline');
        this.d.forward();
      });
      // The money after it follows from what was read: no second read after the fsync.
      const after = {
        ...toView({ ...money, unbooked: money.unbooked + msg.total }),
        spentToday: (card.spentToday ?? 0) + msg.total,
      };
      return {
        result: { status: 'approved', reason: null, balance: after.available, txId: msg.txId },
        card: after,
        offline: true,
      };
    }
    // (decideOffline never approves without a card: `ok` here is only a type's possibility)
    const reason = decision.ok ? 'unknown_card' : decision.reason;
    if (!triedOnline) return this.#refuse(msg, reason, card);
    const reversed = await journal.sales
      .declineAndReverse(msg.txId, reason, reversalMessage(this.d, msg.txId, this.d.now()))
      .catch((err: unknown) => this.#unrecorded(msg, card, reason, true, err));
    if (reversed !== true) return reversed === false ? this.#storedAnswer(msg, card) : reversed;
    log.info({ tx: msg.txId, reason }, 'sale declined offline; reversal queued');
    this.d.forward();
    return this.#declined(msg, reason, card, true);
  }

  /** The ledger's answer won the race against the timeout: it stands. */
  async #storedAnswer(msg: SaleMsg, card: CardView): Promise<Decided> {
    const s = await this.d.journal.sales.sale(msg.txId);
    const status = s?.status === 'approved' ? 'approved' : 'declined';
    return this.#decided(msg, status, s?.reason ?? null, card, false);
  }

  async #fromSettled(msg: SaleMsg, s: Settled, card: CardView): Promise<Decided> {
    const reason = s.kind === 'sale' ? s.reason : null;
    return this.#decided(msg, s.status, reason, card, false);
  }

  /** The decision as the cashier sees it, with the card's money after it (looked up once, not per field). */
  async #decided(
    msg: SaleMsg,
    status: 'approved' | 'declined',
    reason: string | null,
    card: CardView,
    offline: boolean,
  ): Promise<Decided> {
    const now = await this.cardView(card.uid);
    return {
      result: {
        status,
        reason: status === 'declined' ? (reason ?? 'invalid') : null,
        balance: now?.available ?? null,
        txId: msg.txId,
      },
      card: now ?? card,
      offline,
    };
  }

  /** A refusal the terminal decides alone: nothing is sent, the attempt is kept for the report. */
  async #refuse(msg: SaleMsg, reason: string, card: CardView | null): Promise<Decided> {
    try {
      await this.d.journal.sales.recordRefusal(msg, reason);
    } catch (err) {
      return this.#unrecorded(msg, card, reason, false, err);
    }
    this.d.log.info({ reason }, 'sale refused by the terminal');
    return this.#declined(msg, reason, card, false);
  }

  /**
   * The journal refused to record how a sale ended (a full or failing disk): it ends declined with
   * `reason` all the same, in force from now on in memory and written once the disk takes it.
   * `sent`: the ledger may have the sale (an online attempt was begun), so its reversal goes now.
   */
  #unrecorded(msg: SaleMsg, card: CardView | null, reason: string, sent: boolean, err: unknown): Decided {
    const reversal = sent ? reversalMessage(this.d, msg.txId, this.d.now()) : null;
    this.d.journal.sales.declineUnrecorded({ sale: msg, reason, reversal });
    this.d.log.error(
      { tx: msg.txId, reason, err: errorCode(err), reversal: sent },
      sent
        ? 'the journal refused to record a declined sale: declined, its reversal sent from memory until the journal takes it'
        : 'the journal refused to record a declined sale: declined, kept in memory until the journal takes it',
    );
    if (sent) this.d.forward();
    return this.#declined(msg, reason, card, sent);
  }

  /** A decline the terminal made; `sent`: after an online attempt (it names the txId, as its reversal does). */
  #declined(msg: SaleMsg, reason: string, card: CardView | null, sent: boolean): Decided {
    return {
      result: { status: 'declined', reason, balance: card?.available ?? null, txId: sent ? msg.txId : null },
      card,
      offline: sent,
    };
  }

  #waitFor(txId: string, ms: number): Promise<Settled | null> {
    const timers = this.d.timers ?? systemTimers;
    return new Promise((resolve) => {
      const onSettled = (s: Settled) => {
        if (s.txId !== txId) return;
        timers.clearTimeout(timer);
        this.d.sync.off('settled', onSettled);
        resolve(s);
      };
      const timer = timers.setTimeout(() => {
        this.d.sync.off('settled', onSettled);
        resolve(null);
      }, ms);
      this.d.sync.on('settled', onSettled);
    });
  }
}
