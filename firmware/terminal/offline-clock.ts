// The offline clock (contract 1.1 § Ledger status and the offline age): how long the terminal has
// been without a live broker connection while the ledger's status was not `offline`. The age is
// never shorter than the time that really passed, whatever the wall clock does: monotonic time
// while running; across a restart the boot-time clock when the boot is the same; after a new boot
// the wall clock only when it is known good (NTP or an RTC), else unknown (infinite: `stale`).
//
// Two things are told apart. *Online* (a sale is asked of the ledger; the screen says online):
// connected, and the ledger's status not `offline` as far as the terminal knows. *Live* (the cache
// is current, the age stays 0): connected, the ledger's status known on this connection and not
// `offline`, and the card cache not known to have missed a message (sync.ts). A connection counts
// as live only once the broker has told the ledger's status: at the CONNACK a restarted terminal
// does not know it yet, and counting that moment made every restart reset the age while the ledger
// was offline. A broker that keeps no ledger status (a 1.0 ledger) tells so too (link.ts): that
// ledger's records are kept current, so such a connection is live.
import { z } from 'zod';
import { parsePayload as parse } from '../../contract/index.ts';
import type { Clock } from '../clock.ts';
import type { Journal } from '../journal/journal.ts';
import type { LedgerLink } from '../ledger/link.ts';
import type { LedgerSync } from '../ledger/sync.ts';
import type { TimerHandle } from '../../lib/timers.ts';

const LAST_ONLINE = 'last_online';
/** While online, the moment is written this often: a power cut loses at most this much of it (the age only grows by it). */
const HEARTBEAT_MS = 60_000;

/** When the terminal was last online, as the journal keeps it for the next start. */
const Mark = z.object({
  wall: z.string(),
  /** The wall clock was known good when this was written. */
  trusted: z.boolean(),
  boot: z.object({ id: z.string(), ms: z.number() }).nullable(),
});
type Mark = z.infer<typeof Mark>;

const parsePayload = (schema: typeof Mark, raw: string): Mark | null => {
  const r = parse(schema, raw);
  return r.ok ? r.value : null;
};

export class OfflineClock {
  /** Monotonic time at which this process last saw the terminal live. */
  #lastOnlineMono: number | null = null;
  /** The mark found at start (from an earlier run), and the monotonic time of the start. */
  #before: Mark | null = null;
  #startMono = 0;
  #startBoot: { id: string; ms: number } | null = null;
  #lastOnlineWall: string | null = null;
  /** The ledger's last known status was `offline` (kept across reconnects until the broker tells again). */
  #ledgerOffline = false;
  /** The ledger's status was told on this connection. */
  #ledgerKnown = false;
  #online = false;
  #live = false;
  #heartbeat: TimerHandle | null = null;
  readonly #onConnection = (): void => {
    this.#ledgerKnown = false;
    this.#update();
  };
  readonly #update = (): void => {
    const connected = this.link.connected;
    const online = connected && !this.#ledgerOffline;
    const live = online && this.#ledgerKnown && !this.cache.behind;
    if (live !== this.#live) {
      this.#live = live;
      // Becoming live or ending it: either way the cache was current until this moment.
      void this.#mark();
    }
    if (online !== this.#online) {
      this.#online = online;
      this.changed();
    }
  };
  readonly #onLedgerStatus = (state: 'online' | 'offline' | null): void => {
    this.#ledgerKnown = true;
    this.#ledgerOffline = state === 'offline';
    this.#update();
  };

  /** `changed`: being online (broker and ledger) changed. */
  constructor(
    private readonly link: LedgerLink,
    private readonly cache: Pick<LedgerSync, 'behind' | 'on' | 'off'>,
    private readonly journal: Journal,
    private readonly clock: Clock,
    private readonly changed: () => void = () => undefined,
  ) {}

  /** Reads the last online moment from the journal and follows the connection and the ledger's status. */
  async start(): Promise<void> {
    const raw = await this.journal.meta(LAST_ONLINE);
    this.#before = raw ? parsePayload(Mark, raw) : null;
    this.#lastOnlineWall = this.#before?.wall ?? null;
    this.#startMono = this.clock.mono();
    this.#startBoot = this.clock.boot();
    this.link.on('connected', this.#onConnection);
    this.link.on('disconnected', this.#onConnection);
    this.link.on('ledgerStatus', this.#onLedgerStatus);
    this.cache.on('behind', this.#update);
    this.#heartbeat = this.clock.timers.setInterval(() => {
      if (this.#live) void this.#mark();
    }, HEARTBEAT_MS);
  }

  /** Records a still live connection as the last online moment (call before the link stops). */
  async stop(): Promise<void> {
    if (this.#heartbeat) this.clock.timers.clearInterval(this.#heartbeat);
    this.link.off('connected', this.#onConnection);
    this.link.off('disconnected', this.#onConnection);
    this.link.off('ledgerStatus', this.#onLedgerStatus);
    this.cache.off('behind', this.#update);
    if (this.#live) await this.#mark();
  }

  /** Connected to the broker and the ledger's status not known to be `offline`: sales are asked of the ledger. */
  get online(): boolean {
    return this.#online;
  }

  /** Online, the ledger's status told on this connection, and the cache not behind: the offline age stays 0. */
  get live(): boolean {
    return this.#live;
  }

  /** The ledger said it is offline: a sale is decided offline at once. */
  get ledgerOffline(): boolean {
    return this.#ledgerOffline;
  }

  get lastOnlineAt(): string | null {
    return this.#live ? this.clock.now().toISOString() : this.#lastOnlineWall;
  }

  /**
   * Seconds since the terminal was last live; 0 while live; infinite when it cannot be known, and
   * while the cache is known to have missed a message (a block among them: `stale` until fetched again).
   */
  offlineForSeconds(): number {
    if (this.cache.behind) return Number.POSITIVE_INFINITY;
    if (this.#live) return 0;
    const mono = this.clock.mono();
    if (this.#lastOnlineMono !== null) return (mono - this.#lastOnlineMono) / 1000;
    const before = this.#before;
    if (!before) return Number.POSITIVE_INFINITY;
    const inThisRun = (mono - this.#startMono) / 1000;
    const boot = this.#startBoot;
    if (before.boot && boot && before.boot.id === boot.id)
      return Math.max(0, (boot.ms - before.boot.ms) / 1000) + inThisRun;
    // Powered off between: only a clock known good then and now tells how long.
    if (!before.trusted || !this.clock.wallTrusted()) return Number.POSITIVE_INFINITY;
    return Math.max(0, (this.clock.now().getTime() - Date.parse(before.wall)) / 1000, inThisRun);
  }

  async #mark(): Promise<void> {
    this.#lastOnlineMono = this.clock.mono();
    const mark: Mark = {
      wall: this.clock.now().toISOString(),
      trusted: this.clock.wallTrusted(),
      boot: this.clock.boot(),
    };
    this.#lastOnlineWall = mark.wall;
    await this.journal.setMeta(LAST_ONLINE, JSON.stringify(mark)).catch(() => undefined);
  }
}
