import { zonedParts } from '../core/zoned-time.js';

/**
 * The site's local days (site.timeZone): a passage belongs to the day on the gate's wall clock,
 * and a day is the span of instants between two local midnights (23 or 25 hours across a DST
 * change, where a zone has one). Pure; Intl does the zone arithmetic.
 */

const DAY_PATTERN = /^(\d{4})-(\d{2})-(\d{2})$/;

/** The local date of `ms` in `timeZone`, as YYYY-MM-DD. */
export function localDay(ms: number, timeZone: string): string {
  const { year, month, day } = zonedParts(ms, timeZone);
  return `${year}-${String(month).padStart(2, '0')}-${String(day).padStart(2, '0')}`;
}

/** Whether `day` is a real calendar date written YYYY-MM-DD. */
export function isDay(day: string): boolean {
  const m = DAY_PATTERN.exec(day);
  if (!m) return false;
  const date = new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])));
  return date.toISOString().slice(0, 10) === day;
}

/** The instants of local `day` in `timeZone`: from its first millisecond (inclusive) to the next day's (exclusive). */
export function dayWindow(day: string, timeZone: string): { from: number; to: number } {
  if (!isDay(day)) throw new RangeError(`not a date (YYYY-MM-DD): ${day}`);
  const next = new Date(Date.parse(`${day}T00:00:00Z`) + 86_400_000).toISOString().slice(0, 10);
  return { from: localMidnight(day, timeZone), to: localMidnight(next, timeZone) };
}

/** The first instant whose local date is `day`. */
function localMidnight(day: string, timeZone: string): number {
  // Start from UTC midnight and correct by the zone's offset there, then once more for a DST step.
  const utc = Date.parse(`${day}T00:00:00Z`);
  let guess = utc - offsetMs(utc, timeZone);
  guess = utc - offsetMs(guess, timeZone);
  // A midnight that does not exist (a DST jump at 00:00) starts the day at the first instant after it.
  while (localDay(guess, timeZone) !== day) guess += localDay(guess, timeZone) < day ? 60_000 : -60_000;
  while (localDay(guess - 1, timeZone) === day) guess -= 60_000;
  return guess;
}

/** The zone's offset from UTC at instant `ms` (local minus UTC), ms. */
function offsetMs(ms: number, timeZone: string): number {
  const p = zonedParts(ms, timeZone);
  return Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute, p.second) - (ms - (ms % 1000));
}
