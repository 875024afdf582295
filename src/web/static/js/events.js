// The latest vehicles: one row per decision (GET /api/events?type=decision), completed with the
// plate read's crop and the barrier / visit outcome from the same lane's other events; filters,
// "more" pages, live rows from SSE `read`, and the detail of one vehicle.
import { apiError, get, pageEvent, qs } from './api.js';
import { $, clear, h } from './dom.js';
import { dateTime, duration, num, time, toMs } from './format.js';
import { onLangChange, t, tc } from './i18n.js';
import { laneLabel, on, store } from './state.js';
import { forgetPostcheck, notePostcheck, postcheckBadge, postcheckSummary } from './postcheck-events.js';
import { yardActionSummary, yardSummary } from './yard-events.js';

/**
 * @typedef {import('../../api-contract.js').ApiEvent} ApiEvent
 * @typedef {import('../../api-contract.js').EventDetailResponse} EventDetailResponse
 * @typedef {import('../../api-contract.js').EventPayloads} EventPayloads
 * @typedef {import('../../api-contract.js').EventsResponse} EventsResponse
 * @typedef {import('../../api-contract.js').PageEvent} PageEvent
 * @typedef {import('../../api-contract.js').StreamMessages} StreamMessages
 * @typedef {Extract<PageEvent, { type: 'plate.read' }>} ReadEvent
 * @typedef {EventPayloads['barrier.actuation']} ActuationPayload
 * @typedef {{ requested?: Extract<ActuationPayload, { phase: 'requested' }>, result?: Extract<ActuationPayload, { phase: 'result' }> }} Actuation
 * @typedef {{ text: string, display: string, country: string | null, kind: string | null, valid: boolean }} RowPlate
 * @typedef {object} Row one vehicle of the table: its decision event, or the stream's read of it until that is loaded
 * @property {string} eventId the decision event
 * @property {string} laneId
 * @property {number} ts
 * @property {RowPlate | null} plate
 * @property {string[]} otherPlates canonical texts of the vehicle's other plates
 * @property {'open' | 'hold' | 'deny' | undefined} action
 * @property {string | undefined} reason
 * @property {boolean} alarm
 * @property {boolean} hasCrop
 * @property {boolean} delivered
 * @property {boolean} [live] came from the stream
 * @property {string} [cropEventId] the event whose crop the row shows
 * @typedef {{ plate: string, lane: string, action: string, from: number | '', to: number | '' }} Filters as the form has them ('' for none)
 */

const PAGE = 50;
const COMPANION_LIMIT = 200;
const REFRESH_MS = 15000;

/** @type {Row[]} newest first */
let rows = [];
/** @type {string | null} the `before` cursor of the next page */
let next = null;
let loading = false;
let loadedOnce = false;
/** @type {Filters} */
let filters = { plate: '', lane: '', action: '', from: '', to: '' };
let generation = 0;
/** @type {Map<string, Map<string, ReadEvent>>} laneId → its plate reads by eventId (for crops) */
const readsByLane = new Map();
/** @type {Map<string, EventPayloads['vehicle']>} decisionId → the vehicle's outcome */
const vehicleByDecision = new Map();
/** @type {Map<string, Actuation>} decisionId → its open */
const actuationByDecision = new Map();
/** @type {Map<string, string>} actuation request eventId → decisionId */
const decisionOfRequest = new Map();
let visible = false;

export function initEvents() {
  const form = $('[data-testid="events-filters"]', HTMLFormElement);
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    readFilters();
    reload();
  });
  $('[data-testid="filter-reset"]').addEventListener('click', () => {
    form.reset();
    readFilters();
    reload();
  });
  $('[data-testid="events-more"]').addEventListener('click', () => load(false));
  $('[data-testid="event-detail-close"]').addEventListener('click', closeDetail);
  $('[data-testid="event-detail-overlay"]').addEventListener('click', (e) => {
    if (e.target === e.currentTarget) closeDetail();
  });
  document.addEventListener('keydown', (e) => {
    if (e.key === 'Escape') closeDetail();
  });
  on('lanes', laneOptions);
  on('tab', (name) => (visible = name === 'events'));
  onLangChange(() => {
    laneOptions();
    renderRows();
    if (openDetail) renderDetail(openDetail);
  });
  setInterval(() => {
    if (visible && store.user && loadedOnce && document.visibilityState === 'visible') refreshTop();
  }, REFRESH_MS);
}

/** The events tab was opened: load the first page once. */
export function showEvents() {
  if (!loadedOnce) reload();
}

