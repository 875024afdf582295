// The login form: POST /api/login; bad-credentials, no-users (with the command), rate-limited, busy.
import { apiError, post } from './api.js';
import { $, clear, h } from './dom.js';
import { onLangChange, t } from './i18n.js';

/**
 * @typedef {import('../../api-contract.js').LoginRequest} LoginRequest
 * @typedef {import('../../api-contract.js').SessionResponse} SessionResponse
 * @typedef {import('./api.js').ErrorCode} ErrorCode
 */

/** @type {(session: SessionResponse) => void | Promise<void>} */
let onLoggedIn = () => {};
/** @type {{ code: ErrorCode, status: number, message: string, until: number } | null} until: when a rate limit ends (Date.now() ms) */
let lastError = null;
/** @type {ReturnType<typeof setInterval> | undefined} */
let countdown;

/** @param {(session: SessionResponse) => void | Promise<void>} done */
export function initLogin(done) {
  onLoggedIn = done;
  const form = $('[data-testid="login-form"]');
  form.addEventListener('submit', submit);
  onLangChange(() => renderError());
}

/** @param {string | null} noteKey */
export function showLogin(noteKey) {
  $('[data-testid="login-view"]').hidden = false;
  const note = $('[data-testid="login-note"]');
  if (noteKey) {
    note.dataset['i18n'] = noteKey;
    note.textContent = t(noteKey);
    note.hidden = false;
  } else {
    note.hidden = true;
  }
  const user = $('[data-testid="login-username"]', HTMLInputElement);
  const password = $('[data-testid="login-password"]', HTMLInputElement);
  password.value = '';
  (user.value ? password : user).focus();
}

/** @param {SubmitEvent} ev */
async function submit(ev) {
  ev.preventDefault();
  const userInput = $('[data-testid="login-username"]', HTMLInputElement);
  const passwordInput = $('[data-testid="login-password"]', HTMLInputElement);
  const username = userInput.value.trim();
  const password = passwordInput.value;
  const button = $('[data-testid="login-submit"]', HTMLButtonElement);
  if (!username || !password) {
    (username ? passwordInput : userInput).focus();
    return;
  }
  button.disabled = true;
  button.textContent = t('login.busy');
  try {
    const answer = /** @type {SessionResponse} */ (
      await post('/api/login', /** @satisfies {LoginRequest} */ ({ username, password }))
    );
    lastError = null;
    renderError();
    passwordInput.value = '';
    $('[data-testid="login-note"]').hidden = true;
    $('[data-testid="login-view"]').hidden = true;
    await onLoggedIn(answer);
  } catch (caught) {
    const err = apiError(caught);
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

/**
 * The command in the no-users message: text in backticks, or from "npx smartgate"/"smartgate" to the end.
 * @param {string} message
 */
function commandIn(message) {
  if (!message) return null;
  const tick = message.match(/`([^`]+)`/);
  if (tick) return tick[1] ?? null;
  const m = message.match(/((?:npx\s+)?smartgate\s+user\s+add[^\n]*)/);
  return m?.[1] ? m[1].replace(/[.;]\s*$/, '') : null;
}

function renderError() {
  const box = $('[data-testid="login-error"]');
  clearInterval(countdown);
  countdown = undefined;
  clear(box);
  const error = lastError;
  if (!error) {
    box.hidden = true;
    return;
  }
  box.hidden = false;
  box.dataset['code'] = error.code || '';
  switch (error.code) {
    case 'bad-credentials':
    case 'busy':
      box.append(t(`login.error.${error.code}`));
      break;
    case 'no-users': {
      const cmd = commandIn(error.message);
      box.append(h('p', { text: t('login.error.no-users') }));
      box.append(
        h('pre', { class: 'command', testid: 'login-no-users-command' }, h('code', { text: cmd || error.message })),
      );
      break;
    }
    case 'rate-limited': {
      const line = h('span', { testid: 'login-retry' });
      const tick = () => {
        const s = Math.max(0, Math.ceil((error.until - Date.now()) / 1000));
        line.textContent = t('login.error.rate-limited', { seconds: s });
        line.dataset['seconds'] = String(s);
        if (s === 0) clearInterval(countdown);
      };
      tick();
      box.append(line);
      countdown = setInterval(tick, 1000);
      break;
    }
    default:
      box.append(error.status === 0 ? t('error.network') : t('login.error.generic', { message: error.message }));
  }
}
