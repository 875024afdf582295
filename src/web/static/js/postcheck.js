// The post-check tab ("hậu kiểm"), shown only when a lane decides on fee declarations (its
// `declarations` in GET /api/lanes is not `off`): one of the site's local days, its totals, the flagged
// passages with their evidence (the plate crop, the decision's annotated frame, the read's
// confidence and votes), the declarations used twice and those that expired unused, and its CSV.
// Loaded again on the stream's `postcheck` message for the day shown: at once while the tab is
// open, else when it opens.
import { apiError, get, qs } from './api.js';
import { $, h, replace } from './dom.js';
import { num } from './format.js';
import { locale, onLangChange, t, tc } from './i18n.js';
import { laneLabel, on, store } from './state.js';
import { showDetail } from './events.js';
import { flagList } from './postcheck-events.js';

/**
 * @typedef {import('../../api-contract.js').PostcheckResponse} PostcheckResponse
 * @typedef {import('../../api-contract.js').PostcheckPassage} PostcheckPassage
 * @typedef {PostcheckResponse['totals']} Totals
 */

/** The totals in the order shown; `bad`: a count above 0 needs someone to look. */
const TOTALS = /** @type {const} */ ([
  ['passages', false],
  ['declared', false],
  ['undeclared', true],
  ['flagged', true],
  ['mismatches', true],
  ['declarationsUsedTwice', true],
  ['expiredUnused', false],
]);

/** @type {PostcheckResponse | null} the day shown */
let report = null;
/** @type {string | null} the day asked for; null: today at the gate */
let wanted = null;
/** @type {string | null} today at the gate, as the server last said */
let today = null;
let visible = false;
/** A change was told while the tab was closed: load again when it opens. */
let stale = false;
let loading = false;
let again = false;
let generation = 0;
/** @type {{ selectTab: (name: string) => void, currentTab: () => string }} */
let tabs = { selectTab: () => {}, currentTab: () => '' };

/** @param {typeof tabs} opts the app's tabs (app.js imports this module, not the other way round) */
export function initPostcheck(opts) {
  tabs = opts;
  // The lanes are loaded before the session is announced: they say whether there is a post-check.
  on('session', () => {
    resetPostcheck();
    if ([...store.lanes.values()].some((l) => l.declarations !== 'off')) refreshPostcheck();
  });
  on('tab', (name) => {
    visible = name === 'postcheck';
    if (!visible) return;
    // Reopened on this tab (the page remembers it) where there is no post-check: the lanes instead.
    if (!report && !loading) return tabs.selectTab('lanes');
    if (stale) refreshPostcheck();
  });
  onLangChange(() => {
    if (report) render(report);
  });
  const input = $('[data-testid="postcheck-day"]', HTMLInputElement);
  input.addEventListener('change', () => {
    if (input.value) choose(input.value);
  });
  $('[data-testid="postcheck-prev"]').addEventListener('click', () => report && choose(shiftDay(report.day, -1)));
  $('[data-testid="postcheck-next"]').addEventListener('click', () => report && choose(shiftDay(report.day, 1)));
  $('[data-testid="postcheck-today"]').addEventListener('click', () => choose(null));
}

/** Logged out, or another user: nothing of the post-check is kept. */
export function resetPostcheck() {
  generation++;
  report = null;
  wanted = null;
  today = null;
  stale = false;
  showTab(false);
  for (const part of ['flagged', 'used-twice', 'expired']) replace($(`[data-testid="postcheck-${part}-body"]`));
  replace($('[data-testid="postcheck-totals"]'));
}

/**
 * The stream's `postcheck` message: a passage was added to `day`. The day shown is loaded again;
 * when it is today and the gate's day has turned, the new day is.
 * @param {{ day: string }} message
 */
export function onPostcheckChanged({ day }) {
  if (!report) return;
  if (day !== report.day && !(wanted === null && day > report.day)) return;
  if (visible) refreshPostcheck();
  else stale = true;
}

/** The stream reconnected: what changed meanwhile was not told. */
export function postcheckReconnected() {
  if (!report) return;
  if (visible) refreshPostcheck();
  else stale = true;
}

/** @param {string | null} day */
function choose(day) {
  wanted = day !== null && day === today ? null : day;
  refreshPostcheck();
}