export function resetEvents() {
  generation++;
  rows = [];
  next = null;
  loadedOnce = false;
  readsByLane.clear();
  vehicleByDecision.clear();
  actuationByDecision.clear();
  decisionOfRequest.clear();
  forgetPostcheck();
  const body = $('[data-testid="events-body"]');
  if (body) clear(body);
}

function laneOptions() {
  const sel = $('[data-testid="filter-lane"]', HTMLSelectElement);
  const current = sel.value;
  clear(sel);
  sel.append(h('option', { value: '', text: t('filter.all') }));
  for (const lane of store.lanes.values())
    sel.append(h('option', { value: lane.laneId, text: lane.name || lane.laneId }));
  sel.value = [...sel.options].some((o) => o.value === current) ? current : '';
}

function readFilters() {
  const form = $('[data-testid="events-filters"]', HTMLFormElement);
  /** @param {string} name */
  const v = (name) => {
    const field = form.elements.namedItem(name);
    return field instanceof HTMLInputElement || field instanceof HTMLSelectElement ? field.value.trim() : '';
  };
  /** @param {string} s */
  const ms = (s) => (s ? new Date(s).getTime() : '');
  filters = {
    plate: v('plate')
      .replace(/[\s.\-·]/g, '')
      .toUpperCase(),
    lane: v('lane'),
    action: v('action'),
    from: ms(v('from')),
    to: ms(v('to')),
  };
}

function reload() {
  resetEvents();
  loadedOnce = true;
  load(true);
}

/** @param {string | null} key */
function setStatus(key) {
  const el = $('[data-testid="events-status"]');
  el.textContent = key ? t(key) : '';
  el.dataset['i18n'] = key || '';
  el.hidden = !key;
}

/** @param {boolean} first */
async function load(first) {
  if (loading) return;
  loading = true;
  const gen = generation;
  setStatus('events.loading');
  try {
    const data = /** @type {EventsResponse} */ (
      await get(
        `/api/events${qs({ type: 'decision', lane: filters.lane, plate: filters.plate, action: filters.action, from: filters.from, to: filters.to, before: first ? '' : next, limit: PAGE })}`,
      )
    );
    if (gen !== generation) return;
    const page = data.events.map(fromEvent);
    next = data.next;
    await companions(page, gen);
    if (gen !== generation) return;
    const known = new Set(rows.map((r) => r.eventId));
    rows.push(...page.filter((r) => !known.has(r.eventId)));
    renderRows();
    setStatus(rows.length === 0 ? 'events.empty' : next ? null : 'events.end');
  } catch (caught) {
    const err = apiError(caught);
    if (gen === generation && err.status !== 401) {
      const el = $('[data-testid="events-status"]');
      el.hidden = false;
      el.textContent = err.status === 0 ? t('error.network') : t('error.generic', { message: err.message });
    }
  } finally {
    loading = false;
    $('[data-testid="events-more"]').hidden = !next;
  }
}

/**
 * The read, actuations and visit outcome around a page of decisions (same lanes, same time span).
 * @param {Row[]} page
 * @param {number} gen
 */
async function companions(page, gen) {
  if (page.length === 0) return;
  const from = Math.min(...page.map((r) => r.ts)) - 60000;
  const to = Math.max(...page.map((r) => r.ts)) + 10 * 60000;
  const base = { lane: filters.lane, from, to, limit: COMPANION_LIMIT };
  /** @param {string} type */
  const eventsOf = async (type) => {
    try {
      return /** @type {EventsResponse} */ (await get(`/api/events${qs({ ...base, type })}`)).events.map(pageEvent);
    } catch {
      return [];
    }
  };
  const [reads, vehicles, acts, flagged] = await Promise.all([
    eventsOf('plate.read'),
    eventsOf('vehicle'),
    eventsOf('barrier.actuation'),
    eventsOf('postcheck.flagged'),
  ]);
  if (gen !== generation) return;
  for (const e of reads) addRead(e);
  for (const e of acts.slice().reverse()) addRecord(e);
  for (const e of vehicles) addRecord(e);
  for (const e of flagged) addRecord(e);
  for (const r of page) attachCrop(r);
}

/** @param {PageEvent} e */
function addRead(e) {
  if (e.type !== 'plate.read') return;
  let reads = readsByLane.get(e.laneId);
  if (!reads) readsByLane.set(e.laneId, (reads = new Map()));
  reads.set(e.eventId, e);
}

