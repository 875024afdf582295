// The hold queue: every pending hold of every lane (flow.holds, kept fresh by SSE `lane`),
// with the plate crop, the reason, near-miss hints, and confirm / refuse / manual open.
import { apiError, get, pageEvent, post } from './api.js';
import { $, h } from './dom.js';
import { duration } from './format.js';
import { onLangChange, t, tc } from './i18n.js';
import { allHolds, canOperate, laneLabel, on, store } from './state.js';
import { yardHoldNote } from './yard-events.js';

/**
 * @typedef {import('../../api-contract.js').EventDetailResponse} EventDetailResponse
 * @typedef {import('../../api-contract.js').EventPayloads['decision']['nearMiss']} NearMisses
 * @typedef {import('../../api-contract.js').OperatorActionRequest} OperatorActionRequest
 * @typedef {import('./api.js').ApiError} ApiError
 * @typedef {import('./state.js').QueuedHold} QueuedHold
 * @typedef {{ kind: 'ok', key: string } | { kind: 'error', err: ApiError }} ActionMessage what the last action of a hold or lane came to
 * @typedef {{ input: HTMLTextAreaElement, inputLabel: HTMLLabelElement, confirm: HTMLButtonElement, refuse: HTMLButtonElement }} HoldControls an operator's
 * @typedef {object} HoldItem one hold in the queue
 * @property {QueuedHold} hold
 * @property {HTMLElement} el
 * @property {HTMLImageElement} crop
 * @property {HTMLElement} plate
 * @property {HTMLElement} lane
 * @property {HTMLElement} where
 * @property {HTMLElement} age
 * @property {HTMLElement} reason
 * @property {HTMLElement} detail
 * @property {HTMLElement} yard the yard's word on a `yard-full` hold
 * @property {HTMLElement} hints
 * @property {HTMLElement} message
 * @property {HoldControls | null} controls null for a viewer
 * @property {boolean} busy
 * @property {ActionMessage | null} lastMessage
 * @property {NonNullable<NearMisses>} nearMiss
 * @typedef {object} ManualRow the manual open of one lane
 * @property {string} laneId
 * @property {HTMLElement} el
 * @property {HTMLElement} name
 * @property {HTMLLabelElement} label
 * @property {HTMLInputElement} input
 * @property {HTMLButtonElement} button
 * @property {HTMLElement} message
 * @property {boolean} busy
 * @property {ActionMessage | null} lastMessage
 */

const MIN_REASON = 3;
/** @type {Map<string, HoldItem>} holdId → item */
const items = new Map();
/** @type {Map<string, ManualRow>} laneId → manual-open row */
const manual = new Map();
/** @type {Map<string, Promise<EventDetailResponse | null>>} holdId → its event's detail */
const details = new Map();

export function initHolds() {
  on('lanes', sync);
  on('lane', sync);
  on('session', sync);
  on('yards', () => {
    for (const it of items.values()) updateYard(it);
  });
  onLangChange(() => {
    for (const it of items.values()) updateItem(it, true);
    for (const m of manual.values()) updateManual(m);
  });
  setInterval(() => {
    for (const it of items.values()) updateAge(it);
  }, 1000);
}

function sync() {
  const list = $('[data-testid="hold-queue"]');
  const holds = store.user ? allHolds() : [];
  const live = new Set(holds.map((x) => x.holdId));
  for (const [id, it] of items) {
    if (!live.has(id)) {
      it.el.remove();
      items.delete(id);
    }
  }
  holds.forEach((hold, i) => {
    let it = items.get(hold.holdId);
    if (!it) {
      it = buildItem(hold);
      items.set(hold.holdId, it);
    }
    it.hold = hold;
    updateItem(it, false);
    if (list.children[i] !== it.el) list.insertBefore(it.el, list.children[i] || null);
  });
  $('[data-testid="holds-empty"]').hidden = holds.length > 0;
  const badge = $('[data-testid="holds-count"]');
  badge.hidden = holds.length === 0;
  badge.textContent = String(holds.length);
  $('[data-testid="holds-viewer-note"]').hidden = !store.user || canOperate();
  syncManual();
}

// ---- one hold ---------------------------------------------------------------------------------

/**
 * @param {QueuedHold} hold
 * @returns {HoldItem}
 */
