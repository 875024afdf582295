// Small DOM helpers: build elements without innerHTML (plates and server text are never parsed as HTML).

/**
 * What h() and append() take as children: nodes, text (numbers too), nothing, or lists of them.
 * @typedef {Node | string | number | null | undefined | false} Child
 * @typedef {Child | (Child | Child[])[]} Children
 */

/**
 * h('div', {class: 'x', dataset: {testid: 'y'}, i18n: 'key', onclick: fn}, child, ...)
 * Attribute `i18n` sets data-i18n (the text is filled by applyI18n / t()).
 * @template {keyof HTMLElementTagNameMap} K
 * @param {K} tag
 * @param {Record<string, unknown>} [attrs]
 * @param {...Children} children
 * @returns {HTMLElementTagNameMap[K]}
 */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'class') el.className = String(v);
    else if (k === 'dataset') Object.assign(el.dataset, v);
    else if (k === 'testid') el.dataset['testid'] = String(v);
    else if (k === 'text') el.textContent = String(v);
    else if (k.startsWith('on') && typeof v === 'function')
      el.addEventListener(k.slice(2), /** @type {EventListener} */ (v));
    else if (v === true) el.setAttribute(k, '');
    else el.setAttribute(k, String(v));
  }
  append(el, children);
  return el;
}

/**
 * @param {Element} el
 * @param {Children[]} children
 */
function append(el, children) {
  for (const c of children) {
    if (c === undefined || c === null || c === false) continue;
    if (Array.isArray(c)) append(el, c);
    else el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
}

/**
 * Adds `children` to `el` as h() takes them (nothing, false and null are left out).
 * @template {Element} E
 * @param {E} el
 * @param {...Children} children
 * @returns {E}
 */
export function extend(el, ...children) {
  append(el, children);
  return el;
}

/**
 * Replaces `el`'s children with `children`, as h() takes them.
 * @template {Element} E
 * @param {E} el
 * @param {...Children} children
 * @returns {E}
 */
export function replace(el, ...children) {
  clear(el);
  append(el, children);
  return el;
}

/**
 * @template {Element} E
 * @param {E} el
 * @returns {E}
 */
export function clear(el) {
  while (el.firstChild) el.removeChild(el.firstChild);
  return el;
}

/**
 * The page's element matching `sel` (index.html has every one the scripts look up), checked to
 * be a `type` (HTMLElement by default): a missing or different element is a bug, said at once.
 * @template {Element} [E=HTMLElement]
 * @param {string} sel
 * @param {{ new (): E; prototype: E }} [type]
 * @returns {E}
 */
export function $(sel, type) {
  const el = document.querySelector(sel);
  if (!(el instanceof (type ?? HTMLElement)))
    throw new Error(`${sel}: ${el ? `not a ${(type ?? HTMLElement).name}` : 'no such element'}`);
  return /** @type {E} */ (el);
}

/**
 * Every HTML element matching `sel`.
 * @param {string} sel
 * @param {ParentNode} [root]
 * @returns {HTMLElement[]}
 */
export function $$(sel, root = document) {
  return [...root.querySelectorAll(sel)].filter((el) => el instanceof HTMLElement);
}

/**
 * @param {HTMLElement} el
 * @param {boolean} visible
 */
export function show(el, visible) {
  el.hidden = !visible;
}
