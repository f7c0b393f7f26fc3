// The business day: what the day's report (F3) and the last sale (F2) cover. "Today" is the club's
// local date (config `timeZone`); the day's sales are the journal's rows after a mark taken when
// the day began (row order, never the rows' wall-clock stamps), so a step of the wall clock moves
// no sale out of the day. A new day begins when real time (monotonic; across a restart in the same
// boot, boot time) passes local midnight; a step of the clock only renames the day.
import { z } from 'zod';
import type { Clock } from '../clock.ts';
import type { Journal } from '../journal/journal.ts';
import type { BusinessDayView, RowMark } from '../journal/types.ts';
import { localDay, localMidnight } from '../rules/local-day.ts';
import { parsePayload } from '../../contract/index.ts';
import { must } from '../../lib/must.ts';
import type { TimerHandle } from '../../lib/timers.ts';

const KEY = 'business_day';
/** How often the day is checked: a new day begins within this of local midnight. */
const CHECK_MS = 30_000;

/** Names kept of one day: a clock that steps back and forth more often than this in a day is broken. */
const MAX_NAMES = 8;

const Stored = z.object({
  date: z.string(),
  /** Absent in a journal from before names were kept: the date alone. */
  names: z.array(z.string()).max(MAX_NAMES).optional(),
  mark: z.object({ sale: z.number().int(), void: z.number().int() }),
  /** Boot time when the day was last checked (a restart in the same boot tells the time since). */
  boot: z.object({ id: z.string(), ms: z.number() }).nullable(),
});
type Stored = z.infer<typeof Stored>;

export class BusinessDay {
  #day: BusinessDayView | null = null;
  /** Monotonic time when the day was last seen to be the current one. */
  #seenMono = 0;
  #timer: TimerHandle | null = null;
  #checking: Promise<BusinessDayView> | null = null;

  constructor(
    private readonly journal: Journal,
    private readonly clock: Clock,
    private readonly timeZone: string,
  ) {}

  /** Finds the day the journal was in and whether it is still today, then checks every half minute. */
  async start(): Promise<void> {
    const raw = await this.journal.meta(KEY);
    const r = raw ? parsePayload(Stored, raw) : null;
    const stored = r?.ok ? r.value : null;
    const now = this.clock.now();
    const today = localDay(now, this.timeZone);
    const boot = this.clock.boot();
    if (!stored) {
      // First start (or a journal from before the business day was kept): today by the rows' stamps.
      await this.#begin(today, await this.journal.sales.markBefore(localMidnight(today, this.timeZone)));
      return this.#every();
    }
    this.#day = {
      date: stored.date,
      names: stored.names ?? [stored.date],
      mark: lowest(stored.mark, await this.journal.sales.mark()),
    };
    let sameDay: boolean;
    if (stored.boot && boot && stored.boot.id === boot.id) {
      // The real time of the last check, on the clock as it shows now.
      sameDay = localDay(new Date(now.getTime() - (boot.ms - stored.boot.ms)), this.timeZone) === today;
    } else {
      sameDay = stored.date === today; // a new boot: the wall clock is all there is
    }
    if (sameDay) await this.#rename(today);
    else await this.#begin(today, await this.journal.sales.mark());
    this.#every();
  }

  stop(): void {
    if (this.#timer) this.clock.timers.clearInterval(this.#timer);
  }

  /** After a purge: the mark never lies above the newest rows left (new rows would land below it). */
  clamp(left: RowMark): void {
    const d = this.#day;
    if (!d || (d.mark.sale <= left.sale && d.mark.void <= left.void)) return;
    this.#day = { ...d, mark: lowest(d.mark, left) };
    void this.#save().catch(() => undefined);
  }

  /** The current business day (checked now). */
  today(): Promise<BusinessDayView> {
    this.#checking ??= this.#check().finally(() => {
      this.#checking = null;
    });
    return this.#checking;
  }

  #every(): void {
    this.#seenMono = this.clock.mono();
    this.#timer = this.clock.timers.setInterval(() => void this.today().catch(() => undefined), CHECK_MS, true);
  }

  async #check(): Promise<BusinessDayView> {
    const now = this.clock.now();
    const mono = this.clock.mono();
    const today = localDay(now, this.timeZone);
    const lastSeen = new Date(now.getTime() - (mono - this.#seenMono));
    if (localDay(lastSeen, this.timeZone) !== today) await this.#begin(today, await this.journal.sales.mark());
    else if (this.#day?.date !== today) await this.#rename(today);
    this.#seenMono = mono;
    return must(this.#day, 'the business day begun above');
  }

  async #begin(date: string, mark: RowMark): Promise<void> {
    this.#day = { date, names: [date], mark };
    await this.#save();
  }

  /** Still the same day, but the clock now shows another date (it stepped): the day takes that name. */
  async #rename(date: string): Promise<void> {
    const d = must(this.#day, 'the business day being renamed');
    this.#day = { ...d, date, names: [...d.names.filter((n) => n !== date), date].slice(-MAX_NAMES) };
    await this.#save();
  }

  async #save(): Promise<void> {
    const d = must(this.#day, 'the business day being saved');
    const s: Stored = { ...d, names: [...d.names], boot: this.clock.boot() };
    await this.journal.setMeta(KEY, JSON.stringify(s));
  }
}

const lowest = (a: RowMark, b: RowMark): RowMark => ({
  sale: Math.min(a.sale, b.sale),
  void: Math.min(a.void, b.void),
});