function buildItem(hold) {
  const id = hold.holdId;
  const parts = {
    crop: h('img', { class: 'crop', testid: 'hold-crop', alt: t('holds.crop'), hidden: true }),
    plate: h('div', { class: 'plate plate-big', testid: 'hold-plate' }),
    lane: h('span', { class: 'hold-lane', testid: 'hold-lane' }),
    where: h('span', { class: 'badge', testid: 'hold-position' }),
    age: h('span', { class: 'hold-age', testid: 'hold-age' }),
    reason: h('div', { class: 'hold-reason', testid: 'hold-reason' }),
    detail: h('div', { class: 'hold-detail', testid: 'hold-detail' }),
    yard: h('div', { class: 'hold-yard', testid: 'hold-yard', hidden: true }),
    hints: h('div', { class: 'hints', testid: 'hold-hints', hidden: true }),
    message: h('p', { class: 'action-message', testid: 'hold-message', role: 'status', hidden: true }),
  };
  const el = h(
    'article',
    { class: 'hold-item', testid: `hold-item-${id}`, 'data-hold-id': id },
    h('div', { class: 'hold-crop' }, parts.crop),
    h(
      'div',
      { class: 'hold-main' },
      h('div', { class: 'hold-meta' }, parts.lane, parts.where, parts.age),
      parts.plate,
      parts.reason,
      parts.detail,
      parts.yard,
      parts.hints,
    ),
  );
  /** @type {HoldItem} */
  const it = { hold, ...parts, el, controls: null, busy: false, lastMessage: null, nearMiss: [] };
  if (canOperate()) {
    const inputId = `hold-reason-${id}`;
    const controls = {
      input: h('textarea', {
        id: inputId,
        class: 'reason-input',
        rows: 2,
        maxlength: 500,
        required: true,
        testid: 'hold-reason-input',
        'aria-describedby': `${inputId}-hint`,
      }),
      inputLabel: h('label', { for: inputId, id: `${inputId}-hint` }),
      confirm: h('button', { type: 'button', class: 'btn btn-go btn-large', testid: 'hold-confirm', disabled: true }),
      refuse: h('button', { type: 'button', class: 'btn btn-stop btn-large', testid: 'hold-refuse', disabled: true }),
    };
    it.controls = controls;
    controls.input.addEventListener('input', () => enableButtons(it, controls));
    controls.confirm.addEventListener('click', () => act(it, controls, 'confirm'));
    controls.refuse.addEventListener('click', () => act(it, controls, 'refuse'));
    el.append(
      h(
        'div',
        { class: 'hold-actions' },
        controls.inputLabel,
        controls.input,
        h('div', { class: 'buttons' }, controls.confirm, controls.refuse),
        it.message,
      ),
    );
  } else {
    el.append(it.message);
  }
  loadCrop(it);
  loadHints(it);
  return it;
}

/**
 * @param {HoldItem} it
 * @param {boolean} lang the language changed
 */
function updateItem(it, lang) {
  const hold = it.hold;
  it.plate.textContent = hold.display || hold.plate || t('holds.noPlate');
  it.plate.classList.toggle('muted', !(hold.display || hold.plate));
  it.lane.textContent = laneLabel(hold.laneId);
  it.where.textContent = t(hold.atBarrier ? 'holds.atBarrier' : 'holds.queued');
  it.where.classList.toggle('badge-amber', hold.atBarrier);
  it.el.classList.toggle('at-barrier', hold.atBarrier);
  it.el.dataset['atBarrier'] = String(hold.atBarrier);
  it.reason.textContent = tc('reason.', hold.reason);
  it.reason.dataset['reason'] = hold.reason || '';
  it.detail.textContent = hold.detail || '';
  it.crop.alt = t('holds.crop');
  updateAge(it);
  updateYard(it);
  const c = it.controls;
  if (c) {
    c.inputLabel.textContent = t('holds.reasonLabel');
    c.input.placeholder = t('holds.reasonPlaceholder');
    c.input.setAttribute('aria-label', t('holds.reasonLabel'));
    if (!it.busy) {
      c.confirm.textContent = t('holds.confirm');
      c.refuse.textContent = t('holds.refuse');
    }
    c.confirm.setAttribute('aria-label', `${t('holds.confirm')}: ${it.plate.textContent}`);
    c.refuse.setAttribute('aria-label', `${t('holds.refuse')}: ${it.plate.textContent}`);
  }
  if (lang) {
    renderHints(it);
    if (it.lastMessage) showMessage(it, it.lastMessage);
  }
}

