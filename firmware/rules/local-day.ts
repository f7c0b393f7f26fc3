// "Today" is the club's local calendar date (contract 1.1: local config `timeZone`), never the UTC
// date of a timestamp: a sale at 00:30 in Copenhagen belongs to that day, not to yesterday.

const formats = new Map<string, Intl.DateTimeFormat>();

/** The local date `YYYY-MM-DD` of `at` in `timeZone` (an IANA name, e.g. Europe/Copenhagen). */
export function localDay(at: Date, timeZone: string): string {
  let f = formats.get(timeZone);
  if (!f) {
    // en-CA formats as YYYY-MM-DD.
    f = new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' });
    formats.set(timeZone, f);
  }
  return f.format(at);
}

/** True when `timeZone` is a zone this runtime knows (checked when the config is read). */
export function isTimeZone(timeZone: string): boolean {
  try {
    localDay(new Date(0), timeZone);
    return true;
  } catch {
    return false;
  }
}

/** The instant (ISO, UTC) at which local day `day` began in `timeZone`: what "sales of today" count from. */
export function localMidnight(day: string, timeZone: string): string {
  const [y, m, d] = day.split('-').map(Number) as [number, number, number];
  const utcMidnight = Date.UTC(y, m - 1, d);
  // The zone's offset near that moment, found by formatting; twice, in case a DST change lies between.
  let t = utcMidnight;
  for (let i = 0; i < 2; i++) t = utcMidnight - offsetMs(new Date(t), timeZone);
  // DST changes in Europe happen at night, never at midnight; step back to the first instant of `day`.
  while (localDay(new Date(t - 1), timeZone) === day) t -= 3600_000;
  while (localDay(new Date(t), timeZone) !== day) t += 60_000;
  return new Date(t).toISOString();
}

const partsFormats = new Map<string, Intl.DateTimeFormat>();

/** Local time minus UTC at `at` in `timeZone`, in ms. */
function offsetMs(at: Date, timeZone: string): number {
  let f = partsFormats.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', { timeZone, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', second: 'numeric' });
    partsFormats.set(timeZone, f);
  }
  const p = Object.fromEntries(f.formatToParts(at).map((x) => [x.type, x.value]));
  const asUtc = Date.UTC(Number(p.year), Number(p.month) - 1, Number(p.day), Number(p.hour), Number(p.minute), Number(p.second));
  return asUtc - Math.floor(at.getTime() / 1000) * 1000;
}
