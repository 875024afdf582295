// Translations: i18n/{vi,zh,en}.json share one flat key set. Static markup carries data-i18n
// (text), data-i18n-placeholder, data-i18n-aria-label and data-i18n-title; everything the
// scripts render goes through t(key, params).

/** @typedef {'vi' | 'zh' | 'en'} Lang */

/** @type {readonly Lang[]} */
export const LANGS = ['vi', 'zh', 'en'];
/** @type {Record<Lang, string>} */
const HTML_LANG = { vi: 'vi', zh: 'zh-Hans', en: 'en' };
/** @type {Record<Lang, string>} */
export const LOCALES = { vi: 'vi-VN', zh: 'zh-CN', en: 'en-GB' };
const STORAGE_KEY = 'smartgate.lang';

/** @type {Lang} */
let lang = 'vi';
/** @type {Record<string, string>} */
let dict = {};
/** @type {Set<(lang: Lang) => void>} */
const listeners = new Set();

/**
 * @param {unknown} v
 * @returns {v is Lang}
 */
function isLang(v) {
  return LANGS.some((l) => l === v);
}

export function currentLang() {
  return lang;
}

export function locale() {
  return LOCALES[lang];
}

/**
 * The translation of `key`, with `{name}` replaced from params; `fallback` (or the key) when missing.
 * @param {string} key
 * @param {Record<string, unknown> | null} [params]
 * @param {string} [fallback]
 * @returns {string}
 */
export function t(key, params, fallback) {
  let s = Object.prototype.hasOwnProperty.call(dict, key)
    ? /** @type {string} */ (dict[key])
    : fallback !== undefined
      ? fallback
      : key;
  if (params)
    s = s.replace(/\{(\w+)\}/g, (m, name) =>
      params[name] !== undefined && params[name] !== null ? String(params[name]) : m,
    );
  return s;
}

/**
 * Translation of a code under a prefix (`reason.` + `unknown-plate`), the raw code when unknown.
 * @param {string} prefix
 * @param {string | null | undefined} code
 */
export function tc(prefix, code) {
  if (code === null || code === undefined || code === '') return t('common.none');
  return t(prefix + code, null, String(code));
}

/** @returns {Lang} */
export function storedLang() {
  try {
    const v = localStorage.getItem(STORAGE_KEY);
    return isLang(v) ? v : 'vi';
  } catch {
    return 'vi';
  }
}

/** @param {string | undefined} wanted */
export async function setLang(wanted) {
  const next = isLang(wanted) ? wanted : 'vi';
  const res = await fetch(`/static/i18n/${next}.json`, { credentials: 'same-origin' });
  if (!res.ok) throw new Error(`i18n ${next}: ${res.status}`);
  dict = await res.json();
  lang = next;
  try {
    localStorage.setItem(STORAGE_KEY, next);
  } catch {
    /* private mode: the choice lasts for this page only */
  }
  document.documentElement.lang = HTML_LANG[next];
  applyI18n(document);
  for (const fn of listeners) fn(next);
}

/** @param {(lang: Lang) => void} fn */
export function onLangChange(fn) {
  listeners.add(fn);
}

/** @param {ParentNode} root */
export function applyI18n(root) {
  for (const el of root.querySelectorAll('[data-i18n]')) el.textContent = t(el.getAttribute('data-i18n') ?? '');
  for (const el of root.querySelectorAll('[data-i18n-placeholder]'))
    el.setAttribute('placeholder', t(el.getAttribute('data-i18n-placeholder') ?? ''));
  for (const el of root.querySelectorAll('[data-i18n-aria-label]'))
    el.setAttribute('aria-label', t(el.getAttribute('data-i18n-aria-label') ?? ''));
  for (const el of root.querySelectorAll('[data-i18n-title]'))
    el.setAttribute('title', t(el.getAttribute('data-i18n-title') ?? ''));
  document.title = t('app.title');
}