/**
 * A vehicle held for room in a yard: how full it is, or that a place is kept for it now.
 * @param {HoldItem} it
 */
function updateYard(it) {
  const note = yardHoldNote(it.hold);
  it.yard.hidden = !note;
  it.yard.textContent = note ? note.text : '';
  it.yard.dataset['kept'] = String(!!note?.kept);
}

/** @param {HoldItem} it */
function updateAge(it) {
  const created = it.hold.createdAt;
  it.age.textContent =
    typeof created === 'number' ? t('holds.since', { age: duration(Math.max(0, Date.now() - created)) }) : '';
}

/**
 * @param {HoldItem} it
 * @param {HoldControls} c
 */
function enableButtons(it, c) {
  const ok = c.input.value.trim().length >= MIN_REASON && !it.busy;
  c.confirm.disabled = !ok;
  c.refuse.disabled = !ok;
}

/**
 * The hold's event (its decision, or the failed open) and the vehicle's other events; null when it cannot be had.
 * @param {string} holdId
 * @returns {Promise<EventDetailResponse | null>}
 */
function detailOf(holdId) {
  let detail = details.get(holdId);
  if (!detail) {
    detail = /** @type {Promise<EventDetailResponse | null>} */ (
      get(`/api/events/${encodeURIComponent(holdId)}`).catch(() => null)
    );
    details.set(holdId, detail);
  }
  return detail;
}

/**
 * The crop of the hold's event; when it has none, the crop of the vehicle's plate read.
 * @param {HoldItem} it
 */
function loadCrop(it) {
  const id = it.hold.holdId;
  it.crop.onload = () => (it.crop.hidden = false);
  it.crop.onerror = async () => {
    it.crop.hidden = true;
    it.crop.onerror = () => (it.crop.hidden = true);
    const d = await detailOf(id);
    const withCrop = d && d.related.filter((e) => e.hasCrop).pop();
    if (withCrop) it.crop.src = `/api/events/${encodeURIComponent(withCrop.eventId)}/crop`;
  };
  it.crop.src = `/api/events/${encodeURIComponent(id)}/crop`;
}

/**
 * The near misses of the hold's decision: listed plates close to the read.
 * @param {HoldItem} it
 */
async function loadHints(it) {
  const d = await detailOf(it.hold.holdId);
  const event = d && pageEvent(d.event);
  it.nearMiss = (event?.type === 'decision' && event.payload.nearMiss) || [];
  renderHints(it);
}

/** @param {HoldItem} it */
function renderHints(it) {
  const list = it.nearMiss;
  it.hints.hidden = list.length === 0;
  it.hints.replaceChildren();
  if (!list.length) return;
  it.hints.append(h('span', { class: 'hints-label', text: `${t('holds.similar')}:` }));
  for (const n of list) {
    it.hints.append(
      h(
        'span',
        { class: 'hint', testid: 'hold-hint', 'data-list': n.list },
        h('span', { class: 'plate plate-hint', text: n.plate }),
        ' ',
        h('small', { text: [tc('list.', n.list), t('holds.distance', { n: n.distance })].join(' · ') }),
      ),
    );
  }
}

/** @param {ApiError} err */
function errorText(err) {
  switch (err.code) {
    case 'conflict':
      return t('error.conflict', { message: err.message });
    case 'forbidden':
      return t('error.forbidden');
    case 'csrf':
      return t('error.csrf');
    case 'invalid':
      return t('error.invalid');
    case 'network':
      return t('error.network');
    default:
      return t('error.generic', { message: err.message });
  }
}

/**
 * @param {{ message: HTMLElement, lastMessage: ActionMessage | null }} it a hold or a manual-open row
 * @param {ActionMessage} msg
 */
function showMessage(it, msg) {
  it.lastMessage = msg;
  it.message.hidden = false;
  it.message.textContent = msg.kind === 'ok' ? t(msg.key) : errorText(msg.err);
  it.message.dataset['kind'] = msg.kind;
  if (msg.kind === 'error') it.message.dataset['code'] = msg.err.code || '';
}

/**
 * @param {HoldItem} it
 * @param {HoldControls} c
 * @param {'confirm' | 'refuse'} action
 */
