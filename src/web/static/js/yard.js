// The yard tab, shown only when the gate has yards: per yard, the occupancy against capacity
// (in all and per class), the vehicles inside (yard-vehicles.js), the vehicles held at the entry
// lanes for room, the calls forward and the operator's forms (yard-actions.js). Loaded from
// GET /api/yards, again on the stream's `yard` message (the server sends at most one a second
// per yard) and when the stream reconnects.
import { apiError, get } from './api.js';
import { $, extend, h, replace } from './dom.js';
import { duration } from './format.js';
import { onLangChange, t, tc } from './i18n.js';
import { canOperate, laneLabel, on, setYards, store } from './state.js';
import { AddVehicleForm, CallsPanel } from './yard-actions.js';
import { VehicleTable } from './yard-vehicles.js';

/**
 * @typedef {import('../../api-contract.js').YardView} YardView
 * @typedef {import('../../api-contract.js').YardsResponse} YardsResponse
 * @typedef {object} YardCard
 * @property {YardView} yard
 * @property {HTMLElement} el
 * @property {HTMLElement} name
 * @property {HTMLElement} full
 * @property {HTMLElement} occupancy
 * @property {HTMLElement} meter
 * @property {HTMLElement} facts
 * @property {HTMLElement} classesTitle
 * @property {HTMLElement} classes
 * @property {HTMLElement} holdsTitle
 * @property {HTMLElement} holds
 * @property {HTMLElement} holdsEmpty
 * @property {HTMLButtonElement} toHolds
 * @property {VehicleTable} vehicles
 * @property {CallsPanel} calls
 * @property {AddVehicleForm | null} add null for a viewer
 */

/** @type {Map<string, YardCard>} yardId → card */
const cards = new Map();
let loading = false;
let again = false;
let generation = 0;
/** @type {{ selectTab: (name: string) => void, currentTab: () => string }} */
let tabs = { selectTab: () => {}, currentTab: () => '' };

/** @param {typeof tabs} opts the app's tabs (app.js imports this module, not the other way round) */
export function initYard(opts) {
  tabs = opts;
  on('session', () => {
    resetYard();
    refreshYards();
  });
  onLangChange(() => {
    for (const card of cards.values()) translateCard(card);
  });
  setInterval(() => {
    for (const card of cards.values()) tickCard(card);
    updateBadge();
  }, 1000);
}

/** Logged out, or another user: nothing of the yards is kept (their role decides the controls). */
export function resetYard() {
  generation++;
  for (const card of cards.values()) card.el.remove();
  cards.clear();
  setYards([]);
  $('[data-testid="tab-yard"]').hidden = true;
  updateBadge();
}

/** The stream's `yard` message, or its reconnect: the yards again (one request at a time). */
export async function refreshYards() {
  if (!store.user) return;
  if (loading) {
    again = true;
    return;
  }
  loading = true;
  const gen = generation;
  if (cards.size === 0) setStatus(t('yard.loading'));
  try {
    const data = /** @type {YardsResponse} */ (await get('/api/yards'));
    if (gen === generation) render(data.yards);
    if (gen === generation) setStatus(null);
  } catch (caught) {
    const err = apiError(caught);
    if (gen === generation && err.status !== 401)
      setStatus(err.status === 0 ? t('error.network') : t('error.generic', { message: err.message }));
  } finally {
    loading = false;
    if (again) {
      again = false;
      refreshYards();
    }
  }
}

/** @param {string | null} text */
function setStatus(text) {
  const el = $('[data-testid="yard-status"]');
  el.textContent = text ?? '';
  el.hidden = !text;
}

