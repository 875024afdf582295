// Entry point: session, header, tabs, the live stream; each view lives in its own module.
import { apiError, get, post, setCsrfToken, setUnauthenticatedHandler } from './api.js';
import { $, $$, show } from './dom.js';
import { initEvents, onRead, onRecord, resetEvents, showEvents } from './events.js';
import { initHealth, setHealth } from './health.js';
import { initHolds } from './holds.js';
import { setLang, storedLang, t, onLangChange } from './i18n.js';
import { initLanes, stopLanes } from './lanes.js';
import { initLogin, showLogin } from './login.js';
import { initPostcheck, onPostcheckChanged, postcheckReconnected, resetPostcheck } from './postcheck.js';
import { applyLaneState, emit, setLanes, store } from './state.js';
import { initYard, refreshYards, resetYard } from './yard.js';

/**
 * @typedef {import('../../api-contract.js').HealthResponse} HealthResponse
 * @typedef {import('../../api-contract.js').LanesResponse} LanesResponse
 * @typedef {import('../../api-contract.js').SessionResponse} SessionResponse
 * @typedef {import('../../api-contract.js').StreamEventName} StreamEventName
 * @typedef {import('../../api-contract.js').StreamMessages} StreamMessages
 */

/** @type {EventSource | null} */
let stream = null;
let activeTab = 'lanes';
let started = false;
/** @type {ReturnType<typeof setTimeout> | undefined} */
let toastTimer;

/**
 * @param {string} message
 * @param {'ok' | 'error'} [kind]
 */
function toast(message, kind = 'ok') {
  const el = $('[data-testid="toast"]');
  el.textContent = message;
  el.className = `toast toast-${kind}`;
  el.hidden = false;
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => (el.hidden = true), 4000);
}

function renderHeader() {
  const user = store.user;
  show($('[data-testid="header-user-block"]'), !!user);
  show($('[data-testid="logout"]'), !!user);
  if (user) {
    $('[data-testid="header-user"]').textContent = user.username;
    const role = $('[data-testid="header-role"]');
    role.textContent = t(`role.${user.role}`, null, user.role);
    role.dataset['role'] = user.role;
  }
  $('[data-testid="header-gate"]').textContent = store.gateName || '';
  for (const b of $$('[data-lang]'))
    b.setAttribute('aria-pressed', String(b.dataset['lang'] === document.documentElement.lang.slice(0, 2)));
}

/** @param {string} name */
function selectTab(name) {
  activeTab = name;
  for (const b of $$('[data-tab]')) {
    const on = b.dataset['tab'] === name;
    b.setAttribute('aria-selected', String(on));
    b.classList.toggle('active', on);
  }
  for (const v of $$('[data-view]')) v.hidden = v.dataset['view'] !== name;
  try {
    sessionStorage.setItem('smartgate.tab', name);
  } catch {
    /* ignore */
  }
  emit('tab', name);
  if (name === 'events') showEvents();
}

export function currentTab() {
  return activeTab;
}

/** @param {boolean} live */
function setLive(live) {
  const el = $('[data-testid="live-indicator"]');
  el.hidden = false;
  el.dataset['live'] = String(live);
  el.textContent = t(live ? 'header.live' : 'header.offline');
}

function openStream() {
  closeStream();
  const es = new EventSource('/api/stream');
  stream = es;
  /**
   * Calls `fn` with each message `name`'s data (the server's type of it).
   * @template {StreamEventName} E
   * @param {E} name
   * @param {(data: StreamMessages[E]) => void} fn
   */
  const listen = (name, fn) =>
    es.addEventListener(name, (msg) => {
      let data;
      try {
        data = JSON.parse(msg.data);
      } catch {
        return;
      }
      fn(data);
    });
  let reconnect = false;
  es.addEventListener('open', () => {
    setLive(true);
    // Reconnected: what changed in the yards and the post-check meanwhile was not told (the first time, the session loaded them).
    if (reconnect) {
      refreshYards();
      postcheckReconnected();
    }
    reconnect = true;
  });
  listen('lane', applyLaneState);
  listen('read', onRead);
  listen('record', onRecord);
  listen('health', setHealth);
  listen('yard', refreshYards);
  listen('postcheck', onPostcheckChanged);
  es.addEventListener('error', async () => {
    setLive(false);
    // EventSource does not show the status: ask whether the session is still alive.
    try {
      await get('/api/session');
    } catch {
      /* a 401 goes back to the login through the handler */
    }
  });
}