/**
 * A decision row's crop: its own, else the lane's plate read of the same plate just before it.
 * @param {Row} r
 */
function attachCrop(r) {
  if (r.hasCrop && r.eventId) {
    r.cropEventId = r.eventId;
    return;
  }
  const reads = readsByLane.get(r.laneId);
  if (!reads || !r.plate) return;
  /** @type {ReadEvent | null} */
  let best = null;
  for (const e of reads.values()) {
    if (!e.hasCrop || e.payload.text !== r.plate.text) continue;
    const dt = r.ts - e.ts;
    if (dt < -5000 || dt > 60000) continue;
    if (!best || Math.abs(dt) < Math.abs(r.ts - best.ts)) best = e;
  }
  if (best) r.cropEventId = best.eventId;
}

/** @param {PageEvent} e */
function addRecord(e) {
  if (notePostcheck(e)) return;
  if (e.type === 'vehicle' && e.payload.decisionId) vehicleByDecision.set(e.payload.decisionId, e.payload);
  if (e.type === 'barrier.actuation') {
    const p = e.payload;
    if (p.phase === 'requested') {
      const key = p.decisionId || p.holdId;
      if (!key) return;
      decisionOfRequest.set(e.eventId, key);
      const a = actuationByDecision.get(key) || {};
      a.requested = p;
      actuationByDecision.set(key, a);
    } else if (p.phase === 'result') {
      const key = decisionOfRequest.get(p.requestId);
      if (!key) return;
      const a = actuationByDecision.get(key) || {};
      a.result = p;
      actuationByDecision.set(key, a);
    }
  }
}

/**
 * A decision event as a row.
 * @param {ApiEvent} event
 * @returns {Row}
 */
function fromEvent(event) {
  const e = pageEvent(event);
  const p = e.type === 'decision' ? e.payload : null;
  return {
    eventId: e.eventId,
    laneId: e.laneId,
    ts: e.ts,
    plate: p ? p.plate : null,
    otherPlates: p?.otherPlates ?? [],
    action: p?.action,
    reason: p?.reason,
    alarm: !!p?.alarm,
    hasCrop: e.hasCrop,
    delivered: e.delivered,
  };
}

// ---- live ---------------------------------------------------------------------------------------

/** @param {Row} r */
function matchesFilters(r) {
  if (filters.lane && r.laneId !== filters.lane) return false;
  if (filters.action && r.action !== filters.action) return false;
  if (filters.plate && !(r.plate && String(r.plate.text || '').includes(filters.plate))) return false;
  if (filters.from && r.ts < filters.from) return false;
  if (filters.to && r.ts > filters.to) return false;
  return true;
}

/**
 * SSE `read`: {laneId, eventId, read, decision}. Shown at once, then completed from its recorded decision event.
 * @param {StreamMessages['read']} msg
 */
export function onRead(msg) {
  if (!loadedOnce) return;
  const { read, decision } = msg;
  /** @type {Row} */
  const r = {
    eventId: msg.eventId,
    laneId: msg.laneId,
    ts: toMs(read.frameAt) || Date.now(),
    plate: { text: read.text, display: read.display, country: read.country, kind: read.kind, valid: read.valid },
    otherPlates: read.otherPlates ?? [],
    action: decision.action,
    reason: decision.reason,
    alarm: decision.alarm,
    hasCrop: false,
    delivered: false,
    live: true,
  };
  // A refresh may have loaded the decision already.
  if (rows.some((x) => x.eventId === r.eventId) || !matchesFilters(r)) return;
  rows.unshift(r);
  renderRows();
  setStatus(null);
  setTimeout(() => resolveLive(r, generation), 800);
}

/**
 * @param {Row} r
 * @param {number} gen
 * @param {number} [attempt]
 */
async function resolveLive(r, gen, attempt = 0) {
  try {
    const [dec, reads] = /** @type {[EventsResponse, EventsResponse]} */ (
      await Promise.all([
        get(`/api/events${qs({ type: 'decision', lane: r.laneId, limit: 10 })}`),
        get(`/api/events${qs({ type: 'plate.read', lane: r.laneId, limit: 10 })}`),
      ])
    );
    if (gen !== generation) return;
    for (const e of reads.events) addRead(pageEvent(e));
    const match = dec.events.find((e) => e.eventId === r.eventId);
    if (match) {
      Object.assign(r, fromEvent(match), { live: true });
      attachCrop(r);
      renderRows();
    } else if (attempt < 3) setTimeout(() => resolveLive(r, gen, attempt + 1), 1500);
  } catch {
    /* the row stays as the stream gave it */
  }
}

