// Health: cameras, barriers, the link to central, lists, disk, plate reading. From GET
// /api/health, then SSE `health` every 5 s. Problems are red and counted in the tab.
import { $, clear, h } from './dom.js';
import { bytes, duration, num } from './format.js';
import { onLangChange, t, tc } from './i18n.js';
import { laneLabel, store } from './state.js';

/**
 * @typedef {import('../../api-contract.js').HealthResponse} HealthResponse
 * @typedef {import('./dom.js').Children} Children
 */

const FRAME_AGE_PROBLEM_MS = 5000;
const OUTBOX_AGE_PROBLEM_MS = 5 * 60000;
const DISK_WARN = 0.9;
/** @type {(name: string) => void} */
let onGateName = () => {};

/** @param {{ onGateName?: (name: string) => void }} [opts] */
export function initHealth(opts = {}) {
  onGateName = opts.onGateName || onGateName;
  onLangChange(render);
  setInterval(renderUpdated, 1000);
}

/** @param {HealthResponse} data GET /api/health or the stream's `health` */
export function setHealth(data) {
  store.health = data;
  store.healthAt = Date.now();
  const name = data.site.name || data.site.id;
  if (name) onGateName(name);
  render();
}

/**
 * @param {Children} value
 * @param {boolean} [problem]
 */
function cell(value, problem) {
  return h('td', { class: problem ? 'problem' : '', 'data-problem': problem ? 'true' : undefined }, value);
}

/**
 * @param {string} testid
 * @param {string[]} heads translation keys
 * @param {HTMLElement[]} rows
 */
function table(testid, heads, rows) {
  return h(
    'table',
    { class: 'health-table', testid },
    h(
      'thead',
      {},
      h(
        'tr',
        {},
        heads.map((k) => h('th', { scope: 'col', text: t(k) })),
      ),
    ),
    h('tbody', {}, rows),
  );
}

/**
 * @param {string} testid
 * @param {string} titleKey
 * @param {boolean} problem
 * @param {...Children} content
 */
function section(testid, titleKey, problem, ...content) {
  return h(
    'section',
    { class: `health-section${problem ? ' has-problem' : ''}`, testid, 'data-problem': problem ? 'true' : 'false' },
    h('h3', { text: t(titleKey) }),
    ...content,
  );
}