/** The day asked for, again (one request at a time). */
export async function refreshPostcheck() {
  if (!store.user) return;
  if (loading) {
    again = true;
    return;
  }
  loading = true;
  const gen = generation;
  if (!report) setStatus(t('postcheck.loading'));
  try {
    const data = /** @type {PostcheckResponse} */ (await get(`/api/postcheck${qs({ day: wanted })}`));
    if (gen !== generation) return;
    stale = false;
    if (wanted === null) today = data.day;
    render(data);
    setStatus(null);
    showTab(true);
  } catch (caught) {
    const err = apiError(caught);
    if (gen !== generation || err.status === 401) return;
    // No lane of this gate decides on fee declarations (any more): no tab.
    if (err.status === 404 && err.code === 'not-found') return showTab(false);
    setStatus(err.status === 0 ? t('error.network') : t('error.generic', { message: err.message }));
  } finally {
    loading = false;
    if (again) {
      again = false;
      refreshPostcheck();
    }
  }
}

/** @param {boolean} on */
function showTab(on) {
  $('[data-testid="tab-postcheck"]').hidden = !on;
  if (!on && tabs.currentTab() === 'postcheck') tabs.selectTab('lanes');
}

/** @param {string | null} text */
function setStatus(text) {
  const el = $('[data-testid="postcheck-status"]');
  el.textContent = text ?? '';
  el.hidden = !text;
}

/**
 * The calendar day `n` days from `day` (YYYY-MM-DD).
 * @param {string} day
 * @param {number} n
 */
function shiftDay(day, n) {
  const [y, m, d] = day.split('-').map(Number);
  return new Date(Date.UTC(y ?? 1970, (m ?? 1) - 1, (d ?? 1) + n)).toISOString().slice(0, 10);
}

/**
 * A time on the gate's clock (the site's time zone, which may not be the browser's).
 * @param {number} ms
 * @param {string} timeZone
 * @param {boolean} [withDate]
 */
function siteTime(ms, timeZone, withDate = false) {
  const opts = /** @type {Intl.DateTimeFormatOptions} */ ({
    timeZone,
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
    ...(withDate && { year: 'numeric', month: '2-digit', day: '2-digit' }),
  });
  try {
    return new Date(ms).toLocaleString(locale(), opts);
  } catch {
    return new Date(ms).toLocaleString(locale());
  }
}

/**
 * @param {number} amount
 * @param {string} currency
 */
function money(amount, currency) {
  try {
    return new Intl.NumberFormat(locale(), { style: 'currency', currency }).format(amount);
  } catch {
    return `${num(amount, 2)} ${currency}`;
  }
}

/** @param {PostcheckResponse} r */
function render(r) {
  report = r;
  const input = $('[data-testid="postcheck-day"]', HTMLInputElement);
  input.value = r.day;
  if (today) input.max = today;
  $('[data-testid="postcheck-next"]', HTMLButtonElement).disabled = today !== null && r.day >= today;
  $('[data-testid="postcheck-csv"]', HTMLAnchorElement).href = `/api/postcheck.csv?day=${encodeURIComponent(r.day)}`;
  $('[data-testid="postcheck-zone"]').textContent = t('postcheck.zone', {
    day: r.day,
    zone: r.timeZone,
    from: siteTime(r.from, r.timeZone, true),
    to: siteTime(r.to, r.timeZone, true),
  });
  renderTotals(r.totals);
  renderFlagged(r);
  renderUsedTwice(r);
  renderExpired(r);
}

/** @param {Totals} totals */
function renderTotals(totals) {
  replace(
    $('[data-testid="postcheck-totals"]'),
    TOTALS.map(([key, bad]) => {
      const n = totals[key];
      return h(
        'div',
        {
          class: 'postcheck-total',
          testid: `postcheck-total-${key}`,
          'data-value': n,
          'data-tone': bad && n > 0 ? 'bad' : 'plain',
        },
        h('span', { class: 'postcheck-total-n', text: String(n) }),
        h('span', { class: 'postcheck-total-label', text: t(`postcheck.total.${key}`) }),
      );
    }),
  );
}

/**
 * An image of the evidence, or "no image" when it is not there (never kept, or deleted by
 * retention); with `link`, the image opens full size in a tab of its own.
 * @param {string} src
 * @param {string} cls
 * @param {string} alt
 * @param {string} testid
 * @param {boolean} [link]
 */
function evidence(src, cls, alt, testid, link = false) {
  const img = h('img', { class: cls, alt, loading: 'lazy', src, testid });
  const el = link ? h('a', { href: src, target: '_blank', rel: 'noopener', title: alt }, img) : img;
  img.addEventListener('error', () => el.replaceWith(h('span', { class: 'sub', text: t('postcheck.noImage') })));
  return el;
}

/** @param {PostcheckResponse} r */
function renderFlagged(r) {
  $('[data-testid="postcheck-flagged-title"]').textContent = t('postcheck.flagged', { n: r.flagged.length });
  $('[data-testid="postcheck-flagged-empty"]').hidden = r.flagged.length > 0;
  replace(
    $('[data-testid="postcheck-flagged-body"]'),
    r.flagged.map((p) => flaggedRow(p, r.timeZone)),
  );
}

