// Sends the outbox to the ledger in order whenever connected. The journal is the source of truth:
// every connection sends every unanswered entry again, and an entry still unanswered after
// `resendAfterMs` goes again too (a broker that lost its sessions drops messages published before
// the ledger re-subscribed). The ledger is idempotent by txId, so a resend never books twice.
// `now` is monotonic: a step of the wall clock never stops or floods the resends.
import { performance } from 'node:perf_hooks';
import type { Logger } from '../log.ts';
import type { Journal } from '../journal/journal.ts';
import type { LedgerLink } from './link.ts';
import { Wakeable } from '../../lib/within.ts';
import { TurnBudget } from '../../lib/turn-budget.ts';
import type { OutboxEntry } from '../journal/types.ts';
import { type Intervals, systemTimers, type TimerHandle, type Timers } from '../../lib/timers.ts';

/** Publishes in flight at once: enough to fill the link, few enough to stop soon when it drops. */
const WINDOW = 200;
/**
 * `ahead`: sent on this connection and not answered yet, at most (≈ a second of the ledger's work):
 * a long queue goes out at the pace of the answers, not all at once into the broker, where ten
 * thousand publishes at the start took the CPU the ledger needed to answer them. `waitMs`: how
 * long a full window waits for answers before it sends on anyway (a ledger that answers nothing).
 */
export const PACE = { ahead: 1000, waitMs: 1000 };
/**
 * The outbox is read in pages of this many entries. A page's rows are built and their payloads
 * parsed in one turn of the event loop: 1,000 held it ~2.5 ms here while a key waited (a Pi's core
 * is several times slower); 250 cost the 10,000-sale forwarding nothing measurable.
 */
export const OUTBOX_PAGE = 250;
/**
 * How long publishing may hold one turn of the event loop, and how many sales at most. Each publish
 * is an MQTT packet built and written: a window of 200 in one go held the loop 5–8 ms here (a Pi's
 * core is several times slower) while a key waited. The pace is the ledger's answers anyway, so a
 * turn given back between publishes costs the queue nothing.
 */
export const PUBLISH_TURN = { ms: 2, sales: 50 };

const allSent = async (sends: Promise<boolean>[]): Promise<boolean> => (await Promise.all(sends)).every(Boolean);

export class Forwarder {
  /** When each entry was sent on the current connection, by txId and form (a sale re-sent offline is new). */
  #sent = new Map<string, number>();
  /** txIds sent on this connection whose answer has not come. */
  #unanswered = new Set<string>();
  /** Woken when enough answers came for the window to send on. */
  readonly #room: Wakeable;
  #running: Promise<void> | null = null;
  #again = false;
  #timer: TimerHandle;
  readonly #turn = new TurnBudget(PUBLISH_TURN.ms, PUBLISH_TURN.sales);

  constructor(
    private readonly link: LedgerLink,
    private readonly journal: Journal,
    private readonly log: Logger,
    private readonly resendAfterMs: number,
    private readonly now: () => number = () => performance.now(),
    /** Nothing is sent before this resolves (a restart's unanswered online sales are being resolved). */
    private readonly ready: () => Promise<void> = () => Promise.resolve(),
    private readonly pace: { ahead: number; waitMs: number } = PACE,
    private readonly timers: Timers & Intervals = systemTimers,
  ) {
    this.#room = new Wakeable(timers);
    link.on('connected', () => {
      this.#sent.clear();
      this.#unanswered.clear();
      void this.forward();
    });
    link.on('result', (r) => {
      if (
        this.#unanswered.delete(r.txId) &&
        this.#unanswered.size <= this.pace.ahead - Math.min(WINDOW, this.pace.ahead / 2)
      )
        this.#room.wake();
    });
    this.#timer = timers.setInterval(
      () => {
        if (link.connected) void this.forward();
      },
      Math.max(250, resendAfterMs / 2),
      true,
    );
  }

  stop(): void {
    this.timers.clearInterval(this.#timer);
  }

  /**
   * Sends what is not sent on this connection or is overdue; `force` sends everything again.
   * Never rejects (callers fire and forget): a journal that fails (closed at stop) is logged, and
   * the entries go on the next call.
   */
  forward(force = false): Promise<void> {
    if (force) this.#sent.clear();
    if (this.#running !== null) {
      this.#again = true;
      return this.#running;
    }
    this.#running = this.#drain()
      .catch((err: Error) => this.log.error({ err: err.message }, 'forwarding the outbox failed'))
      .finally(() => {
        this.#running = null;
      });
    return this.#running;
  }

  async #drain(): Promise<void> {
    await this.ready();
    do {
      this.#again = false;
      if (!this.link.connected) return; // the next connection sends everything
      const live = new Set<string>();
      let window: Promise<boolean>[] = [];
      for (let after = 0; ; ) {
        const page: OutboxEntry[] = await this.journal.sales.outbox(after, OUTBOX_PAGE);
        if (page.length === 0) break;
        for (const e of page) {
          const key = `${e.txId}:${e.type}:${e.offline}`;
          live.add(key);
          const sentAt = this.#sent.get(key);
          if (sentAt !== undefined && this.now() - sentAt < this.resendAfterMs) continue;
          const turn = this.#turn.take();
          if (turn !== null) await turn;
          if (this.#unanswered.size >= this.pace.ahead) {
            if (!(await allSent(window))) return;
            window = [];
            // No answers for a while (a ledger that answers nothing): pace by them no longer this round.
            if (!(await this.#room.wait(this.pace.waitMs))) this.#unanswered.clear();
          }
          // Published in outbox order without waiting for each PUBACK (a round trip each made a long
          // queue take minutes); MQTT keeps the order of one client's QoS 1 messages.
          this.#sent.set(key, this.now());
          this.#unanswered.add(e.txId);
          window.push(
            this.link.sendTx(e.message).then((ok) => {
              if (!ok) this.#sent.delete(key);
              return ok;
            }),
          );
          this.log.debug({ tx: e.txId, type: e.type, offline: e.offline, resend: sentAt !== undefined }, 'tx sent');
          if (window.length >= WINDOW) {
            if (!(await allSent(window))) return; // offline: the next connection sends it
            window = [];
          }
        }
        // A short page is the last (a stand-in journal may ignore the paging: it ends here too).
        if (page.length < OUTBOX_PAGE || page[page.length - 1].seq <= after) break;
        after = page[page.length - 1].seq;
      }
      if (!(await allSent(window))) return;
      for (const k of this.#sent.keys()) if (!live.has(k)) this.#sent.delete(k);
    } while (this.#again);
  }
}
