// A time zone's UTC offset at an instant, from the system's tzdata (TZif files, RFC 8536, as in
// /usr/share/zoneinfo on Raspberry Pi OS): the transitions the file lists, then its footer's POSIX
// TZ rule for the years after them. Pure: it is handed the file's bytes. Why not Intl: the first
// Intl.DateTimeFormat with a timeZone loads ICU's zone and locale data, 7 MB of the daemon's memory
// on a 1 GB Pi, for one date a day.

/** One zone: transitions (UTC seconds, ascending) with the offset from each on, and the rule after them. */
export interface Zone {
  times: number[];
  offsets: number[];
  first: number;
  rule: PosixRule | null;
}

/** A POSIX TZ rule (the footer): standard offset, and DST with its start and end rules if any. */
export interface PosixRule {
  std: number;
  dst: { offset: number; start: DateRule; end: DateRule } | null;
}

/** When in the year a change happens (local time `at`, seconds after local midnight). */
type DateRule =
  | { kind: 'M'; month: number; week: number; day: number; at: number }
  | { kind: 'J'; n: number; at: number }
  | { kind: 'N'; n: number; at: number };

/** Parses a TZif file (version 2 or later: 64-bit times and the footer); null when it is not one. */
export function parseTzif(b: Buffer): Zone | null {
  if (b.length < 44 || b.toString('latin1', 0, 4) !== 'TZif' || b[4] === 0) return null;
  // The version 1 block (32-bit times) is skipped; the second header and block follow it.
  const counts = (at: number) =>
    [0, 1, 2, 3, 4, 5].map((i) => b.readUInt32BE(at + 20 + 4 * i)) as [number, number, number, number, number, number];
  const [isut1, isstd1, leap1, time1, type1, char1] = counts(0);
  const v2 = 44 + time1 * 5 + type1 * 6 + char1 + leap1 * 8 + isstd1 + isut1;
  if (b.length < v2 + 44 || b.toString('latin1', v2, v2 + 4) !== 'TZif') return null;
  const [isut, isstd, leap, timecnt, typecnt, charcnt] = counts(v2);
  let p = v2 + 44;
  const end = p + timecnt * 9 + typecnt * 6 + charcnt + leap * 12 + isstd + isut;
  if (typecnt === 0 || b.length < end) return null;
  const times: number[] = [];
  for (let i = 0; i < timecnt; i++, p += 8) times.push(Number(b.readBigInt64BE(p)));
  const idx = [...b.subarray(p, p + timecnt)];
  p += timecnt;
  const utoff: number[] = [];
  for (let i = 0; i < typecnt; i++, p += 6) utoff.push(b.readInt32BE(p));
  if (idx.some((i) => i >= typecnt)) return null;
  const footer = b.toString('latin1', end).split('\n')[1] ?? '';
  const rule = footer === '' ? null : parsePosixTz(footer);
  if (footer !== '' && !rule) return null;
  return { times, offsets: idx.map((i) => utoff[i]), first: utoff[0], rule };
}

/** The zone's offset from UTC (seconds east) at `t` (UTC seconds). */
export function offsetAt(z: Zone, t: number): number {
  const n = z.times.length;
  if (n === 0 || t >= z.times[n - 1]) return z.rule ? ruleOffset(z.rule, t) : n ? z.offsets[n - 1] : z.first;
  if (t < z.times[0]) return z.first;
  let lo = 0;
  let hi = n - 1; // times[lo] <= t < times[hi]
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    if (z.times[mid] <= t) lo = mid;
    else hi = mid;
  }
  return z.offsets[lo];
}

// --- POSIX TZ strings, e.g. "CET-1CEST,M3.5.0,M10.5.0/3" (offsets are west of UTC, hence the signs).

export function parsePosixTz(s: string): PosixRule | null {
  const m =
    /^(<[^>]+>|[A-Za-z]{3,})([+-]?\d{1,3}(?::\d{1,2}){0,2})(?:(<[^>]+>|[A-Za-z]{3,})([+-]?\d{1,3}(?::\d{1,2}){0,2})?(?:,([^,]+),([^,]+))?)?$/.exec(
      s,
    );
  if (!m) return null;
  const std = -clock(m[2]);
  if (!m[3]) return { std, dst: null };
  const offset = m[4] ? -clock(m[4]) : std + 3600;
  // Without rules POSIX leaves them to the implementation; tzdata always gives them.
  const start = m[5] ? dateRule(m[5]) : null;
  const endRule = m[6] ? dateRule(m[6]) : null;
  if (!start || !endRule) return null;
  return { std, dst: { offset, start, end: endRule } };
}

/** [+-]hh[:mm[:ss]] in seconds. */
function clock(s: string): number {
  const sign = s.startsWith('-') ? -1 : 1;
  const [h = 0, mi = 0, se = 0] = s.replace(/^[+-]/, '').split(':').map(Number);
  return sign * (h * 3600 + mi * 60 + se);
}

function dateRule(s: string): DateRule | null {
  const [date, time] = s.split('/') as [string, string | undefined];
  const at = time === undefined ? 7200 : clock(time);
  let m = /^M(\d{1,2})\.(\d)\.(\d)$/.exec(date);
  if (m) {
    const [month, week, day] = [Number(m[1]), Number(m[2]), Number(m[3])];
    return month >= 1 && month <= 12 && week >= 1 && week <= 5 && day <= 6 ? { kind: 'M', month, week, day, at } : null;
  }
  m = /^(J?)(\d{1,3})$/.exec(date);
  if (m) return m[1] ? { kind: 'J', n: Number(m[2]), at } : { kind: 'N', n: Number(m[2]), at };
  return null;
}

const DAY = 86_400;

/** Days since 1970-01-01 of the date a rule gives in `year`. */
function ruleDay(r: DateRule, year: number): number {
  const jan1 = Date.UTC(year, 0, 1) / 1000 / DAY;
  if (r.kind === 'N') return jan1 + r.n;
  if (r.kind === 'J') {
    // 1–365, 29 February never counted.
    const leap = new Date(Date.UTC(year, 1, 29)).getUTCMonth() === 1;
    return jan1 + r.n - 1 + (leap && r.n >= 60 ? 1 : 0);
  }
  const first = Date.UTC(year, r.month - 1, 1) / 1000 / DAY;
  const weekday = (first + 4) % 7; // 1970-01-01 was a Thursday
  let d = first + ((r.day - weekday + 7) % 7) + (r.week - 1) * 7;
  const monthDays = new Date(Date.UTC(year, r.month, 0)).getUTCDate();
  while (d - first >= monthDays) d -= 7; // week 5: the last such weekday
  return d;
}

function ruleOffset(r: PosixRule, t: number): number {
  const { dst } = r;
  if (!dst) return r.std;
  const year = new Date((t + r.std) * 1000).getUTCFullYear();
  // A change is given in the local time in force before it.
  const start = ruleDay(dst.start, year) * DAY + dst.start.at - r.std;
  const end = ruleDay(dst.end, year) * DAY + dst.end.at - dst.offset;
  const inDst = start < end ? t >= start && t < end : t < end || t >= start;
  return inDst ? dst.offset : r.std;
}
