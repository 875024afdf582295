// The hold queue: every pending hold of every lane (flow.holds, kept fresh by SSE `lane`),
// with the plate crop, the reason, near-miss hints, and confirm / refuse / manual open.
import { get, post } from './api.js';
import { $, h } from './dom.js';
import { duration } from './format.js';
import { onLangChange, t, tc } from './i18n.js';
import { allHolds, canOperate, laneLabel, on, store } from './state.js';

const MIN_REASON = 3;
const items = new Map(); // holdId → item
const manual = new Map(); // laneId → manual-open row
const details = new Map(); // holdId → Promise<{event, related}|null>

export function initHolds() {
  on('lanes', sync);
  on('lane', sync);
  on('session', sync);
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

function buildItem(hold) {
  const id = hold.holdId;
  const it = { hold };
  it.crop = h('img', { class: 'crop', testid: 'hold-crop', alt: t('holds.crop'), hidden: true });
  it.plate = h('div', { class: 'plate plate-big', testid: 'hold-plate' });
  it.lane = h('span', { class: 'hold-lane', testid: 'hold-lane' });
  it.where = h('span', { class: 'badge', testid: 'hold-position' });
  it.age = h('span', { class: 'hold-age', testid: 'hold-age' });
  it.reason = h('div', { class: 'hold-reason', testid: 'hold-reason' });
  it.detail = h('div', { class: 'hold-detail', testid: 'hold-detail' });
  it.hints = h('div', { class: 'hints', testid: 'hold-hints', hidden: true });
  it.message = h('p', { class: 'action-message', testid: 'hold-message', role: 'status', hidden: true });
  it.el = h(
    'article',
    { class: 'hold-item', testid: `hold-item-${id}`, 'data-hold-id': id },
    h('div', { class: 'hold-crop' }, it.crop),
    h('div', { class: 'hold-main' }, h('div', { class: 'hold-meta' }, it.lane, it.where, it.age), it.plate, it.reason, it.detail, it.hints),
  );
  if (canOperate()) {
    const inputId = `hold-reason-${id}`;
    it.input = h('textarea', { id: inputId, class: 'reason-input', rows: 2, maxlength: 500, required: true, testid: 'hold-reason-input', 'aria-describedby': `${inputId}-hint` });
    it.inputLabel = h('label', { for: inputId, id: `${inputId}-hint` });
    it.confirm = h('button', { type: 'button', class: 'btn btn-go btn-large', testid: 'hold-confirm', disabled: true });
    it.refuse = h('button', { type: 'button', class: 'btn btn-stop btn-large', testid: 'hold-refuse', disabled: true });
    it.input.addEventListener('input', () => enableButtons(it));
    it.confirm.addEventListener('click', () => act(it, 'confirm'));
    it.refuse.addEventListener('click', () => act(it, 'refuse'));
    it.el.append(h('div', { class: 'hold-actions' }, it.inputLabel, it.input, h('div', { class: 'buttons' }, it.confirm, it.refuse), it.message));
  } else {
    it.el.append(it.message);
  }
  loadCrop(it);
  loadHints(it);
  return it;
}

function updateItem(it, lang) {
  const hold = it.hold;
  it.plate.textContent = hold.display || hold.plate || t('holds.noPlate');
  it.plate.classList.toggle('muted', !(hold.display || hold.plate));
  it.lane.textContent = laneLabel(hold.laneId);
  it.where.textContent = t(hold.atBarrier ? 'holds.atBarrier' : 'holds.queued');
  it.where.classList.toggle('badge-amber', hold.atBarrier);
  it.el.classList.toggle('at-barrier', hold.atBarrier);
  it.el.dataset.atBarrier = String(hold.atBarrier);
  it.reason.textContent = tc('reason.', hold.reason);
  it.reason.dataset.reason = hold.reason || '';
  it.detail.textContent = hold.detail || '';
  it.crop.alt = t('holds.crop');
  updateAge(it);
  if (it.input) {
    it.inputLabel.textContent = t('holds.reasonLabel');
    it.input.placeholder = t('holds.reasonPlaceholder');
    it.input.setAttribute('aria-label', t('holds.reasonLabel'));
    if (!it.busy) {
      it.confirm.textContent = t('holds.confirm');
      it.refuse.textContent = t('holds.refuse');
    }
    it.confirm.setAttribute('aria-label', `${t('holds.confirm')}: ${it.plate.textContent}`);
    it.refuse.setAttribute('aria-label', `${t('holds.refuse')}: ${it.plate.textContent}`);
  }
  if (lang) {
    renderHints(it);
    if (it.lastMessage) showMessage(it, it.lastMessage);
  }
}

function updateAge(it) {
  const created = it.hold.createdAt;
  it.age.textContent = typeof created === 'number' ? t('holds.since', { age: duration(Math.max(0, Date.now() - created)) }) : '';
}

function enableButtons(it) {
  const ok = it.input.value.trim().length >= MIN_REASON && !it.busy;
  it.confirm.disabled = !ok;
  it.refuse.disabled = !ok;
}

function detailOf(holdId) {
  if (!details.has(holdId)) {
    details.set(
      holdId,
      get(`/api/events/${encodeURIComponent(holdId)}`).catch(() => null),
    );
  }
  return details.get(holdId);
}

/** The crop of the hold's event; when it has none, the crop of the vehicle's plate read. */
function loadCrop(it) {
  const id = it.hold.holdId;
  it.crop.onload = () => (it.crop.hidden = false);
  it.crop.onerror = async () => {
    it.crop.hidden = true;
    it.crop.onerror = () => (it.crop.hidden = true);
    const d = await detailOf(id);
    const withCrop = d && (d.related || []).filter((e) => e.hasCrop).pop();
    if (withCrop) it.crop.src = `/api/events/${encodeURIComponent(withCrop.eventId)}/crop`;
  };
  it.crop.src = `/api/events/${encodeURIComponent(id)}/crop`;
}

async function loadHints(it) {
  const d = await detailOf(it.hold.holdId);
  const p = d && d.event && d.event.payload;
  it.nearMiss = (p && (p.nearMiss || (p.hints && p.hints.nearMiss))) || [];
  renderHints(it);
}

function renderHints(it) {
  const list = it.nearMiss || [];
  it.hints.hidden = list.length === 0;
  it.hints.replaceChildren();
  if (!list.length) return;
  it.hints.append(h('span', { class: 'hints-label', text: `${t('holds.similar')}:` }));
  for (const n of list) {
    it.hints.append(
      h(
        'span',
        { class: 'hint', testid: 'hold-hint', 'data-list': n.list || '' },
        h('span', { class: 'plate plate-hint', text: n.display || n.plate }),
        ' ',
        h('small', { text: [n.list ? tc('list.', n.list) : '', n.distance !== undefined ? t('holds.distance', { n: n.distance }) : ''].filter(Boolean).join(' · ') }),
      ),
    );
  }
}

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

function showMessage(it, msg) {
  it.lastMessage = msg;
  it.message.hidden = false;
  it.message.textContent = msg.key ? t(msg.key) : errorText(msg.err);
  it.message.dataset.kind = msg.kind;
  if (msg.err) it.message.dataset.code = msg.err.code || '';
}

async function act(it, action) {
  const reason = it.input.value.trim();
  if (reason.length < MIN_REASON) return;
  it.busy = true;
  enableButtons(it);
  (action === 'confirm' ? it.confirm : it.refuse).textContent = t('holds.sending');
  try {
    await post(`/api/lanes/${encodeURIComponent(it.hold.laneId)}/holds/${encodeURIComponent(it.hold.holdId)}/${action}`, { reason });
    showMessage(it, { kind: 'ok', key: 'holds.done' });
    it.input.value = '';
  } catch (err) {
    if (err.status !== 401) showMessage(it, { kind: 'error', err });
  } finally {
    it.busy = false;
    it.confirm.textContent = t('holds.confirm');
    it.refuse.textContent = t('holds.refuse');
    enableButtons(it);
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

function buildManual(laneId) {
  const m = { laneId };
  const inputId = `manual-reason-${laneId}`;
  m.name = h('strong', { class: 'manual-lane' });
  m.label = h('label', { for: inputId });
  m.input = h('input', { id: inputId, type: 'text', class: 'reason-input', maxlength: 500, required: true, testid: 'manual-reason-input' });
  m.button = h('button', { type: 'button', class: 'btn btn-warn btn-large', testid: 'manual-open', disabled: true });
  m.message = h('p', { class: 'action-message', testid: 'manual-message', role: 'status', hidden: true });
  m.input.addEventListener('input', () => (m.button.disabled = m.busy || m.input.value.trim().length < MIN_REASON));
  m.button.addEventListener('click', () => manualOpen(m));
  m.el = h('div', { class: 'manual-row', testid: `manual-open-lane-${laneId}`, 'data-lane-id': laneId }, m.name, h('div', { class: 'manual-field' }, m.label, m.input), m.button, m.message);
  return m;
}

function updateManual(m) {
  m.name.textContent = laneLabel(m.laneId);
  m.label.textContent = t('manual.reasonLabel');
  m.input.setAttribute('aria-label', `${t('manual.reasonLabel')} – ${laneLabel(m.laneId)}`);
  m.input.placeholder = t('holds.reasonPlaceholder');
  if (!m.busy) m.button.textContent = t('manual.button');
  m.button.setAttribute('aria-label', `${t('manual.button')}: ${laneLabel(m.laneId)}`);
  if (m.lastMessage) showMessage(m, m.lastMessage);
}

async function manualOpen(m) {
  const reason = m.input.value.trim();
  if (reason.length < MIN_REASON) return;
  m.busy = true;
  m.button.disabled = true;
  m.button.textContent = t('holds.sending');
  try {
    await post(`/api/lanes/${encodeURIComponent(m.laneId)}/open`, { reason });
    showMessage(m, { kind: 'ok', key: 'manual.done' });
    m.input.value = '';
  } catch (err) {
    if (err.status !== 401) showMessage(m, { kind: 'error', err });
  } finally {
    m.busy = false;
    m.button.textContent = t('manual.button');
    m.button.disabled = m.input.value.trim().length < MIN_REASON;
  }
}
