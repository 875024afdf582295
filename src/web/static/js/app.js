// Entry point: session, header, tabs, the live stream; each view lives in its own module.
import { get, post, setCsrfToken, setUnauthenticatedHandler } from './api.js';
import { $, show } from './dom.js';
import { initEvents, onRead, onRecord, resetEvents, showEvents } from './events.js';
import { initHealth, setHealth } from './health.js';
import { initHolds } from './holds.js';
import { setLang, storedLang, t, onLangChange } from './i18n.js';
import { initLanes, stopLanes } from './lanes.js';
import { initLogin, showLogin } from './login.js';
import { applyLaneState, emit, setLanes, store } from './state.js';

let stream = null;
let activeTab = 'lanes';
let started = false;

function toast(message, kind = 'ok') {
  const el = $('[data-testid="toast"]');
  el.textContent = message;
  el.className = `toast toast-${kind}`;
  el.hidden = false;
  clearTimeout(toast.timer);
  toast.timer = setTimeout(() => (el.hidden = true), 4000);
}
window.addEventListener('smartgate:toast', (e) => toast(e.detail.message, e.detail.kind));

function renderHeader() {
  const user = store.user;
  show($('[data-testid="header-user-block"]'), !!user);
  show($('[data-testid="logout"]'), !!user);
  if (user) {
    $('[data-testid="header-user"]').textContent = user.username;
    const role = $('[data-testid="header-role"]');
    role.textContent = t(`role.${user.role}`, null, user.role);
    role.dataset.role = user.role;
  }
  $('[data-testid="header-gate"]').textContent = store.gateName || '';
  for (const b of document.querySelectorAll('[data-lang]')) b.setAttribute('aria-pressed', String(b.dataset.lang === document.documentElement.lang.slice(0, 2)));
}

function selectTab(name) {
  activeTab = name;
  for (const b of document.querySelectorAll('[data-tab]')) {
    const on = b.dataset.tab === name;
    b.setAttribute('aria-selected', String(on));
    b.classList.toggle('active', on);
  }
  for (const v of document.querySelectorAll('[data-view]')) v.hidden = v.dataset.view !== name;
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

function setLive(live) {
  const el = $('[data-testid="live-indicator"]');
  el.hidden = false;
  el.dataset.live = String(live);
  el.textContent = t(live ? 'header.live' : 'header.offline');
}

function openStream() {
  closeStream();
  const es = new EventSource('/api/stream');
  stream = es;
  const parse = (fn) => (msg) => {
    let data;
    try {
      data = JSON.parse(msg.data);
    } catch {
      return;
    }
    fn(data);
  };
  es.addEventListener('open', () => setLive(true));
  es.addEventListener('lane', parse((d) => applyLaneState(d.laneId, d.state)));
  es.addEventListener('read', parse((d) => onRead(d)));
  es.addEventListener('record', parse((d) => onRecord(d)));
  es.addEventListener('health', parse((d) => setHealth(d)));
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
  const data = await get('/api/lanes');
  setLanes((data && data.lanes) || []);
}

async function loadHealth() {
  try {
    setHealth(await get('/api/health'));
  } catch (err) {
    if (err.status !== 401) console.warn('health', err);
  }
}

/** Logged in: show the app and start everything. */
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
  } catch (err) {
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
  selectTab(['lanes', 'holds', 'events', 'health'].includes(tab) ? tab : 'lanes');
}

/** No session (at load, after logout, or any 401): back to the login form. */
function leave(reason) {
  const wasIn = started;
  started = false;
  closeStream();
  stopLanes();
  resetEvents();
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
  for (const b of document.querySelectorAll('[data-lang]')) {
    b.addEventListener('click', () => setLang(b.dataset.lang).catch((e) => console.error(e)));
  }
  for (const b of document.querySelectorAll('[data-tab]')) b.addEventListener('click', () => selectTab(b.dataset.tab));
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
  initHealth({ onGateName: (name) => ((store.gateName = name), renderHeader()) });

  try {
    const session = await get('/api/session', { quiet401: true });
    await enter(session);
  } catch (err) {
    leave('start');
    if (err.status !== 401) {
      const e = $('[data-testid="login-error"]');
      e.textContent = err.status === 0 ? t('error.network') : t('error.generic', { message: err.message });
      e.hidden = false;
    }
  }
}

boot();
