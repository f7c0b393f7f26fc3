// "Today" is the club's local calendar date (contract 1.1: local config `timeZone`), never the UTC
// date of a timestamp: a sale at 00:30 in Copenhagen belongs to that day, not to yesterday. The
// zone's offsets come from the system's tzdata (tzif.ts); Intl only where that is missing.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { offsetAt, parseTzif, type Zone } from './tzif.ts';

/** Where tzdata lives (TZDIR as glibc reads it). */
const ZONEINFO = process.env.TZDIR || '/usr/share/zoneinfo';
/** An IANA name: no path tricks reach the file system. */
const ZONE_NAME = /^[A-Za-z][A-Za-z0-9_+-]*(?:\/[A-Za-z0-9_+-]+)*$/;

type Offsets = (at: Date) => number;
const zones = new Map<string, Offsets | null>();

/** The zone's offset (ms east of UTC) as a function of the instant; null for a name nobody knows. */
function zone(timeZone: string): Offsets | null {
  let z = zones.get(timeZone);
  if (z === undefined) {
    z = fromTzdata(timeZone) ?? fromIntl(timeZone);
    zones.set(timeZone, z);
  }
  return z;
}

function fromTzdata(timeZone: string): Offsets | null {
  if (!ZONE_NAME.test(timeZone)) return null;
  let parsed: Zone | null;
  try {
    parsed = parseTzif(readFileSync(join(ZONEINFO, timeZone)));
  } catch {
    return null;
  }
  const z = parsed;
  return z && ((at) => offsetAt(z, Math.floor(at.getTime() / 1000)) * 1000);
}

/** The fallback: what the runtime's ICU says (costs its zone data in memory). */
function fromIntl(timeZone: string): Offsets | null {
  let f: Intl.DateTimeFormat;
  try {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
  } catch {
    return null;
  }
  return (at) => {
    const p = Object.fromEntries(f.formatToParts(at).map((x) => [x.type, x.value]));
    const asUtc = Date.UTC(
      Number(p.year),
      Number(p.month) - 1,
      Number(p.day),
      Number(p.hour),
      Number(p.minute),
      Number(p.second),
    );
    return asUtc - Math.floor(at.getTime() / 1000) * 1000;
  };
}

function known(timeZone: string): Offsets {
  const z = zone(timeZone);
  if (!z) throw new RangeError(`unknown time zone ${timeZone}`);
  return z;
}

/** `at` as local time in `timeZone`, written as if it were UTC: `YYYY-MM-DDTHH:MM:SS.sssZ`. */
const localIso = (at: Date, timeZone: string): string => new Date(at.getTime() + known(timeZone)(at)).toISOString();

/** The local date `YYYY-MM-DD` of `at` in `timeZone` (an IANA name, e.g. Europe/Copenhagen). */
export function localDay(at: Date, timeZone: string): string {
  return localIso(at, timeZone).slice(0, 10);
}

/** The local time `HH:MM` of `at` in `timeZone`. */
export function localClock(at: Date, timeZone: string): string {
  return localIso(at, timeZone).slice(11, 16);
}

/** True when `timeZone` is a zone this system knows (checked when the config is read). */
export function isTimeZone(timeZone: string): boolean {
  return zone(timeZone) !== null;
}

/** The instant (ISO, UTC) at which local day `day` began in `timeZone`: what "sales of today" count from. */
export function localMidnight(day: string, timeZone: string): string {
  const offset = known(timeZone);
  const [y, m, d] = day.split('-').map(Number) as [number, number, number];
  const utcMidnight = Date.UTC(y, m - 1, d);
  // The zone's offset near that moment; twice, in case a change of offset lies between.
  let t = utcMidnight;
  for (let i = 0; i < 2; i++) t = utcMidnight - offset(new Date(t));
  // Where a change falls on midnight (the day begins at 01:00, or 23:00 the evening before), step to the day's first instant.
  while (localDay(new Date(t - 1), timeZone) === day) t -= 3600_000;
  while (localDay(new Date(t), timeZone) !== day) t += 60_000;
  return new Date(t).toISOString();
}
