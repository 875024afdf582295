// The login form: POST /api/login; bad-credentials, no-users (with the command), rate-limited, busy.
import { post } from './api.js';
import { $, clear, h } from './dom.js';
import { onLangChange, t } from './i18n.js';

let onLoggedIn = () => {};
let lastError = null; // {code, message, until}
let countdown = null;

export function initLogin(done) {
  onLoggedIn = done;
  const form = $('[data-testid="login-form"]');
  form.addEventListener('submit', submit);
  onLangChange(() => renderError());
}

export function showLogin(noteKey) {
  $('[data-testid="login-view"]').hidden = false;
  const note = $('[data-testid="login-note"]');
  if (noteKey) {
    note.dataset.i18n = noteKey;
    note.textContent = t(noteKey);
    note.hidden = false;
  } else {
    note.hidden = true;
  }
  $('[data-testid="login-password"]').value = '';
  const user = $('[data-testid="login-username"]');
  (user.value ? $('[data-testid="login-password"]') : user).focus();
}

async function submit(ev) {
  ev.preventDefault();
  const username = $('[data-testid="login-username"]').value.trim();
  const password = $('[data-testid="login-password"]').value;
  const button = $('[data-testid="login-submit"]');
  if (!username || !password) {
    ((!username && $('[data-testid="login-username"]')) || $('[data-testid="login-password"]')).focus();
    return;
  }
  button.disabled = true;
  button.textContent = t('login.busy');
  try {
    const answer = await post('/api/login', { username, password });
    lastError = null;
    renderError();
    $('[data-testid="login-password"]').value = '';
    $('[data-testid="login-note"]').hidden = true;
    $('[data-testid="login-view"]').hidden = true;
    await onLoggedIn(answer);
  } catch (err) {
    lastError = {
      code: err.code,
      status: err.status,
      message: err.message,
      until: err.code === 'rate-limited' ? Date.now() + (err.retryAfter || 60) * 1000 : 0,
    };
    renderError();
  } finally {
    button.disabled = false;
    button.textContent = t('login.submit');
  }
}

/** The command in the no-users message: text in backticks, or from "npx smartgate"/"smartgate" to the end. */
function commandIn(message) {
  if (!message) return null;
  const tick = message.match(/`([^`]+)`/);
  if (tick) return tick[1];
  const m = message.match(/((?:npx\s+)?smartgate\s+user\s+add[^\n]*)/);
  return m ? m[1].replace(/[.;]\s*$/, '') : null;
}

function renderError() {
  const box = $('[data-testid="login-error"]');
  clearInterval(countdown);
  countdown = null;
  clear(box);
  if (!lastError) {
    box.hidden = true;
    return;
  }
  box.hidden = false;
  box.dataset.code = lastError.code || '';
  switch (lastError.code) {
    case 'bad-credentials':
    case 'busy':
      box.append(t(`login.error.${lastError.code}`));
      break;
    case 'no-users': {
      const cmd = commandIn(lastError.message);
      box.append(h('p', { text: t('login.error.no-users') }));
      box.append(h('pre', { class: 'command', testid: 'login-no-users-command' }, h('code', { text: cmd || lastError.message })));
      break;
    }
    case 'rate-limited': {
      const line = h('span', { testid: 'login-retry' });
      const tick = () => {
        const s = Math.max(0, Math.ceil((lastError.until - Date.now()) / 1000));
        line.textContent = t('login.error.rate-limited', { seconds: s });
        line.dataset.seconds = String(s);
        if (s === 0) clearInterval(countdown);
      };
      tick();
      box.append(line);
      countdown = setInterval(tick, 1000);
      break;
    }
    default:
      box.append(lastError.status === 0 ? t('error.network') : t('login.error.generic', { message: lastError.message }));
  }
}