/** @param {YardView[]} yards */
function render(yards) {
  setYards(yards);
  $('[data-testid="tab-yard"]').hidden = yards.length === 0;
  if (yards.length === 0 && tabs.currentTab() === 'yard') tabs.selectTab('lanes');
  $('[data-testid="yard-viewer-note"]').hidden = yards.length === 0 || canOperate();
  const list = $('[data-testid="yard-list"]');
  const live = new Set(yards.map((y) => y.yardId));
  for (const [id, card] of cards) {
    if (live.has(id)) continue;
    card.el.remove();
    cards.delete(id);
  }
  yards.forEach((yard, i) => {
    let card = cards.get(yard.yardId);
    if (!card) cards.set(yard.yardId, (card = buildCard(yard)));
    card.yard = yard;
    fillCard(card);
    if (list.children[i] !== card.el) list.insertBefore(card.el, list.children[i] || null);
  });
  updateBadge();
}

/** The tab's badge: how many vehicles are past an overstay threshold, in every yard. */
function updateBadge() {
  let n = 0;
  for (const card of cards.values()) n += card.vehicles.overstays();
  const badge = $('[data-testid="yard-count"]');
  badge.hidden = n === 0;
  badge.textContent = String(n);
}

/**
 * The health view's meter classes (w0..w100 in steps of 5: the page has no inline styles).
 * @param {number} used
 * @param {number} capacity
 */
function meterFill(used, capacity) {
  const ratio = capacity > 0 ? Math.min(1, used / capacity) : 0;
  return h('div', { class: `meter-fill w${Math.round(ratio * 20) * 5}` });
}

/**
 * @param {YardView} yard
 * @returns {YardCard}
 */
function buildCard(yard) {
  const operator = canOperate();
  /** @type {YardCard} */
  const card = {
    yard,
    el: h('article', { class: 'yard-card', testid: `yard-card-${yard.yardId}`, 'data-yard-id': yard.yardId }),
    name: h('h2', { class: 'yard-name', testid: 'yard-name' }),
    full: h('span', { class: 'badge badge-red', testid: 'yard-full', hidden: true }),
    occupancy: h('div', { class: 'yard-occupancy', testid: 'yard-occupancy' }),
    meter: h('div', { class: 'meter yard-meter', role: 'meter', 'aria-valuemin': 0 }),
    facts: h('div', { class: 'yard-facts', testid: 'yard-facts' }),
    classesTitle: h('h3'),
    classes: h('div', { class: 'yard-classes', testid: 'yard-classes' }),
    holdsTitle: h('h3', { testid: 'yard-holds-title' }),
    holds: h('ul', { class: 'yard-holds', testid: 'yard-holds' }),
    holdsEmpty: h('p', { class: 'empty' }),
    toHolds: h('button', { type: 'button', class: 'btn', testid: 'yard-to-holds' }),
    vehicles: new VehicleTable(yard.yardId),
    calls: new CallsPanel(yard.yardId),
    add: operator ? new AddVehicleForm(yard.yardId) : null,
  };
  card.toHolds.addEventListener('click', () => tabs.selectTab('holds'));
  extend(
    card.el,
    h('div', { class: 'yard-head' }, card.name, card.full),
    h('div', { class: 'yard-summary' }, card.occupancy, card.meter, card.facts),
    h('section', { class: 'yard-section', testid: 'yard-classes-section' }, card.classesTitle, card.classes),
    card.vehicles.el,
    h(
      'section',
      { class: 'yard-section', testid: 'yard-holds-section' },
      card.holdsTitle,
      card.holds,
      card.holdsEmpty,
      operator ? card.toHolds : null,
    ),
    card.calls.el,
    card.add ? card.add.el : null,
  );
  translateCard(card);
  return card;
}

