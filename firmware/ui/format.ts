// Money, time and reference formatting for the cashier screen. Integer øre only: never a float.
import type { Lang } from '../words.ts';
import { localClock } from '../rules/local-day.ts';

const group = (n: number, sep: string): string => String(n).replace(/\B(?=(\d{3})+(?!\d))/g, sep);

/** 1250 → "12,50 kr" (da) or "kr 12.50" (en); thousands grouped, a minus sign in front. */
export function formatKr(oere: number, lang: Lang): string {
  const sign = oere < 0 ? '-' : '';
  const abs = Math.abs(Math.trunc(oere));
  const kr = Math.floor(abs / 100);
  const ore = String(abs % 100).padStart(2, '0');
  return lang === 'da' ? `${sign}${group(kr, '.')},${ore} kr` : `${sign}kr ${group(kr, ',')}.${ore}`;
}

const pad2 = (n: number) => String(n).padStart(2, '0');

/**
 * Wall-clock time "HH:MM" in the club's `timeZone` (config), not the system's: a Pi's own zone is
 * whatever its image came with (Europe/London on Raspberry Pi OS). Without a zone, the system's.
 */
export function formatClock(d: Date, timeZone?: string): string {
  return timeZone ? localClock(d, timeZone) : `${pad2(d.getHours())}:${pad2(d.getMinutes())}`;
}

/** An ISO timestamp as "HH:MM" (see formatClock); the input unchanged if it does not parse. */
export function formatTime(iso: string, timeZone?: string): string {
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : formatClock(d, timeZone);
}

/** "2026-11-24" → "24.11.2026" (da) or "24 Nov 2026" (en); anything else unchanged. */
export function formatDate(day: string, lang: Lang): string {
  const m = /^(\d{4})-(\d{2})-(\d{2})/.exec(day);
  if (!m) return day;
  const [, y, mo, d] = m;
  if (lang === 'da') return `${d}.${mo}.${y}`;
  const month = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'][Number(mo) - 1];
  return month ? `${Number(d)} ${month} ${y}` : day;
}

/** The short reference a cashier can read out: the txId's first 8 hex digits, upper-case. */
export function shortTxId(txId: string): string {
  return txId.replace(/-/g, '').slice(0, 8).toUpperCase();
}
