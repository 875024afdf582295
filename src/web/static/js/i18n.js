// Translations: i18n/{vi,zh,en}.json share one flat key set. Static markup carries data-i18n
// (text), data-i18n-placeholder, data-i18n-aria-label and data-i18n-title; everything the
// scripts render goes through t(key, params).

export const LANGS = ['vi', 'zh', 'en'];
const HTML_LANG = { vi: 'vi', zh: 'zh-Hans', en: 'en' };
export const LOCALES = { vi: 'vi-VN', zh: 'zh-CN', en: 'en-GB' };
const STORAGE_KEY = 'smartgate.lang';

let lang = 'vi';
let dict = {};
const listeners = new Set();

export function currentLang() {
  return lang;
}

export function locale() {
  return LOCALES[lang];
}

/** The translation of `key`, with `{name}` replaced from params; `fallback` (or the key) when missing. */
export function t(key, params, fallback) {
  let s = Object.prototype.hasOwnProperty.call(dict, key) ? dict[key] : fallback !== undefined ? fallback : key;
  if (params) s = s.replace(/\{(\w+)\}/g, (m, name) => (params[name] !== undefined && params[name] !== null ? String(params[name]) : m));
  return s;
}

/** Translation of a code under a prefix (`reason.` + `unknown-plate`), the raw code when unknown. */
export function tc(prefix, code) {
  if (code === null || code === undefined || code === '') return t('common.none');
  return t(prefix + code, null, String(code));
}

export function storedLang() {
  try {
    const v = localStorage.getItem(STORAGE_KEY);
    return LANGS.includes(v) ? v : 'vi';
  } catch {
    return 'vi';
  }
}

export async function setLang(next) {
  if (!LANGS.includes(next)) next = 'vi';
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

export function onLangChange(fn) {
  listeners.add(fn);
}

export function applyI18n(root) {
  for (const el of root.querySelectorAll('[data-i18n]')) el.textContent = t(el.dataset.i18n);
  for (const el of root.querySelectorAll('[data-i18n-placeholder]')) el.placeholder = t(el.dataset.i18nPlaceholder);
  for (const el of root.querySelectorAll('[data-i18n-aria-label]')) el.setAttribute('aria-label', t(el.dataset.i18nAriaLabel));
  for (const el of root.querySelectorAll('[data-i18n-title]')) el.title = t(el.dataset.i18nTitle);
  document.title = t('app.title');
}
