import { locale, t } from './i18n.js';

/**
 * A duration for a person: "850 ms", "12 s", "4 min", "3 h", "2 d" in the page's language.
 * @param {number | null | undefined} ms
 */
export function duration(ms) {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return t('common.none');
  if (ms < 1000) return t('unit.ms', { n: Math.round(ms) });
  const s = ms / 1000;
  if (s < 60) return t('unit.s', { n: s < 10 ? s.toFixed(1) : Math.round(s) });
  const m = s / 60;
  if (m < 60) return t('unit.min', { n: Math.floor(m) });
  const hrs = m / 60;
  if (hrs < 48) return t('unit.h', { n: hrs < 10 ? hrs.toFixed(1) : Math.round(hrs) });
  return t('unit.d', { n: Math.round(hrs / 24) });
}

/** @param {number | null | undefined} ms epoch */
export function dateTime(ms) {
  if (!ms) return t('common.none');
  return new Date(ms).toLocaleString(locale(), {
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
  });
}

/** @param {number | null | undefined} ms epoch */
export function time(ms) {
  if (!ms) return t('common.none');
  const d = new Date(ms);
  const today = new Date();
  if (d.toDateString() === today.toDateString())
    return d.toLocaleTimeString(locale(), { hour: '2-digit', minute: '2-digit', second: '2-digit' });
  return dateTime(ms);
}

/** @param {number | null | undefined} n */
export function bytes(n) {
  if (n === null || n === undefined || !Number.isFinite(n)) return t('common.none');
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let i = 0;
  let v = n;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v.toLocaleString(locale(), { maximumFractionDigits: v < 10 ? 1 : 0 })} ${units[i]}`;
}

/**
 * @param {number | null | undefined} n
 * @param {number} [digits]
 */
export function num(n, digits = 1) {
  if (n === null || n === undefined || !Number.isFinite(n)) return t('common.none');
  return n.toLocaleString(locale(), { maximumFractionDigits: digits });
}

/**
 * A wall-clock ms from an epoch number or an ISO string.
 * @param {unknown} v
 * @returns {number | null}
 */
export function toMs(v) {
  if (typeof v === 'number') return v;
  if (typeof v === 'string') {
    const n = Date.parse(v);
    return Number.isNaN(n) ? null : n;
  }
  return null;
}

/**
 * How long a vehicle has been in the yard: as duration() under an hour, then hours and minutes
 * ("5 h 07 min"), which a dwell of hours needs more than "5.1 h".
 * @param {number | null | undefined} ms
 */
export function dwell(ms) {
  if (ms === null || ms === undefined || !Number.isFinite(ms) || ms < 3_600_000) return duration(ms);
  const min = Math.floor(ms / 60_000);
  return t('unit.hmin', { h: Math.floor(min / 60), m: String(min % 60).padStart(2, '0') });
}

/**
 * A round length of time exactly, for settings such as a yard's overstay thresholds: "4 h",
 * "90 min" is "1 h 30 min" (duration() would say "4.0 h", "1.5 h").
 * @param {number} total in minutes
 */
export function minutes(total) {
  if (!Number.isFinite(total) || total < 1) return duration(total * 60_000);
  const whole = Math.round(total);
  const h = Math.floor(whole / 60);
  const m = whole % 60;
  if (h === 0) return t('unit.min', { n: m });
  return m === 0 ? t('unit.h', { n: h }) : t('unit.hmin', { h, m: String(m).padStart(2, '0') });
}
