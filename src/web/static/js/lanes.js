// Lane cards: live video (JSMpeg over WebSocket), the latest annotated frame, phase, vehicle,
// barrier and loop. Cards are kept per lane and updated in place, so the video keeps playing.
import { $, clear, h } from './dom.js';
import { onLangChange, t, tc } from './i18n.js';
import { duration } from './format.js';
import { on, store } from './state.js';

/**
 * @typedef {{ destroy(): void }} Player a JSMpeg player
 * @typedef {{ Player: new (url: string, options: Record<string, unknown>) => Player }} JSMpegLibrary the global of /vendor/jsmpeg-player.umd.min.js
 * @typedef {{ startedAt: number, established: boolean, lastDecode: number, status: 'connecting' | 'noplayer' | 'unavailable' }} VideoState
 * @typedef {ReturnType<typeof buildCard>} Card
 */

/** @type {Map<string, Card>} laneId → its card */
const cards = new Map();
/** @type {ReturnType<typeof setInterval> | null} */
let ticker = null;
let lanesVisible = true;

const CONNECT_GRACE_MS = 8000;
const STALL_MS = 5000;

export function initLanes() {
  on('lanes', syncCards);
  on('lane', (laneId) => {
    const c = cards.get(laneId);
    if (c) updateCard(c);
    else syncCards();
  });
  on('tab', (name) => {
    lanesVisible = name === 'lanes';
  });
  onLangChange(() => {
    for (const c of cards.values()) updateCard(c);
  });
}

export function stopLanes() {
  for (const c of cards.values()) destroyCard(c);
  cards.clear();
  if (ticker) clearInterval(ticker);
  ticker = null;
  clear($('[data-testid="lane-grid"]'));
}

function syncCards() {
  const grid = $('[data-testid="lane-grid"]');
  for (const [id, c] of cards) {
    if (!store.lanes.has(id)) {
      destroyCard(c);
      c.card.remove();
      cards.delete(id);
    }
  }
  for (const lane of store.lanes.values()) {
    let c = cards.get(lane.laneId);
    if (!c) {
      c = buildCard(lane.laneId);
      cards.set(lane.laneId, c);
      grid.append(c.card);
      startVideo(c);
    }
    updateCard(c);
  }
  let none = grid.querySelector('[data-testid="lanes-empty"]');
  if (store.lanes.size === 0 && store.user) {
    if (!none)
      grid.append(h('p', { class: 'empty', testid: 'lanes-empty', 'data-i18n': 'lane.none', text: t('lane.none') }));
  } else if (none) none.remove();
  if (!ticker && cards.size > 0) ticker = setInterval(tick, 1000);
}

/**
 * @param {string} labelKey
 * @param {import('./dom.js').Children} value
 */
function fact(labelKey, value) {
  return h('div', { class: 'fact' }, h('dt', { 'data-i18n': labelKey, text: t(labelKey) }), h('dd', {}, value));
}