/**
 * @param {PostcheckPassage} p
 * @param {string} timeZone
 */
function flaggedRow(p, timeZone) {
  const crop = p.flagEventId
    ? evidence(
        `/api/events/${encodeURIComponent(p.flagEventId)}/crop`,
        'crop crop-small',
        t('detail.crop'),
        'postcheck-crop',
      )
    : h('span', { class: 'sub', text: t('postcheck.noImage') });
  const frame = p.decisionId
    ? evidence(
        `/api/events/${encodeURIComponent(p.decisionId)}/frame`,
        'postcheck-frame',
        t('postcheck.frame'),
        'postcheck-frame',
        true,
      )
    : h('span', { class: 'sub', text: t('postcheck.noImage') });
  const details = h('button', {
    type: 'button',
    class: 'btn postcheck-details',
    testid: 'postcheck-details',
    text: t('postcheck.details'),
  });
  details.addEventListener('click', () => showDetail(p.decisionId ?? p.passageId, p.laneId));
  return h(
    'tr',
    {
      class: 'postcheck-row',
      testid: 'postcheck-flagged-row',
      'data-passage-id': p.passageId,
      'data-plate': p.plate ?? '',
    },
    h('td', { class: 'nowrap', testid: 'postcheck-time', text: siteTime(p.passedAt, timeZone) }),
    h('td', { testid: 'postcheck-lane', text: laneLabel(p.laneId) }),
    h('td', { class: 'crop-cell' }, crop),
    h(
      'td',
      {},
      p.plate
        ? h('span', { class: 'plate plate-row', testid: 'postcheck-plate', text: p.plate })
        : h('span', { class: 'muted', testid: 'postcheck-plate', text: t('postcheck.unread') }),
      h('div', {}, details),
    ),
    h('td', {}, flagList(p.flags)),
    h('td', {
      class: p.declarationId ? 'mono' : 'muted',
      testid: 'postcheck-declaration',
      text: p.declarationId ?? t('postcheck.noDeclaration'),
    }),
    h('td', {
      testid: 'postcheck-read',
      text:
        p.confidence === null
          ? t('common.none')
          : t('postcheck.read', { confidence: num(p.confidence, 2), votes: p.votes ?? '?' }),
    }),
    h('td', {}, frame),
  );
}

/** @param {PostcheckResponse} r */
function renderUsedTwice(r) {
  $('[data-testid="postcheck-used-twice-title"]').textContent = t('postcheck.usedTwice', { n: r.usedTwice.length });
  $('[data-testid="postcheck-used-twice-empty"]').hidden = r.usedTwice.length > 0;
  replace(
    $('[data-testid="postcheck-used-twice-body"]'),
    r.usedTwice.map((u) =>
      h(
        'tr',
        { testid: 'postcheck-used-twice-row', 'data-declaration-id': u.declarationId },
        h('td', { class: 'mono', text: u.declarationId }),
        h('td', {}, u.plate ? h('span', { class: 'plate', text: u.plate }) : t('postcheck.unread')),
        h(
          'td',
          { class: 'postcheck-passages' },
          u.passages.map((x) => {
            const b = h('button', {
              type: 'button',
              class: 'link',
              testid: 'postcheck-used-passage',
              text: t('postcheck.passageAt', {
                time: siteTime(x.passedAt, r.timeZone, true),
                lane: laneLabel(x.laneId),
              }),
            });
            b.addEventListener('click', () => showDetail(x.passageId, x.laneId));
            return b;
          }),
        ),
      ),
    ),
  );
}

/** @param {PostcheckResponse} r */
function renderExpired(r) {
  $('[data-testid="postcheck-expired-title"]').textContent = t('postcheck.expired', { n: r.expiredUnused.length });
  $('[data-testid="postcheck-expired-empty"]').hidden = r.expiredUnused.length > 0;
  replace(
    $('[data-testid="postcheck-expired-body"]'),
    r.expiredUnused.map((d) =>
      h(
        'tr',
        { testid: 'postcheck-expired-row', 'data-declaration-id': d.declarationId },
        h('td', { class: 'mono', text: d.declarationId }),
        h('td', {}, h('span', { class: 'plate', text: d.plate })),
        h('td', { text: tc('vehicleClass.', d.vehicleClass) }),
        h('td', { class: 'nowrap', text: siteTime(d.validUntil, r.timeZone, true) }),
        h('td', { class: 'nowrap', text: money(d.amount, d.currency) }),
        h('td', { class: 'mono', text: d.feeRef }),
      ),
    ),
  );
}
