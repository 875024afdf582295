// What the yard's forms share: the operator's POSTs under /api/yards/:yardId, the answer shown
// under a form (again in the new language when it changes), and the inline "reason, then
// confirm" of a row's action (mark a vehicle as left, cancel a call).
import { apiError, post } from './api.js';
import { h } from './dom.js';
import { t } from './i18n.js';

/**
 * @typedef {import('./api.js').ApiError} ApiError
 * @typedef {{ kind: 'ok', key: string } | { kind: 'error', err: ApiError }} FormMessage
 */

/** The server's minimum for a reason (api-contract.ts operatorActionRequestSchema). */
export const MIN_REASON = 3;

/**
 * @param {string} yardId
 * @param {string} path under the yard: `/calls`, `/corrections`...
 * @param {unknown} body
 */
export function yardPost(yardId, path, body) {
  return post(`/api/yards/${encodeURIComponent(yardId)}${path}`, body);
}

/** @param {ApiError} err */
function errorText(err) {
  switch (err.code) {
    case 'conflict':
      return t('error.conflict', { message: err.message });
    case 'not-found':
      return t('yard.error.notFound', { message: err.message });
    case 'invalid':
      return t('yard.error.invalid', { message: err.message });
    case 'store-failed':
      return t('yard.error.storeFailed', { message: err.message });
    case 'forbidden':
      return t('error.forbidden');
    case 'csrf':
      return t('error.csrf');
    case 'network':
      return t('error.network');
    default:
      return t('error.generic', { message: err.message });
  }
}

/** The answer to an operator's request, under its form or row. */
export class FormStatus {
  /** @param {string} testid */
  constructor(testid) {
    this.el = h('p', { class: 'action-message', testid, role: 'status', hidden: true });
    /** @type {FormMessage | null} */
    this.message = null;
  }

  /** @param {FormMessage | null} message */
  show(message) {
    this.message = message;
    this.el.hidden = !message;
    if (!message) return;
    this.el.textContent = message.kind === 'ok' ? t(message.key) : errorText(message.err);
    this.el.dataset['kind'] = message.kind;
    this.el.dataset['code'] = message.kind === 'error' ? message.err.code : '';
  }

  /** The language changed. */
  translate() {
    this.show(this.message);
  }
}

/**
 * Sends an operator's request, `button` saying so meanwhile; the answer goes to `status`.
 * @param {{ button: HTMLButtonElement, labelKey: string, status: FormStatus, okKey: string }} ui
 * @param {() => Promise<unknown>} send
 * @returns {Promise<boolean>} whether it was done
 */
export async function submit(ui, send) {
  ui.button.disabled = true;
  ui.button.textContent = t('holds.sending');
  try {
    await send();
    ui.status.show({ kind: 'ok', key: ui.okKey });
    return true;
  } catch (caught) {
    const err = apiError(caught);
    // A 401 goes back to the login form.
    if (err.status !== 401) ui.status.show({ kind: 'error', err });
    return false;
  } finally {
    ui.button.textContent = t(ui.labelKey);
  }
}

/**
 * A row's action that needs the operator's reason: its button opens a reason field with a
 * confirm button; confirming sends it. Test ids: `{testid}`, `{testid}-reason`,
 * `{testid}-confirm`, `{testid}-close`, `{testid}-message`.
 */
export class ReasonPrompt {
  /**
   * @param {object} opts
   * @param {string} opts.testid
   * @param {string} opts.openKey the button's text
   * @param {string} opts.confirmKey
   * @param {string} opts.okKey the answer when done
   * @param {(reason: string) => Promise<unknown>} opts.send
   */
  constructor(opts) {
    this.opts = opts;
    this.busy = false;
    this.open = h('button', { type: 'button', class: 'btn', testid: opts.testid });
    this.input = h('input', {
      type: 'text',
      class: 'reason-input',
      maxlength: 500,
      required: true,
      testid: `${opts.testid}-reason`,
    });
    this.confirm = h('button', {
      type: 'button',
      class: 'btn btn-warn',
      testid: `${opts.testid}-confirm`,
      disabled: true,
    });
    this.close = h('button', { type: 'button', class: 'btn', testid: `${opts.testid}-close` });
    this.status = new FormStatus(`${opts.testid}-message`);
    this.form = h(
      'div',
      { class: 'reason-prompt', hidden: true },
      this.input,
      h('div', { class: 'buttons' }, this.confirm, this.close),
    );
    this.el = h('div', { class: 'row-action' }, this.open, this.form, this.status.el);
    this.open.addEventListener('click', () => {
      this.form.hidden = false;
      this.open.hidden = true;
      this.status.show(null);
      this.input.focus();
    });
    this.close.addEventListener('click', () => this.hide());
    this.input.addEventListener('input', () => this.enable());
    this.input.addEventListener('keydown', (e) => {
      if (e.key === 'Enter') this.send();
      if (e.key === 'Escape') this.hide();
    });
    this.confirm.addEventListener('click', () => this.send());
    this.translate();
  }

  translate() {
    this.open.textContent = t(this.opts.openKey);
    if (!this.busy) this.confirm.textContent = t(this.opts.confirmKey);
    this.close.textContent = t('yard.close');
    this.input.placeholder = t('yard.reasonLabel');
    this.input.setAttribute('aria-label', t('yard.reasonLabel'));
    this.status.translate();
  }

  hide() {
    this.form.hidden = true;
    this.open.hidden = false;
  }

  enable() {
    this.confirm.disabled = this.busy || this.input.value.trim().length < MIN_REASON;
  }

  async send() {
    const reason = this.input.value.trim();
    if (this.busy || reason.length < MIN_REASON) return;
    this.busy = true;
    const ui = { button: this.confirm, labelKey: this.opts.confirmKey, status: this.status, okKey: this.opts.okKey };
    const done = await submit(ui, () => this.opts.send(reason));
    this.busy = false;
    if (done) {
      this.input.value = '';
      this.hide();
    }
    this.enable();
  }
}