/**
 * SSE `record`: {laneId, event}: actuations and visit outcomes complete the rows.
 * @param {StreamMessages['record']} msg
 */
export function onRecord(msg) {
  const e = pageEvent(msg.event);
  addRead(e);
  addRecord(e);
  if (loadedOnce && (e.type === 'vehicle' || e.type === 'barrier.actuation' || e.type === 'postcheck.flagged'))
    renderRows();
  if (openDetail && e.laneId === openDetail.laneId) refreshDetail();
}

/** Every REFRESH_MS: the first page again, for delivery states and anything the stream missed. */
async function refreshTop() {
  const gen = generation;
  try {
    const data = /** @type {EventsResponse} */ (
      await get(
        `/api/events${qs({ type: 'decision', lane: filters.lane, plate: filters.plate, action: filters.action, from: filters.from, to: filters.to, limit: PAGE })}`,
      )
    );
    if (gen !== generation) return;
    const page = data.events.map(fromEvent);
    await companions(page, gen);
    if (gen !== generation) return;
    const byId = new Map(rows.map((r) => [r.eventId, r]));
    const oldest = rows[rows.length - 1];
    /** @type {Row[]} */
    const fresh = [];
    for (const p of page) {
      const r = byId.get(p.eventId);
      if (r) {
        r.delivered = p.delivered;
        r.hasCrop = p.hasCrop;
        attachCrop(r);
      } else if (!oldest || p.ts >= oldest.ts) fresh.push(p);
    }
    if (fresh.length) {
      rows.push(...fresh);
      rows.sort((a, b) => b.ts - a.ts);
    }
    renderRows();
  } catch {
    /* next time */
  }
}

// ---- table --------------------------------------------------------------------------------------

/** @param {Row} r */
function outcomeText(r) {
  /** @type {{ text: string, bad: boolean }[]} */
  const parts = [];
  const a = r.eventId && actuationByDecision.get(r.eventId);
  if (a && a.result) parts.push({ text: tc('outcome.actuation.', a.result.outcome), bad: !a.result.ok });
  else if (a && a.requested) parts.push({ text: t('outcome.actuation.requested'), bad: false });
  const v = r.eventId && vehicleByDecision.get(r.eventId);
  if (v) parts.push({ text: tc('outcome.vehicle.', v.outcome), bad: v.outcome === 'not-passed' });
  return parts;
}

/** @param {Row} r */
function cropCell(r) {
  if (!r.cropEventId) return h('td', { class: 'crop-cell' });
  const img = h('img', {
    class: 'crop crop-small',
    alt: t('holds.crop'),
    loading: 'lazy',
    src: `/api/events/${encodeURIComponent(r.cropEventId)}/crop`,
  });
  img.addEventListener('error', () => (img.hidden = true));
  return h('td', { class: 'crop-cell' }, img);
}

function renderRows() {
  const body = $('[data-testid="events-body"]');
  clear(body);
  for (const r of rows) {
    const plate = r.plate;
    const outcome = outcomeText(r);
    const tr = h(
      'tr',
      {
        class: `event-row action-${r.action || 'none'}${r.live ? ' live' : ''}${r.eventId ? ' clickable' : ''}`,
        testid: 'event-row',
        'data-event-id': r.eventId || '',
        'data-action': r.action || '',
        tabindex: r.eventId ? 0 : undefined,
      },
      h(
        'td',
        { class: 'nowrap' },
        time(r.ts),
        r.live ? h('span', { class: 'badge badge-blue new-badge', text: t('events.new') }) : null,
      ),
      h('td', {}, laneLabel(r.laneId)),
      cropCell(r),
      h(
        'td',
        {},
        h('span', {
          class: `plate plate-row${plate?.valid === false ? ' muted' : ''}`,
          text: plate?.display || plate?.text || t('holds.noPlate'),
        }),
        // The vehicle's plate of the other country, decided with it (a cross-border truck).
        r.otherPlates && r.otherPlates.length
          ? h('div', {
              class: 'sub',
              testid: 'event-other-plates',
              text: t('events.withPlates', { plates: r.otherPlates.join(', ') }),
            })
          : null,
      ),
      h(
        'td',
        {},
        plate?.country ? tc('country.', plate.country) : t('country.unknown'),
        plate?.kind ? h('div', { class: 'sub', text: tc('kind.', plate.kind) }) : null,
      ),
      h(
        'td',
        {},
        h('span', {
          class: `decision decision-${r.action || 'none'}`,
          text: r.action ? tc('action.', r.action) : t('common.none'),
        }),
        h('div', { class: 'sub', text: r.reason ? tc('reason.', r.reason) : '' }),
      ),
      h(
        'td',
        {},
        outcome.length
          ? outcome.map((o, i) => h('div', { class: o.bad ? 'bad' : i ? 'sub' : '', text: o.text }))
          : t('outcome.none'),
        postcheckBadge(r.eventId),
      ),
      h('td', {
        class: r.delivered ? 'delivered' : 'pending',
        testid: 'event-delivery',
        text: r.delivered ? t('events.delivered') : t('events.pending'),
      }),
    );
    if (r.eventId) {
      tr.addEventListener('click', () => showDetail(r.eventId, r.laneId));
      tr.addEventListener('keydown', (e) => {
        if (e.key === 'Enter' || e.key === ' ') {
          e.preventDefault();
          showDetail(r.eventId, r.laneId);
        }
      });
    }
    body.append(tr);
  }
}

