// The offline clock (contract 1.1 § Ledger status and the offline age): how long the terminal has
// been without a live broker connection while the ledger's status was not `offline`. The age is
// never shorter than the time that really passed, whatever the wall clock does: monotonic time
// while running; across a restart the boot-time clock when the boot is the same; after a new boot
// the wall clock only when it is known good (NTP or an RTC), else unknown (infinite: `stale`).
import { z } from 'zod';
import { parsePayload as parse } from '../../contract/index.ts';
import type { Clock } from '../clock.ts';
import type { Journal } from '../journal/journal.ts';
import type { LedgerLink } from '../ledger/link.ts';

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

const parsePayload = (schema: typeof Mark, raw: string): Mark | null => { const r = parse(schema, raw); return r.ok ? r.value : null; };

export class OfflineClock {
  /** Monotonic time at which this process last saw the terminal online. */
  #lastOnlineMono: number | null = null;
  /** The mark found at start (from an earlier run), and the monotonic time of the start. */
  #before: Mark | null = null;
  #startMono = 0;
  #startBoot: { id: string; ms: number } | null = null;
  #lastOnlineWall: string | null = null;
  #ledgerOffline = false;
  #online = false;
  #heartbeat: NodeJS.Timeout | null = null;
  readonly #update = (): void => this.#set(this.link.connected && !this.#ledgerOffline);
  readonly #onLedgerStatus = (state: 'online' | 'offline' | null): void => { this.#ledgerOffline = state === 'offline'; this.#update(); };

  /** `changed`: being online (broker and ledger) changed. */
  constructor(private readonly link: LedgerLink, private readonly journal: Journal, private readonly clock: Clock,
    private readonly changed: () => void = () => undefined) {}

  /** Reads the last online moment from the journal and follows the connection and the ledger's status. */
  async start(): Promise<void> {
    const raw = await this.journal.meta(LAST_ONLINE);
    this.#before = raw ? parsePayload(Mark, raw) : null;
    this.#lastOnlineWall = this.#before?.wall ?? null;
    this.#startMono = this.clock.mono();
    this.#startBoot = this.clock.boot();
    this.link.on('connected', this.#update);
    this.link.on('disconnected', this.#update);
    this.link.on('ledgerStatus', this.#onLedgerStatus);
    this.#heartbeat = setInterval(() => { if (this.#online) void this.#mark(); }, HEARTBEAT_MS);
  }

  /** Records a still live connection as the last online moment (call before the link stops). */
  async stop(): Promise<void> {
    if (this.#heartbeat) clearInterval(this.#heartbeat);
    this.link.off('connected', this.#update);
    this.link.off('disconnected', this.#update);
    this.link.off('ledgerStatus', this.#onLedgerStatus);
    if (this.#online) await this.#mark();
  }

  /** Connected to the broker and the ledger's status is not `offline`: sales are decided online. */
  get online(): boolean { return this.#online; }

  /** The ledger said it is offline: a sale is decided offline at once. */
  get ledgerOffline(): boolean { return this.#ledgerOffline; }

  get lastOnlineAt(): string | null { return this.#online ? this.clock.now().toISOString() : this.#lastOnlineWall; }

  /** Seconds since the terminal was last online; 0 while online, infinite when it cannot be known. */
  offlineForSeconds(): number {
    if (this.#online) return 0;
    const mono = this.clock.mono();
    if (this.#lastOnlineMono !== null) return (mono - this.#lastOnlineMono) / 1000;
    const before = this.#before;
    if (!before) return Number.POSITIVE_INFINITY;
    const inThisRun = (mono - this.#startMono) / 1000;
    const boot = this.#startBoot;
    if (before.boot && boot && before.boot.id === boot.id) return Math.max(0, (boot.ms - before.boot.ms) / 1000) + inThisRun;
    // Powered off between: only a clock known good then and now tells how long.
    if (!before.trusted || !this.clock.wallTrusted()) return Number.POSITIVE_INFINITY;
    return Math.max(0, (this.clock.now().getTime() - Date.parse(before.wall)) / 1000, inThisRun);
  }

  #set(online: boolean): void {
    if (online === this.#online) return;
    this.#online = online;
    // Going online or offline: either way the terminal was online until this moment.
    void this.#mark();
    this.changed();
  }

  async #mark(): Promise<void> {
    this.#lastOnlineMono = this.clock.mono();
    const mark: Mark = { wall: this.clock.now().toISOString(), trusted: this.clock.wallTrusted(), boot: this.clock.boot() };
    this.#lastOnlineWall = mark.wall;
    await this.journal.setMeta(LAST_ONLINE, JSON.stringify(mark)).catch(() => undefined);
  }
}