/** @param {string} laneId */
function buildCard(laneId) {
  const c = {
    laneId,
    title: h('h2', { class: 'lane-title' }),
    direction: h('span', { class: 'lane-direction' }),
    holdsBadge: h('span', { class: 'badge badge-amber', testid: `lane-holds-${laneId}`, hidden: true }),
    canvas: h('canvas', {
      class: 'video-canvas',
      width: 640,
      height: 360,
      testid: `lane-video-${laneId}`,
      role: 'img',
      'aria-label': t('lane.video'),
    }),
    videoStatus: h('p', { class: 'media-status', testid: `lane-video-status-${laneId}`, role: 'status' }),
    frame: h('img', { class: 'frame-img', testid: `lane-frame-${laneId}`, alt: t('lane.frame'), hidden: true }),
    noFrame: h('p', { class: 'media-status', testid: `lane-noframe-${laneId}`, text: t('lane.noFrame') }),
    phase: h('span', { class: 'phase', testid: `lane-phase-${laneId}` }),
    phaseAge: h('span', { class: 'phase-age' }),
    vehicle: h('span', { class: 'plate plate-lane', testid: `lane-vehicle-${laneId}` }),
    barrier: h('span', { class: 'barrier-state', testid: `lane-barrier-${laneId}` }),
    barrierError: h('span', { class: 'barrier-error', testid: `lane-barrier-error-${laneId}`, hidden: true }),
    loop: h('span', { class: 'loop', testid: `lane-loop-${laneId}` }),
    camera: h('span', { class: 'camera-state', testid: `lane-camera-${laneId}` }),
    videoLabel: h('figcaption', { 'data-i18n': 'lane.video', text: t('lane.video') }),
    frameLabel: h('figcaption', { 'data-i18n': 'lane.frame', text: t('lane.frame') }),
    /** @type {Player | null} */
    player: null,
    /** @type {VideoState | null} */
    video: null,
    frameLoading: false,
  };
  const card = h(
    'article',
    { class: 'lane-card', testid: `lane-card-${laneId}`, 'data-lane-id': laneId },
    h('header', { class: 'lane-head' }, c.title, c.direction, c.holdsBadge),
    h(
      'div',
      { class: 'lane-media' },
      h('figure', { class: 'media' }, h('div', { class: 'media-box' }, c.canvas, c.videoStatus), c.videoLabel),
      h('figure', { class: 'media' }, h('div', { class: 'media-box' }, c.frame, c.noFrame), c.frameLabel),
    ),
    h(
      'dl',
      { class: 'lane-facts' },
      fact('lane.phase', [c.phase, ' ', c.phaseAge]),
      fact('lane.vehicle', c.vehicle),
      fact('lane.barrier', [c.barrier, ' ', c.barrierError]),
      fact('lane.loop', c.loop),
      fact('lane.camera', c.camera),
    ),
  );
  return { ...c, card };
}

/** @param {Card} c */
function updateCard(c) {
  const lane = store.lanes.get(c.laneId);
  if (!lane) return;
  c.title.textContent = lane.name || lane.laneId;
  c.direction.textContent = lane.direction ? t(`lane.direction.${lane.direction}`, null, lane.direction) : '';
  const flow = lane.flow;
  const phase = flow?.phase || 'idle';
  c.phase.textContent = tc('phase.', phase);
  c.phase.dataset['phase'] = phase;
  c.card.dataset['phase'] = phase;
  updatePhaseAge(c);

  const v = flow?.vehicle;
  if (!v) {
    c.vehicle.textContent = t('lane.noVehicle');
    c.vehicle.classList.add('muted');
  } else {
    c.vehicle.textContent = v.display || v.plate || t('lane.unreadVehicle');
    c.vehicle.classList.toggle('muted', !(v.display || v.plate));
  }

  const holds = flow?.holds ?? [];
  c.holdsBadge.hidden = holds.length === 0;
  c.holdsBadge.textContent = t('lane.holdsWaiting', { n: holds.length });

  const b = lane.barrier;
  if (!b) {
    c.barrier.textContent = t('lane.noBarrier');
    c.barrier.dataset['state'] = 'none';
    c.barrierError.hidden = true;
  } else {
    const state = b.state || 'unknown';
    c.barrier.textContent = tc('barrier.', state);
    c.barrier.dataset['state'] = state;
    const err = state === 'fault' ? b.lastError || '' : b.portOpen === false ? t('barrier.portClosed') : '';
    c.barrierError.textContent = err;
    c.barrierError.hidden = !err;
  }

  const loop = flow?.loop;
  c.loop.textContent =
    loop === true ? t('lane.loopOccupied') : loop === false ? t('lane.loopFree') : t('lane.loopNone');
  c.loop.dataset['loop'] = loop === true ? 'occupied' : loop === false ? 'free' : 'none';

  const cam = lane.camera;
  c.camera.textContent = cam && cam.state ? tc('camera.', cam.state) : t('common.none');
  c.camera.dataset['state'] = (cam && cam.state) || 'unknown';
  c.canvas.setAttribute('aria-label', t('lane.video'));
  c.frame.alt = t('lane.frame');
  c.noFrame.textContent = t('lane.noFrame');
  c.videoLabel.textContent = t('lane.video');
  c.frameLabel.textContent = t('lane.frame');
  renderVideoStatus(c);
}

