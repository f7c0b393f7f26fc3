// A journal restored from a backup (docs/deploy.md: never do that) is older than the terminal's
// retained status says: every start counts up `starts` in the journal and in every status (the
// will too). An online sale still unanswered at a restart is normally reversed (the cashier never
// saw it approved); in a restored journal it may be one the cashier saw approved after the backup,
// so it is sent again with the same txId instead, and the ledger gives its first answer again.
// Until that is decided the outbox waits (the first connection tells), so nothing is sent twice
// in two ways.
import type { Clock } from '../clock.ts';
import type { Logger } from '../log.ts';
import type { Journal } from '../journal/journal.ts';
import type { LedgerLink } from '../ledger/link.ts';
import type { StatusMsg } from '../../contract/index.ts';
import type { TimerHandle } from '../../lib/timers.ts';

const STARTS = 'starts';
/** After the subscriptions are in place, the retained status comes at once or there is none. */
const RETAINED_WAIT_MS = 2000;

export class RestoreCheck {
  #starts = 0;
  #restored = false;
  #decided!: Promise<void>;
  #checked!: Promise<void>;
  #decide: (retained: StatusMsg | null) => void = () => undefined;
  #timer: TimerHandle | null = null;
  /** The online sales unanswered at this start (sales made from now on are not in question). */
  #unanswered: string[] = [];
  readonly #onStatus = (s: StatusMsg): void => this.#decide(s);
  readonly #onSubscribed = (): void => {
    if (this.#timer) this.clock.timers.clearTimeout(this.#timer);
    this.#timer = this.clock.timers.setTimeout(() => this.#decide(null), RETAINED_WAIT_MS);
  };

  constructor(
    private readonly link: LedgerLink,
    private readonly journal: Journal,
    private readonly clock: Clock,
    private readonly terminalId: string,
    private readonly log: Logger,
  ) {}

  /** This start's number. */
  get starts(): number {
    return this.#starts;
  }
  /** The journal is older than the terminal's last run: restored from a backup. */
  get restored(): boolean {
    return this.#restored;
  }
  /** Resolves once unanswered online sales are resolved (reversed, or left to be sent again). */
  get decided(): Promise<void> {
    return this.#decided;
  }

  /** Resolves once the retained status was read (or there was none): the first own status may replace it. */
  get checked(): Promise<void> {
    return this.#checked;
  }

  /** Counts this start in the journal; the statuses say it from the first connection on. */
  async start(): Promise<void> {
    this.#starts = Number((await this.journal.meta(STARTS)) ?? 0) + 1;
    await this.journal.setMeta(STARTS, String(this.#starts));
    this.link.markStatus({ starts: this.#starts });
    this.#unanswered = (await this.journal.sales.outbox())
      .filter((e) => e.type === 'sale' && !e.offline)
      .map((e) => e.txId);
    this.journal.sales.inQuestion(this.#unanswered);
    const held = new Promise<void>((resolve) => {
      let done = false;
      this.#decide = (retained) => {
        if (done) return;
        done = true;
        this.#unlisten();
        // A disk that refused the reversals: they go from memory until it takes them (never the sales).
        void this.#resolve(retained)
          .catch((err: Error) =>
            this.log.error({ err: err.message }, 'recording the reversals of unanswered online sales failed'),
          )
          .finally(() => {
            this.journal.sales.decided();
            resolve();
          });
      };
    });
    // Nothing in question: nothing waits (the check still tells the log and the status).
    this.#decided = this.#unanswered.length ? held : Promise.resolve();
    this.#checked = held;
    this.link.on('ownStatus', this.#onStatus);
    this.link.on('subscribed', this.#onSubscribed);
  }

  stop(): void {
    this.#unlisten();
  }

  #unlisten(): void {
    if (this.#timer) this.clock.timers.clearTimeout(this.#timer);
    this.link.off('ownStatus', this.#onStatus);
    this.link.off('subscribed', this.#onSubscribed);
  }

  async #resolve(retained: StatusMsg | null): Promise<void> {
    const before = retained?.starts ?? 0;
    if (before >= this.#starts) {
      this.#restored = true;
      this.link.markStatus({ starts: this.#starts, restored: true });
      this.log.warn(
        { journalStarts: this.#starts - 1, statusStarts: before, resent: this.#unanswered.length },
        'journal restored from a backup (older than the retained status): unanswered online sales are sent again with their txId, not reversed',
      );
      return;
    }
    if (!this.#unanswered.length) return;
    const reversed = await this.journal.sales.reverseUnansweredOnline(
      this.clock.now().toISOString(),
      this.terminalId,
      this.#unanswered,
    );
    if (reversed) this.log.warn({ reversed }, 'online sales unanswered at restart: reversals queued');
  }
}
