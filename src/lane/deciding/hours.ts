import { type HoursWindow, minutesOfDay } from '../../config/decisions.js';
import { zonedParts } from '../../core/zoned-time.js';

/** Minutes since local midnight at `now` (epoch ms) in the IANA `timeZone`. */
export function localMinutes(now: number, timeZone: string): number {
  const { hour, minute } = zonedParts(now, timeZone);
  return hour * 60 + minute;
}

/**
 * Whether `now` falls in one of the windows: `from` inclusive, `to` exclusive, and a window
 * whose `to` is earlier than its `from` runs across midnight (22:00 to 06:00).
 */
export function withinHours(now: number, windows: readonly HoursWindow[], timeZone: string): boolean {
  const minute = localMinutes(now, timeZone);
  return windows.some(({ from, to }) => {
    const start = minutesOfDay(from);
    const end = minutesOfDay(to);
    return start < end ? minute >= start && minute < end : minute >= start || minute < end;
  });
}
