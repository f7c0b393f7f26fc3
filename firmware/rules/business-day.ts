// The business day: what the day's report and the last voidable sale cover.

export interface BusinessDay {
  /** Its date, YYYY-MM-DD. */
  date: string;
  /** When it began, as an ISO instant. */
  since: string;
}

/** The day of `now`: from local midnight. */
export function businessDay(now: Date): BusinessDay {
  const since = new Date(now.getFullYear(), now.getMonth(), now.getDate()).toISOString();
  return { date: since.slice(0, 10), since };
}