// ---- detail -------------------------------------------------------------------------------------

/** @type {{ eventId: string, laneId: string, data: EventDetailResponse | null, error: boolean } | null} the vehicle shown in the detail panel */
let openDetail = null;

/**
 * Opens the detail of the vehicle of `eventId` (also from the yard's vehicles).
 * @param {string} eventId
 * @param {string} laneId
 */
export async function showDetail(eventId, laneId) {
  openDetail = { eventId, laneId, data: null, error: false };
  $('[data-testid="event-detail-overlay"]').hidden = false;
  renderDetail(openDetail);
  $('[data-testid="event-detail-close"]').focus();
  await refreshDetail();
}

async function refreshDetail() {
  const d = openDetail;
  if (!d) return;
  try {
    d.data = /** @type {EventDetailResponse} */ (await get(`/api/events/${encodeURIComponent(d.eventId)}`));
    d.error = false;
  } catch {
    if (!d.data) d.error = true;
  }
  if (openDetail === d) renderDetail(d);
}

function closeDetail() {
  openDetail = null;
  $('[data-testid="event-detail-overlay"]').hidden = true;
}

/**
 * @param {string} labelKey
 * @param {import('./dom.js').Children} value
 */
function kv(labelKey, value) {
  if (value === undefined || value === null || value === '') return null;
  return h(
    'div',
    { class: 'kv' },
    h('span', { class: 'k', text: `${t(labelKey)}:` }),
    ' ',
    h('span', { class: 'v' }, value),
  );
}

/**
 * One line of the timeline: what the event says.
 * @param {PageEvent} e
 * @returns {import('./dom.js').Children[]}
 */
function summary(e) {
  switch (e.type) {
    case 'plate.read': {
      const p = e.payload;
      return [
        h('span', { class: 'plate plate-row', text: p.display || p.text || p.raw || '' }),
        ' ',
        p.country ? tc('country.', p.country) : '',
        p.kind ? ` · ${tc('kind.', p.kind)}` : '',
        kv('detail.confidence', p.confidence !== undefined ? num(p.confidence, 2) : null),
        kv('detail.votes', p.votes !== undefined ? `${p.votes}/${p.reads ?? '?'}` : null),
      ];
    }
    case 'decision': {
      const p = e.payload;
      return [
        h('span', { class: `decision decision-${p.action}`, text: tc('action.', p.action) }),
        ' ',
        tc('reason.', p.reason),
        kv('detail.detail', p.detail),
        kv('detail.confidence', p.confidence !== undefined ? num(p.confidence, 2) : null),
        p.nearMiss && p.nearMiss.length
          ? kv(
              'holds.similar',
              p.nearMiss
                .map(
                  (n) => `${n.plate} (${n.list ? tc('list.', n.list) : ''} ${t('holds.distance', { n: n.distance })})`,
                )
                .join(', '),
            )
          : null,
      ];
    }
    case 'barrier.actuation': {
      const p = e.payload;
      return p.phase === 'requested'
        ? [t('outcome.actuation.requested'), kv('detail.cause', tc('cause.', p.cause))]
        : [
            h('span', { class: p.ok ? '' : 'bad', text: tc('outcome.actuation.', p.outcome) }),
            kv('detail.duration', duration(p.durationMs)),
            kv('detail.detail', p.error),
          ];
    }
    case 'alarm':
      return [h('span', { class: 'bad', text: tc('alarm.', e.payload.alarm) }), kv('detail.detail', e.payload.detail)];
    case 'operator.action': {
      const p = e.payload;
      return [
        tc('opAction.', p.action),
        kv('detail.operator', p.operator),
        kv('detail.source', p.source ? tc('source.', p.source) : null),
        kv('detail.reason', p.reason),
        'holdReason' in p && p.holdReason ? kv('events.col.decision', tc('reason.', p.holdReason)) : null,
        ...yardActionSummary(p, kv),
      ];
    }
    case 'vehicle':
      return [
        h('strong', { text: tc('outcome.vehicle.', e.payload.outcome) }),
        kv('detail.duration', duration(e.payload.durationMs)),
      ];
    default:
      return yardSummary(e, kv) ?? postcheckSummary(e, kv) ?? [JSON.stringify(e.payload)];
  }
}

