// One yard's calls forward (in the order called, with cancel) and the operator's forms: call a
// vehicle forward to the crossing, and add one that came in while a lane was down.
import { h, replace } from './dom.js';
import { duration, time } from './format.js';
import { t, tc } from './i18n.js';
import { canOperate } from './state.js';
import { FormStatus, MIN_REASON, ReasonPrompt, submit, yardPost } from './yard-forms.js';

/**
 * @typedef {import('../../api-contract.js').YardView} YardView
 * @typedef {import('../../api-contract.js').YardCallRequest} YardCallRequest
 * @typedef {import('../../api-contract.js').YardCorrectionRequest} YardCorrectionRequest
 * @typedef {YardView['calls'][number]} YardCall
 * @typedef {{ call: YardCall, el: HTMLElement, text: HTMLElement, cancel: ReasonPrompt | null }} CallItem
 */

/**
 * A labelled field of a form.
 * @param {HTMLElement} label
 * @param {HTMLElement} input
 */
function field(label, input) {
  return h('label', { class: 'field' }, label, input);
}

export class CallsPanel {
  /** @param {string} yardId */
  constructor(yardId) {
    this.yardId = yardId;
    this.operator = canOperate();
    /** @type {Map<string, CallItem>} callId → item */
    this.items = new Map();
    /** @type {YardView | null} */
    this.yard = null;
    this.title = h('h3', { testid: 'yard-calls-title' });
    this.list = h('ol', { class: 'yard-calls', testid: 'yard-calls' });
    this.empty = h('p', { class: 'empty', testid: 'yard-calls-empty' });
    this.el = h('section', { class: 'yard-section', testid: 'yard-calls-section' }, this.title, this.list, this.empty);
    this.form = this.operator ? this.buildForm() : null;
    if (this.form) this.el.append(this.form.el);
    this.translate();
  }

  buildForm() {
    const parts = {
      heading: h('h4'),
      plateLabel: h('span'),
      plate: h('input', {
        type: 'text',
        maxlength: 32,
        autocomplete: 'off',
        required: true,
        testid: 'yard-call-plate',
      }),
      reasonLabel: h('span'),
      reason: h('input', { type: 'text', maxlength: 500, required: true, testid: 'yard-call-reason' }),
      button: h('button', { type: 'submit', class: 'btn btn-primary', testid: 'yard-call-submit', disabled: true }),
      status: new FormStatus('yard-call-message'),
    };
    const el = h(
      'form',
      { class: 'yard-form', testid: 'yard-call-form', novalidate: true },
      parts.heading,
      h(
        'div',
        { class: 'yard-form-fields' },
        field(parts.plateLabel, parts.plate),
        field(parts.reasonLabel, parts.reason),
        parts.button,
      ),
      parts.status.el,
    );
    const form = { el, ...parts, busy: false };
    const enable = () =>
      (parts.button.disabled =
        form.busy || parts.plate.value.trim().length < 2 || parts.reason.value.trim().length < MIN_REASON);
    parts.plate.addEventListener('input', enable);
    parts.reason.addEventListener('input', enable);
    el.addEventListener('submit', async (e) => {
      e.preventDefault();
      if (parts.button.disabled) return;
      form.busy = true;
      const body = /** @satisfies {YardCallRequest} */ ({
        plate: parts.plate.value.trim(),
        reason: parts.reason.value.trim(),
      });
      const ui = { button: parts.button, labelKey: 'yard.callButton', status: parts.status, okKey: 'yard.callDone' };
      if (await submit(ui, () => yardPost(this.yardId, '/calls', body))) {
        parts.plate.value = '';
        parts.reason.value = '';
      }
      form.busy = false;
      enable();
    });
    return form;
  }

  /** @param {YardView} yard */
  update(yard) {
    this.yard = yard;
    const live = new Set(yard.calls.map((c) => c.callId));
    for (const [id, item] of this.items) {
      if (live.has(id)) continue;
      item.el.remove();
      this.items.delete(id);
    }
    yard.calls.forEach((call, i) => {
      let item = this.items.get(call.callId);
      if (!item) this.items.set(call.callId, (item = this.buildItem(call)));
      item.call = call;
      this.fill(item);
      if (this.list.children[i] !== item.el) this.list.insertBefore(item.el, this.list.children[i] || null);
    });
    this.title.textContent = t('yard.calls', { n: yard.calls.length });
    this.empty.hidden = yard.calls.length > 0;
  }

  /** Every second: how long each call has left. */
  tick() {
    for (const item of this.items.values()) this.fill(item);
  }

  translate() {
    this.title.textContent = t('yard.calls', { n: this.items.size });
    this.empty.textContent = t('yard.callsEmpty');
    for (const item of this.items.values()) {
      this.fill(item);
      item.cancel?.translate();
    }
    const f = this.form;
    if (!f) return;
    f.heading.textContent = t('yard.callTitle');
    f.plateLabel.textContent = t('yard.plate');
    f.plate.placeholder = t('yard.callPlatePlaceholder');
    f.reasonLabel.textContent = t('yard.reasonLabel');
    if (!f.busy) f.button.textContent = t('yard.callButton');
    f.status.translate();
  }