function closeStream() {
  if (stream) stream.close();
  stream = null;
}

async function loadLanes() {
  const data = /** @type {LanesResponse} */ (await get('/api/lanes'));
  setLanes(data.lanes);
}

async function loadHealth() {
  try {
    setHealth(/** @type {HealthResponse} */ (await get('/api/health')));
  } catch (err) {
    if (apiError(err).status !== 401) console.warn('health', err);
  }
}

/**
 * Logged in: show the app and start everything.
 * @param {SessionResponse} session
 */
async function enter(session) {
  store.user = session.user;
  setCsrfToken(session.csrfToken);
  show($('[data-testid="app-loading"]'), false);
  show($('[data-testid="login-view"]'), false);
  show($('[data-testid="app-view"]'), true);
  renderHeader();
  started = true;
  try {
    await loadLanes();
  } catch (caught) {
    const err = apiError(caught);
    if (err.status === 401) return;
    toast(t('error.generic', { message: err.message }), 'error');
  }
  emit('session');
  openStream();
  loadHealth();
  let tab = 'lanes';
  try {
    tab = sessionStorage.getItem('smartgate.tab') || 'lanes';
  } catch {
    /* ignore */
  }
  // `yard` and `postcheck` are hidden again (and left) once loaded, if the gate has no yards or no lane on declarations.
  selectTab(['lanes', 'holds', 'yard', 'postcheck', 'events', 'health'].includes(tab) ? tab : 'lanes');
}

/**
 * No session (at load, after logout, or any 401): back to the login form.
 * @param {'start' | 'logout' | 'expired'} reason
 */
function leave(reason) {
  const wasIn = started;
  started = false;
  closeStream();
  stopLanes();
  resetEvents();
  resetYard();
  resetPostcheck();
  store.user = null;
  setLanes([]);
  setCsrfToken(null);
  $('[data-testid="live-indicator"]').hidden = true;
  show($('[data-testid="app-loading"]'), false);
  show($('[data-testid="app-view"]'), false);
  $('[data-testid="event-detail-overlay"]').hidden = true;
  renderHeader();
  showLogin(wasIn && reason === 'expired' ? 'login.sessionEnded' : null);
}

async function boot() {
  try {
    await setLang(storedLang());
  } catch (err) {
    console.error(err);
  }
  for (const b of $$('[data-lang]')) {
    b.addEventListener('click', () => setLang(b.dataset['lang']).catch((e) => console.error(e)));
  }
  for (const b of $$('[data-tab]')) b.addEventListener('click', () => selectTab(b.dataset['tab'] ?? 'lanes'));
  $('[data-testid="logout"]').addEventListener('click', async () => {
    try {
      await post('/api/logout');
    } catch {
      /* the session is gone either way */
    }
    leave('logout');
  });
  onLangChange(() => {
    renderHeader();
    if (stream) setLive(stream.readyState === EventSource.OPEN);
  });
  setUnauthenticatedHandler(() => {
    if (started) leave('expired');
  });

  initLogin(enter);
  initLanes();
  initHolds();
  initEvents();
  initYard({ selectTab, currentTab });
  initPostcheck({ selectTab, currentTab });
  initHealth({ onGateName: (name) => ((store.gateName = name), renderHeader()) });

  try {
    const session = /** @type {SessionResponse} */ (await get('/api/session', { quiet401: true }));
    await enter(session);
  } catch (caught) {
    const err = apiError(caught);
    leave('start');
    if (err.status !== 401) {
      const e = $('[data-testid="login-error"]');
      e.textContent = err.status === 0 ? t('error.network') : t('error.generic', { message: err.message });
      e.hidden = false;
    }
  }
}

boot();