/** @param {YardCard} card */
function fillCard(card) {
  const { yard } = card;
  card.name.textContent = yard.name;
  card.el.classList.toggle('full', yard.full);
  card.el.dataset['full'] = String(yard.full);
  card.occupancy.replaceChildren(
    h('span', { class: 'yard-count', testid: 'yard-occupancy-count', text: `${yard.occupancy} / ${yard.capacity}` }),
    ' ',
    h('span', { class: 'sub', text: t('yard.occupancy', { n: yard.occupancy, capacity: yard.capacity }) }),
  );
  card.meter.classList.toggle('problem', yard.full);
  card.meter.setAttribute('aria-valuemax', String(yard.capacity));
  card.meter.setAttribute('aria-valuenow', String(yard.occupancy));
  card.meter.setAttribute('aria-label', t('yard.occupancy', { n: yard.occupancy, capacity: yard.capacity }));
  card.meter.replaceChildren(meterFill(yard.occupancy + yard.reserved, yard.capacity));
  fillFacts(card);
  card.classes.parentElement?.toggleAttribute('hidden', yard.classes.length === 0);
  card.classes.replaceChildren(
    ...yard.classes.map((c) =>
      h(
        'div',
        { class: 'yard-class', testid: `yard-class-${c.id}`, 'data-full': String(c.occupancy >= c.capacity) },
        h('span', { class: 'yard-class-name', text: tc('vehicleClass.', c.id) }),
        h('span', { class: 'yard-class-count', text: `${c.occupancy} / ${c.capacity}` }),
        h(
          'div',
          { class: `meter${c.occupancy >= c.capacity ? ' problem' : ''}`, 'aria-hidden': 'true' },
          meterFill(c.occupancy, c.capacity),
        ),
      ),
    ),
  );
  fillHolds(card);
  card.vehicles.update(yard);
  card.calls.update(yard);
  card.add?.update(yard);
}

/** @param {YardCard} card */
function fillFacts(card) {
  const { yard } = card;
  const free = Math.max(0, yard.capacity - yard.occupancy - yard.reserved);
  card.full.hidden = !yard.full;
  card.full.textContent =
    yard.fullSince === null
      ? t('yard.full')
      : t('yard.fullFor', { age: duration(Math.max(0, Date.now() - yard.fullSince)) });
  replace(
    card.facts,
    h('span', { class: free === 0 ? 'bad' : 'good', text: t('yard.free', { n: free }) }),
    yard.reserved > 0 ? h('span', { class: 'sub', text: ` · ${t('yard.reserved', { n: yard.reserved })}` }) : null,
  );
}

/** @param {YardCard} card */
function fillHolds(card) {
  const { holds } = card.yard;
  card.holdsTitle.textContent = t('yard.holds', { n: holds.length });
  card.holdsEmpty.hidden = holds.length > 0;
  card.toHolds.hidden = holds.length === 0;
  card.holds.replaceChildren(
    ...holds.map((hold) =>
      h(
        'li',
        {
          class: `yard-hold${hold.offered ? ' kept' : ''}`,
          testid: 'yard-hold',
          'data-hold-id': hold.holdId,
          'data-offered': String(hold.offered),
        },
        h('span', { class: 'plate plate-row', text: hold.display || hold.plate || t('holds.noPlate') }),
        h('span', {
          class: 'sub',
          text: t('yard.holdWaiting', {
            lane: laneLabel(hold.laneId),
            age: duration(Math.max(0, Date.now() - hold.createdAt)),
          }),
        }),
        hold.offered
          ? h('span', { class: 'badge badge-amber', testid: 'yard-hold-kept', text: t('yard.placeKept') })
          : null,
      ),
    ),
  );
}

/**
 * Every second: dwells, waits and what is left of the calls go on.
 * @param {YardCard} card
 */
function tickCard(card) {
  fillFacts(card);
  fillHolds(card);
  card.vehicles.tick();
  card.calls.tick();
}

/** @param {YardCard} card */
function translateCard(card) {
  card.classesTitle.textContent = t('yard.classes');
  card.holdsEmpty.textContent = t('yard.holdsEmpty');
  card.toHolds.textContent = t('yard.toHolds');
  card.vehicles.translate();
  card.calls.translate();
  card.add?.translate();
  fillCard(card);
}
