// The offline clock: how long the terminal has been without a live broker connection (the offline
// rules' `maxAgeSeconds`). The end of the last live connection is kept in the journal, so that a
// restart still knows it.
import type { Journal } from '../journal/journal.ts';
import type { LedgerLink } from '../ledger/link.ts';

const LAST_ONLINE = 'last_online_at';
/** While connected, the moment is written this often: a power cut loses at most this much of it. */
const HEARTBEAT_MS = 60_000;

export class OfflineClock {
  #lastOnline: number | null = null;
  #heartbeat: NodeJS.Timeout | null = null;
  readonly #mark = (): void => void this.#markOnline();

  constructor(private readonly link: LedgerLink, private readonly journal: Journal, private readonly now: () => Date) {}

  /** Reads the last live connection's end from the journal and keeps it current from now on. */
  async start(): Promise<void> {
    const last = await this.journal.meta(LAST_ONLINE);
    this.#lastOnline = last ? Date.parse(last) : null;
    this.link.on('connected', this.#mark);
    this.link.on('disconnected', this.#mark);
    this.#heartbeat = setInterval(() => { if (this.link.connected) void this.#markOnline(); }, HEARTBEAT_MS);
  }

  /** Records the end of a connection still live at stop (call before the link stops). */
  async stop(): Promise<void> {
    if (this.#heartbeat) clearInterval(this.#heartbeat);
    this.link.off('connected', this.#mark);
    this.link.off('disconnected', this.#mark);
    if (this.link.connected) await this.#markOnline();
  }

  /** Seconds since the last live broker connection ended; 0 while connected, infinite when never. */
  offlineForSeconds(): number {
    if (this.link.connected) return 0;
    if (this.#lastOnline === null) return Number.POSITIVE_INFINITY;
    return Math.max(0, (this.now().getTime() - this.#lastOnline) / 1000);
  }

  get lastOnlineAt(): string | null { return this.#lastOnline === null ? null : new Date(this.#lastOnline).toISOString(); }

  /** Records that the broker connection is (or was until now) live: the offline age counts from here. */
  async #markOnline(): Promise<void> {
    this.#lastOnline = this.now().getTime();
    await this.journal.setMeta(LAST_ONLINE, new Date(this.#lastOnline).toISOString()).catch(() => undefined);
  }
}
