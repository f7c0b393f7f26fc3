// The club's local day from the system's tzdata (TZif files and their POSIX rules) is the same as
// ICU's (Intl) for zones north and south, with odd offsets, without DST and with DST at midnight,
// over 1970–2100; names that are no zone are refused without touching the file system outside it.
import test from 'ava';
import { readFileSync } from 'node:fs';
import { localDay, localMidnight, isTimeZone } from '../../firmware/rules/local-day.ts';
import { offsetAt, parsePosixTz, parseTzif } from '../../firmware/rules/tzif.ts';

const ZONES = [
  'Europe/Copenhagen',
  'America/New_York',
  'Australia/Sydney',
  'Asia/Kolkata',
  'America/St_Johns',
  'Pacific/Chatham',
  'UTC',
  'Africa/Casablanca',
  'America/Santiago',
  'Asia/Tehran',
  'America/Nuuk',
  'Pacific/Apia',
  'Europe/Dublin',
  'Atlantic/Azores',
];

const formats = new Map<string, Intl.DateTimeFormat>();
const intlOffset = (timeZone: string, at: Date): number => {
  const f =
    formats.get(timeZone) ??
    formats
      .set(
        timeZone,
        new Intl.DateTimeFormat('en-US', {
          timeZone,
          hourCycle: 'h23',
          year: 'numeric',
          month: 'numeric',
          day: 'numeric',
          hour: 'numeric',
          minute: 'numeric',
          second: 'numeric',
        }),
      )
      .get(timeZone)!;
  const p = Object.fromEntries(f.formatToParts(at).map((x) => [x.type, x.value]));
  return (
    (Date.UTC(Number(p.year), Number(p.month) - 1, Number(p.day), Number(p.hour), Number(p.minute), Number(p.second)) -
      Math.floor(at.getTime() / 1000) * 1000) /
    1000
  );
};

/** A fixed pseudo-random walk, so a failure names an instant that comes again. */
function* instants(n: number): Generator<Date> {
  let x = 12345;
  const from = Date.UTC(1970, 0, 1);
  const span = Date.UTC(2100, 0, 1) - from;
  for (let i = 0; i < n; i++) {
    x = (x * 1103515245 + 12345) % 2 ** 31;
    yield new Date(from + Math.floor((x / 2 ** 31) * span));
  }
}

for (const zone of ZONES) {
  test(`${zone}: tzdata offsets and local days agree with ICU's, around every change and at random`, (t) => {
    const z = parseTzif(readFileSync(`/usr/share/zoneinfo/${zone}`));
    if (!z) return t.fail('not parsed');
    const checks = [...instants(3000)];
    // Just before and after each listed change, and the changes the rule makes after them (2037–2100).
    for (const tt of z.times)
      if (tt > 0 && tt < 4102444800) checks.push(new Date(tt * 1000 - 1000), new Date(tt * 1000));
    for (let y = 2030; y < 2100; y += 7)
      for (let d = 0; d < 366; d += 1) checks.push(new Date(Date.UTC(y, 0, 1) + d * 86_400_000 + (d % 24) * 3600_000));
    const bad = checks.filter((at) => offsetAt(z, Math.floor(at.getTime() / 1000)) !== intlOffset(zone, at));
    t.deepEqual(
      bad.slice(0, 3).map((d) => d.toISOString()),
      [],
      `${bad.length} of ${checks.length} instants differ`,
    );
    const fmt = new Intl.DateTimeFormat('en-CA', { timeZone: zone, year: 'numeric', month: '2-digit', day: '2-digit' });
    t.deepEqual(checks.filter((at) => localDay(at, zone) !== fmt.format(at)).slice(0, 3), []);
    // Midnight: the first instant of the day, whatever the zone did at 00:00.
    for (const at of checks.slice(0, 200)) {
      const day = localDay(at, zone);
      const m = Date.parse(localMidnight(day, zone));
      t.is(fmt.format(new Date(m)), day);
      t.not(fmt.format(new Date(m - 1000)), day);
    }
  });
}

test('POSIX rules: the footer forms tzdata uses; names that are no zone are refused', (t) => {
  t.deepEqual(parsePosixTz('CET-1CEST,M3.5.0,M10.5.0/3'), {
    std: 3600,
    dst: {
      offset: 7200,
      start: { kind: 'M', month: 3, week: 5, day: 0, at: 7200 },
      end: { kind: 'M', month: 10, week: 5, day: 0, at: 10800 },
    },
  });
  t.deepEqual(parsePosixTz('<+0530>-5:30'), { std: 19800, dst: null });
  t.like(parsePosixTz('<-02>2<-01>,M3.5.0/-1,M10.5.0/0'), { std: -7200, dst: { offset: -3600, start: { at: -3600 } } });
  t.is(parsePosixTz('CET-1CEST'), null, 'DST without its rules');
  t.is(parsePosixTz('garbage'), null);
  t.is(parseTzif(Buffer.from('not a zone file at all, but long enough to have a header....')), null);
  for (const name of ['Europe/Copenhagen', 'UTC']) t.true(isTimeZone(name));
  for (const name of ['Mars/Olympus', '../../etc/passwd', '/etc/passwd', 'Europe/../../../etc/passwd', ''])
    t.false(isTimeZone(name), name);
});
