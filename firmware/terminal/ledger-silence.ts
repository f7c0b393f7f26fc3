// Whether the ledger answers (issue 26, item 2). The broker may be up and the ledger's retained
// status `online` while the ledger itself does not answer: a hung or paused process, or a connection
// the broker has not yet found dead (its will comes only then). The terminal learns it only when an
// online sale gets no answer in time; from then the status bar says the ledger is not answering,
// since that first timeout, until the ledger shows it works again: an answer that settles one of
// this terminal's sales or voids (a result that settles nothing, e.g. one for an unknown txId,
// proves nothing), or a status it publishes anew (a new `since`: the ledger connected again). The same retained status brought
// again by the terminal's own reconnect says nothing new and ends nothing.
//
// Every such sale still waits for its answer's timeout: the contract lets a terminal decide offline
// at once only while the ledger's status is `offline` (1.1 § Ledger status and the offline age).
import type { Clock } from '../clock.ts';
import type { LedgerLink } from '../ledger/link.ts';
import type { LedgerSync } from '../ledger/sync.ts';

/** What the terminal knows of the ledger's answering. */
export interface Silence {
  /** When an online sale first went unanswered (ISO), null while the ledger answers. */
  since: string | null;
  /** The ledger's last status as told (its `since` when online), to tell a new one from the same one again. */
  status: { state: 'online' | 'offline' | null; since: string | null } | null;
}

export type SilenceEvent =
  | { type: 'timeout'; at: string }
  | { type: 'answer' }
  | { type: 'status'; state: 'online' | 'offline' | null; since: string | null };

export const NOT_SILENT: Silence = { since: null, status: null };

/** The pure rule: a timeout starts the silence (the first one's time stays), an answer or a new online status ends it. */
export function nextSilence(s: Silence, e: SilenceEvent): Silence {
  switch (e.type) {
    case 'timeout':
      return s.since ? s : { ...s, since: e.at };
    case 'answer':
      return s.since ? { ...s, since: null } : s;
    case 'status': {
      const status = { state: e.state, since: e.since };
      const anew = e.state === 'online' && (s.status?.state !== 'online' || s.status.since !== e.since);
      return { since: anew ? null : s.since, status };
    }
  }
}

export class LedgerSilence {
  #s: Silence = NOT_SILENT;
  readonly #onResult = (): void => this.#apply({ type: 'answer' });
  readonly #onStatus = (state: 'online' | 'offline' | null, since: string | null = null): void =>
    this.#apply({ type: 'status', state, since });

  /** `changed`: the silence began or ended (the status bar says it). */
  constructor(
    private readonly link: Pick<LedgerLink, 'on' | 'off'>,
    private readonly answers: Pick<LedgerSync, 'on' | 'off'>,
    private readonly clock: Pick<Clock, 'now'>,
    private readonly changed: () => void = () => undefined,
  ) {}

  start(): void {
    this.answers.on('settled', this.#onResult);
    this.link.on('ledgerStatus', this.#onStatus);
  }

  stop(): void {
    this.answers.off('settled', this.#onResult);
    this.link.off('ledgerStatus', this.#onStatus);
  }

  /** An online sale got no answer within its timeout. */
  timedOut(): void {
    this.#apply({ type: 'timeout', at: this.clock.now().toISOString() });
  }

  /** Since when the ledger has not answered (ISO), or null. */
  get since(): string | null {
    return this.#s.since;
  }

  #apply(e: SilenceEvent): void {
    const before = this.#s.since;
    this.#s = nextSilence(this.#s, e);
    if (this.#s.since !== before) this.changed();
  }
}