function render() {
  const panel = $('[data-testid="health-panel"]');
  if (!panel) return;
  clear(panel);
  const data = store.health;
  if (!data) {
    panel.append(h('p', { class: 'empty', text: t('health.noData') }));
    return;
  }
  const { health: snap, link, lists, lanes } = data;
  /** @type {string[]} */
  const problems = [];

  // Cameras
  const camRows = lanes.map((lane) => {
    const cam = lane.camera;
    const name = laneLabel(lane.laneId);
    const bad = cam.state !== 'streaming';
    const old = typeof cam.lastFrameAgeMs === 'number' && cam.lastFrameAgeMs > FRAME_AGE_PROBLEM_MS;
    if (bad) problems.push(t('problem.camera', { lane: name, state: tc('camera.', cam.state) }));
    else if (old) problems.push(t('problem.cameraOld', { lane: name, age: duration(cam.lastFrameAgeMs) }));
    return h(
      'tr',
      { testid: `health-camera-${lane.laneId}` },
      h('th', { scope: 'row', text: name }),
      cell(cam.state ? tc('camera.', cam.state) : t('common.none'), bad),
      cell(num(cam.fpsIn)),
      cell(num(cam.fpsProcessed)),
      cell(duration(cam.lastFrameAgeMs), old),
      cell(cam.restarts ?? t('common.none')),
      cell(cam.framesDropped ?? t('common.none')),
      cell(cam.lastError || '', !!cam.lastError && bad),
    );
  });

  // Barriers
  const barRows = lanes.map((lane) => {
    const b = lane.barrier;
    const name = laneLabel(lane.laneId);
    if (!b)
      return h('tr', {}, h('th', { scope: 'row', text: name }), h('td', { colspan: 4, text: t('lane.noBarrier') }));
    const fault = b.state === 'fault';
    const portBad = !b.portOpen;
    if (fault) problems.push(t('problem.barrier', { lane: name }));
    return h(
      'tr',
      { testid: `health-barrier-${lane.laneId}` },
      h('th', { scope: 'row', text: name }),
      cell(
        h('span', {
          class: 'barrier-state',
          'data-state': b.state || 'unknown',
          text: tc('barrier.', b.state || 'unknown'),
        }),
        fault,
      ),
      cell(b.driver || t('common.none')),
      cell(t(b.portOpen ? 'health.portOpen' : 'health.portClosed'), portBad),
      cell(b.lastError || '', fault),
    );
  });

  // Link
  const linkDown = link.configured !== false && link.connected === false;
  const outboxOld = typeof link.oldestPendingAgeMs === 'number' && link.oldestPendingAgeMs > OUTBOX_AGE_PROBLEM_MS;
  if (linkDown) problems.push(t('problem.link'));
  if (outboxOld) problems.push(t('problem.outbox', { age: duration(link.oldestPendingAgeMs) }));
  const pending = link.outboxPending;

  // Lists
  const listRows = lists.map((l) => {
    const never = l.version === null;
    const stale = l.stale || never;
    if (stale) problems.push(t('problem.list', { list: tc('list.', l.name) }));
    return h(
      'tr',
      { testid: `health-list-${l.name}`, 'data-stale': String(stale) },
      h('th', { scope: 'row', text: tc('list.', l.name) }),
      cell(never ? t('health.never') : l.version, never),
      cell(l.entries ?? t('common.none')),
      cell(duration(l.ageMs), stale),
      cell(t(never ? 'health.never' : stale ? 'health.stale' : 'health.fresh'), stale),
    );
  });

  // Disk
  const st = snap.store;
  const ratio = st.usedBytes && st.quotaBytes ? st.usedBytes / st.quotaBytes : null;
  const over = !!st.quotaExceeded;
  const nearly = !over && ratio !== null && ratio >= DISK_WARN;
  if (over) problems.push(t('problem.store'));
  else if (nearly) problems.push(t('problem.storeNearly'));

  // Model
  const modelRows = lanes.map((lane) => {
    const ms = lane.inferenceMs;
    return h(
      'tr',
      { testid: `health-model-${lane.laneId}` },
      h('th', { scope: 'row', text: laneLabel(lane.laneId) }),
      cell(ms === null ? t('common.none') : duration(ms)),
    );
  });

  // Summary first
  panel.append(
    h(
      'div',
      { class: `health-summary ${problems.length ? 'problem' : 'ok'}`, testid: 'health-summary', role: 'status' },
      h('strong', { text: problems.length ? t('health.problems', { n: problems.length }) : t('health.allOk') }),
      problems.length
        ? h(
            'ul',
            { testid: 'health-problems' },
            problems.map((p) => h('li', { text: p })),
          )
        : null,
    ),
    h('p', { class: 'sub', testid: 'health-updated' }),
    h(
      'div',
      { class: 'health-grid' },
      section(
        'health-cameras',
        'health.cameras',
        camRows.some((r) => r.querySelector('.problem')),
        table(
          'health-cameras-table',
          [
            'health.lane',
            'health.state',
            'health.fpsIn',
            'health.fpsProcessed',
            'health.lastFrame',
            'health.restarts',
            'health.dropped',
            'health.lastError',
          ],
          camRows,
        ),
      ),
      section(
        'health-barriers',
        'health.barriers',
        barRows.some((r) => r.querySelector('.problem')),
        table(
          'health-barriers-table',
          ['health.lane', 'health.state', 'health.driver', 'health.port', 'health.lastError'],
          barRows,
        ),
      ),
      section(
        'health-link',
        'health.link',
        linkDown || outboxOld,
        h(
          'dl',
          { class: 'kv-list' },
          h('dt', { text: t('health.state') }),
          h('dd', {
            class: linkDown ? 'problem' : 'good',
            testid: 'health-link-state',
            text:
              link.configured === false
                ? t('health.notConfigured')
                : t(link.connected ? 'health.connected' : 'health.disconnected'),
          }),
          h('dt', { text: t('health.outbox') }),
          h('dd', { testid: 'health-outbox', text: pending }),
          h('dt', { text: t('health.oldestPending') }),
          h('dd', {
            class: outboxOld ? 'problem' : '',
            testid: 'health-oldest-pending',
            text: duration(link.oldestPendingAgeMs),
          }),
        ),
      ),
      section(
        'health-lists',
        'health.lists',
        listRows.some((r) => r.dataset['stale'] === 'true'),
        table(
          'health-lists-table',
          ['health.listName', 'health.version', 'health.entries', 'health.age', 'health.state'],
          listRows,
        ),
      ),
      section(
        'health-store',
        'health.store',
        over || nearly,
        h(
          'div',
          { class: 'disk' },
          h(
            'div',
            {
              class: `meter${over || nearly ? ' problem' : ''}`,
              role: 'meter',
              'aria-valuemin': 0,
              'aria-valuemax': 100,
              'aria-valuenow': ratio === null ? 0 : Math.round(ratio * 100),
              'aria-label': t('health.used'),
            },
            h('div', { class: `meter-fill w${ratio === null ? 0 : Math.min(100, Math.round(ratio * 20) * 5)}` }),
          ),
          h('p', {
            testid: 'health-disk',
            text: `${t('health.used')}: ${bytes(st.usedBytes)} / ${t('health.quota')}: ${bytes(st.quotaBytes)}${ratio !== null ? ` (${Math.round(ratio * 100)}%)` : ''}`,
          }),
          over ? h('p', { class: 'problem', text: t('health.quotaExceeded') }) : null,
        ),
      ),
      section(
        'health-model',
        'health.model',
        false,
        table('health-model-table', ['health.lane', 'health.latency'], modelRows),
      ),
      section(
        'health-system',
        'health.system',
        false,
        h(
          'dl',
          { class: 'kv-list' },
          h('dt', { text: t('health.software') }),
          h('dd', { text: snap.version || t('common.none'), testid: 'health-version' }),
          h('dt', { text: t('health.uptime') }),
          h('dd', { text: duration(snap.uptimeMs) }),
        ),
      ),
    ),
  );
  renderUpdated();
  const badge = $('[data-testid="health-count"]');
  badge.hidden = problems.length === 0;
  badge.textContent = String(problems.length);
}

function renderUpdated() {
  // Made by render(): absent until the first health arrives.
  const el = document.querySelector('[data-testid="health-updated"]');
  if (el && store.healthAt) el.textContent = t('health.updated', { age: duration(Date.now() - store.healthAt) });
}
