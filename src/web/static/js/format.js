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