/** @param {Card} c */
function updatePhaseAge(c) {
  const lane = store.lanes.get(c.laneId);
  const flow = lane?.flow;
  if (lane && flow && typeof flow.phaseAgeMs === 'number') {
    c.phaseAge.textContent = t('lane.phaseFor', { age: duration(flow.phaseAgeMs + (Date.now() - lane.receivedAt)) });
  } else c.phaseAge.textContent = '';
}

// ---- live video ---------------------------------------------------------------------------

/** @param {Card} c */
function startVideo(c) {
  /** @type {VideoState} */
  const video = { startedAt: Date.now(), established: false, lastDecode: 0, status: 'connecting' };
  c.video = video;
  const JSMpeg = /** @type {{ JSMpeg?: JSMpegLibrary }} */ (/** @type {unknown} */ (window)).JSMpeg;
  if (!JSMpeg || !JSMpeg.Player) {
    video.status = 'noplayer';
    renderVideoStatus(c);
    return;
  }
  const proto = location.protocol === 'https:' ? 'wss:' : 'ws:';
  const url = `${proto}//${location.host}/api/lanes/${encodeURIComponent(c.laneId)}/video`;
  try {
    c.player = new JSMpeg.Player(url, {
      canvas: c.canvas,
      autoplay: true,
      audio: false,
      disableGl: true,
      // WebAssembly compilation is blocked by the page's CSP (no 'wasm-unsafe-eval'): decode in JS.
      disableWebAssembly: true,
      reconnectInterval: 5,
      onSourceEstablished: () => {
        video.established = true;
        video.lastDecode = Date.now();
      },
      onVideoDecode: () => {
        video.lastDecode = Date.now();
      },
    });
  } catch (err) {
    console.warn('video', c.laneId, err);
    video.status = 'unavailable';
  }
  renderVideoStatus(c);
}

/** @param {Card} c */
function videoStatus(c) {
  const v = c.video;
  if (!v) return 'connecting';
  if (v.status === 'noplayer') return 'noplayer';
  if (!c.player) return 'unavailable';
  const now = Date.now();
  if (v.lastDecode && now - v.lastDecode < STALL_MS) return 'playing';
  if (v.lastDecode) return 'stalled';
  return now - v.startedAt < CONNECT_GRACE_MS ? 'connecting' : 'unavailable';
}

/** @type {Record<string, string | undefined>} the status line of each video state; none while playing */
const VIDEO_STATUS_KEYS = {
  connecting: 'lane.videoConnecting',
  unavailable: 'lane.videoUnavailable',
  stalled: 'lane.videoStalled',
  noplayer: 'lane.videoNoPlayer',
};

/** @param {Card} c */
function renderVideoStatus(c) {
  const s = videoStatus(c);
  const key = VIDEO_STATUS_KEYS[s];
  c.videoStatus.hidden = s === 'playing';
  c.videoStatus.textContent = key ? t(key) : '';
  c.videoStatus.dataset['status'] = s;
  c.canvas.dataset['status'] = s;
}

/** @param {Card} c */
function destroyCard(c) {
  if (c.player) {
    try {
      c.player.destroy();
    } catch {
      /* already gone */
    }
    c.player = null;
  }
}

// ---- the annotated frame, once a second -----------------------------------------------------

/** @param {Card} c */
function refreshFrame(c) {
  if (c.frameLoading) return;
  c.frameLoading = true;
  const url = `/api/lanes/${encodeURIComponent(c.laneId)}/frame?t=${Date.now()}`;
  const img = new Image();
  img.onload = () => {
    c.frameLoading = false;
    c.frame.src = url;
    c.frame.hidden = false;
    c.noFrame.hidden = true;
  };
  img.onerror = () => {
    c.frameLoading = false;
    c.frame.hidden = true;
    c.frame.removeAttribute('src');
    c.noFrame.hidden = false;
  };
  img.src = url;
}

function tick() {
  for (const c of cards.values()) {
    updatePhaseAge(c);
    renderVideoStatus(c);
    if (lanesVisible && document.visibilityState === 'visible') refreshFrame(c);
  }
}