  /**
   * @param {YardCall} call
   * @returns {CallItem}
   */
  buildItem(call) {
    const cancel = this.operator
      ? new ReasonPrompt({
          testid: 'yard-call-cancel',
          openKey: 'yard.cancelCall',
          confirmKey: 'yard.cancelCallConfirm',
          okKey: 'yard.cancelDone',
          send: (reason) => yardPost(this.yardId, `/calls/${encodeURIComponent(call.callId)}/cancel`, { reason }),
        })
      : null;
    const text = h('div', { class: 'yard-call-main' });
    const el = h(
      'li',
      { class: 'yard-call', testid: 'yard-call', 'data-call-id': call.callId, 'data-plate': call.plate },
      text,
      cancel ? cancel.el : null,
    );
    return { call, el, text, cancel };
  }

  /** @param {CallItem} item */
  fill(item) {
    const { call } = item;
    // Calls name the canonical plate; the vehicle inside shows it as printed.
    const inside = this.yard?.vehicles.find((v) => v.plate === call.plate || v.pairedPlate === call.plate);
    replace(
      item.text,
      h('span', { class: 'plate plate-row', text: inside?.display || call.plate }),
      ' ',
      h('span', { class: 'sub', text: t('yard.calledBy', { time: time(call.calledAt), who: call.calledBy }) }),
      ' · ',
      h('span', {
        class: 'sub',
        testid: 'yard-call-expires',
        text: t('yard.expiresIn', { age: duration(Math.max(0, call.expiresAt - Date.now())) }),
      }),
      inside ? null : h('span', { class: 'badge badge-amber', text: t('yard.notInside') }),
    );
  }
}

export class AddVehicleForm {
  /** @param {string} yardId */
  constructor(yardId) {
    this.yardId = yardId;
    this.busy = false;
    /** @type {YardView['classes']} */
    this.classes = [];
    this.heading = h('h3');
    this.plateLabel = h('span');
    this.plate = h('input', {
      type: 'text',
      maxlength: 32,
      autocomplete: 'off',
      required: true,
      testid: 'yard-add-plate',
    });
    this.classLabel = h('span');
    this.vehicleClass = h('select', { testid: 'yard-add-class' });
    this.enteredLabel = h('span');
    this.enteredAt = h('input', { type: 'datetime-local', testid: 'yard-add-entered' });
    this.reasonLabel = h('span');
    this.reason = h('input', { type: 'text', maxlength: 500, required: true, testid: 'yard-add-reason' });
    this.button = h('button', { type: 'submit', class: 'btn btn-warn', testid: 'yard-add-submit', disabled: true });
    this.status = new FormStatus('yard-add-message');
    this.classField = field(this.classLabel, this.vehicleClass);
    this.el = h(
      'form',
      { class: 'yard-form yard-section', testid: 'yard-add-form', novalidate: true },
      this.heading,
      h(
        'div',
        { class: 'yard-form-fields' },
        field(this.plateLabel, this.plate),
        this.classField,
        field(this.enteredLabel, this.enteredAt),
        field(this.reasonLabel, this.reason),
        this.button,
      ),
      this.status.el,
    );
    for (const input of [this.plate, this.reason]) input.addEventListener('input', () => this.enable());
    this.el.addEventListener('submit', (e) => {
      e.preventDefault();
      this.send();
    });
    this.translate();
  }

  /** @param {YardView} yard */
  update(yard) {
    if (yard.classes.map((c) => c.id).join() === this.classes.map((c) => c.id).join()) return;
    this.classes = yard.classes;
    this.fillClasses();
  }

  fillClasses() {
    const current = this.vehicleClass.value;
    this.vehicleClass.replaceChildren(
      h('option', { value: '', text: t('yard.addClassAuto') }),
      ...this.classes.map((c) => h('option', { value: c.id, text: tc('vehicleClass.', c.id) })),
    );
    this.vehicleClass.value = this.classes.some((c) => c.id === current) ? current : '';
    this.classField.hidden = this.classes.length === 0;
  }

  translate() {
    this.heading.textContent = t('yard.addTitle');
    this.plateLabel.textContent = t('yard.plate');
    this.plate.placeholder = t('yard.addPlatePlaceholder');
    this.classLabel.textContent = t('yard.addClass');
    this.enteredLabel.textContent = t('yard.addEnteredAt');
    this.reasonLabel.textContent = t('yard.reasonLabel');
    if (!this.busy) this.button.textContent = t('yard.addButton');
    this.fillClasses();
    this.status.translate();
  }

  enable() {
    this.button.disabled =
      this.busy || this.plate.value.trim().length < 2 || this.reason.value.trim().length < MIN_REASON;
  }

  async send() {
    if (this.button.disabled) return;
    this.busy = true;
    // datetime-local is the page's local time; the server takes epoch ms.
    const enteredAt = this.enteredAt.value ? new Date(this.enteredAt.value).getTime() : undefined;
    const body = /** @satisfies {YardCorrectionRequest} */ ({
      action: 'add',
      plate: this.plate.value.trim(),
      reason: this.reason.value.trim(),
      ...(this.vehicleClass.value && { vehicleClass: this.vehicleClass.value }),
      ...(enteredAt !== undefined && Number.isFinite(enteredAt) && { enteredAt }),
    });
    const ui = { button: this.button, labelKey: 'yard.addButton', status: this.status, okKey: 'yard.addDone' };
    if (await submit(ui, () => yardPost(this.yardId, '/corrections', body))) {
      this.plate.value = '';
      this.reason.value = '';
      this.enteredAt.value = '';
    }
    this.busy = false;
    this.enable();
  }
}
