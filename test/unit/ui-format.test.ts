import test from 'ava';
import { formatKr, formatClock, formatTime, formatDate, shortTxId } from '../../firmware/ui/format.ts';

test('øre as kroner: Danish "12,50 kr", English "kr 12.50", grouped thousands, sign in front', (t) => {
  t.is(formatKr(1250, 'da'), '12,50 kr');
  t.is(formatKr(1250, 'en'), 'kr 12.50');
  t.is(formatKr(5, 'da'), '0,05 kr');
  t.is(formatKr(0, 'en'), 'kr 0.00');
  t.is(formatKr(123456789, 'da'), '1.234.567,89 kr');
  t.is(formatKr(123456789, 'en'), 'kr 1,234,567.89');
  t.is(formatKr(-1600, 'da'), '-16,00 kr');
  t.is(formatKr(-1600, 'en'), '-kr 16.00');
  t.is(formatKr(19999, 'da'), '199,99 kr');
});

test('clock, time of an ISO stamp, report date, short reference', (t) => {
  t.is(formatClock(new Date(2026, 10, 24, 9, 5)), '09:05');
  const iso = new Date(2026, 10, 24, 14, 2).toISOString();
  t.is(formatTime(iso), '14:02');
  t.is(formatTime('garbage'), 'garbage');
  // The club's zone, not the system's (a Pi's is whatever its image came with).
  t.is(formatClock(new Date('2026-12-01T13:05:00Z'), 'Europe/Copenhagen'), '14:05');
  t.is(formatClock(new Date('2026-07-01T13:05:00Z'), 'Europe/Copenhagen'), '15:05');
  t.is(formatTime('2026-12-01T23:30:00Z', 'Europe/Copenhagen'), '00:30');
  t.is(formatClock(new Date('2026-12-01T13:05:00Z'), 'America/St_Johns'), '09:35');
  t.is(formatDate('2026-11-24', 'da'), '24.11.2026');
  t.is(formatDate('2026-11-04', 'en'), '4 Nov 2026');
  t.is(formatDate('someday', 'en'), 'someday');
  t.is(shortTxId('3f2a9c1e-7b44-4d1a-9e0b-5c6d7e8f9a0b'), '3F2A9C1E');
});