/** @param {NonNullable<typeof openDetail>} d */
function renderDetail(d) {
  const body = $('[data-testid="event-detail-body"]');
  clear(body);
  if (!d.data) {
    body.append(h('p', { class: d.error ? 'bad' : 'empty', text: t(d.error ? 'detail.error' : 'detail.loading') }));
    return;
  }
  const event = pageEvent(d.data.event);
  const related = d.data.related.map(pageEvent);
  const all = [...related.filter((e) => e.eventId !== event.eventId), event].sort(
    (a, b) => a.ts - b.ts || a.seq - b.seq,
  );
  const plate = event.type === 'decision' ? event.payload.plate : event.type === 'plate.read' ? event.payload : null;
  // Other events name the vehicle by its canonical text, when they do.
  const plateText = /** @type {Record<string, unknown>} */ (event.payload)['plate'];
  const withCrop = event.hasCrop
    ? event
    : all
        .filter((e) => e.hasCrop)
        .sort((a, b) => (a.type === 'plate.read' ? -1 : 0) - (b.type === 'plate.read' ? -1 : 0))[0];
  const crop = withCrop
    ? h('img', {
        class: 'crop crop-detail',
        testid: 'event-detail-crop',
        alt: t('detail.crop'),
        src: `/api/events/${encodeURIComponent(withCrop.eventId)}/crop`,
      })
    : h('p', { class: 'empty', text: t('detail.noCrop') });
  if (withCrop)
    crop.addEventListener('error', () => crop.replaceWith(h('p', { class: 'empty', text: t('detail.noCrop') })));
  // The vehicle's evidence: the lane's frame at its decision, with the plate marked.
  const withFrame = event.hasFrame ? event : all.filter((e) => e.hasFrame).pop();
  const frame = withFrame
    ? h('img', {
        class: 'crop-detail',
        testid: 'event-detail-frame',
        alt: t('lane.frame'),
        src: `/api/events/${encodeURIComponent(withFrame.eventId)}/frame`,
      })
    : null;
  // Listed but not readable (still being written, or removed by retention): show nothing.
  if (frame) frame.addEventListener('error', () => (frame.hidden = true));
  body.append(
    h(
      'div',
      { class: 'detail-top' },
      crop,
      h(
        'div',
        {},
        h('div', {
          class: 'plate plate-big',
          testid: 'event-detail-plate',
          text: (plate && (plate.display || plate.text)) || (typeof plateText === 'string' ? plateText : ''),
        }),
        h('div', {}, laneLabel(event.laneId), ' · ', dateTime(event.ts)),
        plate && plate.country
          ? h('div', {}, tc('country.', plate.country), plate.kind ? ` · ${tc('kind.', plate.kind)}` : '')
          : null,
      ),
    ),
    ...(frame ? [frame] : []),
    h('h3', { text: t('detail.timeline') }),
    h(
      'ol',
      { class: 'timeline', testid: 'event-detail-timeline' },
      all.map((e) =>
        h(
          'li',
          {
            class: `tl tl-${e.type.replace('.', '-')}${e.eventId === event.eventId ? ' current' : ''}`,
            testid: 'event-detail-item',
            'data-type': e.type,
          },
          h('span', { class: 'tl-time', text: time(e.ts) }),
          h('span', { class: 'tl-type', text: tc('event.type.', e.type) }),
          h('div', { class: 'tl-body' }, ...summary(e)),
          h('span', {
            class: e.delivered ? 'delivered small' : 'pending small',
            text: e.delivered ? t('events.delivered') : t('events.pending'),
          }),
        ),
      ),
    ),
  );
}
