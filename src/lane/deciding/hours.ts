import { type HoursWindow, minutesOfDay } from '../../config/decisions.js';

/** One formatter per zone: building one costs far more than formatting with it. */
const formatters = new Map<string, Intl.DateTimeFormat>();

/** Minutes since local midnight at `now` (epoch ms) in the IANA `timeZone`. */
export function localMinutes(now: number, timeZone: string): number {
  let format = formatters.get(timeZone);
  if (!format) {
    format = new Intl.DateTimeFormat('en-GB', { timeZone, hour: '2-digit', minute: '2-digit', hourCycle: 'h23' });
    formatters.set(timeZone, format);
  }
  let hour = 0;
  let minute = 0;
  for (const part of format.formatToParts(now)) {
    if (part.type === 'hour') hour = Number(part.value);
    else if (part.type === 'minute') minute = Number(part.value);
  }
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