async function act(it, c, action) {
  const reason = c.input.value.trim();
  if (reason.length < MIN_REASON) return;
  it.busy = true;
  enableButtons(it, c);
  (action === 'confirm' ? c.confirm : c.refuse).textContent = t('holds.sending');
  try {
    await post(
      `/api/lanes/${encodeURIComponent(it.hold.laneId)}/holds/${encodeURIComponent(it.hold.holdId)}/${action}`,
      /** @satisfies {OperatorActionRequest} */ ({ reason }),
    );
    showMessage(it, { kind: 'ok', key: 'holds.done' });
    c.input.value = '';
  } catch (caught) {
    const err = apiError(caught);
    if (err.status !== 401) showMessage(it, { kind: 'error', err });
  } finally {
    it.busy = false;
    c.confirm.textContent = t('holds.confirm');
    c.refuse.textContent = t('holds.refuse');
    enableButtons(it, c);
  }
}

// ---- manual open, one row per lane ------------------------------------------------------------

function syncManual() {
  const box = $('[data-testid="manual-list"]');
  const allowed = !!store.user && canOperate();
  $('[data-testid="manual-title"]').hidden = !allowed;
  box.hidden = !allowed;
  for (const [id, m] of manual) {
    if (!allowed || !store.lanes.has(id)) {
      m.el.remove();
      manual.delete(id);
    }
  }
  if (!allowed) return;
  for (const lane of store.lanes.values()) {
    let m = manual.get(lane.laneId);
    if (!m) {
      m = buildManual(lane.laneId);
      manual.set(lane.laneId, m);
      box.append(m.el);
    }
    updateManual(m);
  }
}

/**
 * @param {string} laneId
 * @returns {ManualRow}
 */
function buildManual(laneId) {
  const inputId = `manual-reason-${laneId}`;
  const parts = {
    name: h('strong', { class: 'manual-lane' }),
    label: h('label', { for: inputId }),
    input: h('input', {
      id: inputId,
      type: 'text',
      class: 'reason-input',
      maxlength: 500,
      required: true,
      testid: 'manual-reason-input',
    }),
    button: h('button', { type: 'button', class: 'btn btn-warn btn-large', testid: 'manual-open', disabled: true }),
    message: h('p', { class: 'action-message', testid: 'manual-message', role: 'status', hidden: true }),
  };
  const el = h(
    'div',
    { class: 'manual-row', testid: `manual-open-lane-${laneId}`, 'data-lane-id': laneId },
    parts.name,
    h('div', { class: 'manual-field' }, parts.label, parts.input),
    parts.button,
    parts.message,
  );
  /** @type {ManualRow} */
  const m = { laneId, ...parts, el, busy: false, lastMessage: null };
  m.input.addEventListener('input', () => (m.button.disabled = m.busy || m.input.value.trim().length < MIN_REASON));
  m.button.addEventListener('click', () => manualOpen(m));
  return m;
}

/** @param {ManualRow} m */
function updateManual(m) {
  m.name.textContent = laneLabel(m.laneId);
  m.label.textContent = t('manual.reasonLabel');
  m.input.setAttribute('aria-label', `${t('manual.reasonLabel')} – ${laneLabel(m.laneId)}`);
  m.input.placeholder = t('holds.reasonPlaceholder');
  if (!m.busy) m.button.textContent = t('manual.button');
  m.button.setAttribute('aria-label', `${t('manual.button')}: ${laneLabel(m.laneId)}`);
  if (m.lastMessage) showMessage(m, m.lastMessage);
}

/** @param {ManualRow} m */
async function manualOpen(m) {
  const reason = m.input.value.trim();
  if (reason.length < MIN_REASON) return;
  m.busy = true;
  m.button.disabled = true;
  m.button.textContent = t('holds.sending');
  try {
    await post(
      `/api/lanes/${encodeURIComponent(m.laneId)}/open`,
      /** @satisfies {OperatorActionRequest} */ ({ reason }),
    );
    showMessage(m, { kind: 'ok', key: 'manual.done' });
    m.input.value = '';
  } catch (caught) {
    const err = apiError(caught);
    if (err.status !== 401) showMessage(m, { kind: 'error', err });
  } finally {
    m.busy = false;
    m.button.textContent = t('manual.button');
    m.button.disabled = m.input.value.trim().length < MIN_REASON;
  }
}
