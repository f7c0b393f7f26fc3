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
