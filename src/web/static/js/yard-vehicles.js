// One yard's vehicles inside, longest dwell first: the entry's plate crop, the plate, class,
// entry lane and time, the dwell (counted on between loads), overstays highlighted, and for
// operators the correction "mark as left". A row opens the vehicle's detail.
import { extend, h, replace } from './dom.js';
import { dwell, minutes, time } from './format.js';
import { showDetail } from './events.js';
import { t, tc } from './i18n.js';
import { canOperate, laneLabel, store } from './state.js';
import { ReasonPrompt, yardPost } from './yard-forms.js';

/**
 * @typedef {import('../../api-contract.js').YardView} YardView
 * @typedef {import('../../api-contract.js').YardCorrectionRequest} YardCorrectionRequest
 * @typedef {YardView['vehicles'][number]} YardVehicle
 * @typedef {object} VehicleRow
 * @property {YardVehicle} vehicle
 * @property {HTMLTableRowElement} el
 * @property {HTMLImageElement} crop
 * @property {HTMLElement} noCrop shown when the entry has no crop
 * @property {HTMLElement} plate
 * @property {HTMLElement} paired
 * @property {HTMLElement} vehicleClass
 * @property {HTMLElement} entered
 * @property {HTMLElement} dwell
 * @property {HTMLElement} status
 * @property {ReasonPrompt | null} markLeft null for a viewer
 */

const COLUMNS = ['crop', 'plate', 'class', 'entered', 'dwell', 'status'];
/** The yard's own lane: a vehicle entered there was added by an operator's correction. */
const GATE_LANE = 'gate';

/**
 * How many of the yard's thresholds a dwell has reached: the server's count, or more when
 * the dwell has grown past one since the yard was loaded.
 * @param {readonly number[]} thresholdsMinutes ascending
 * @param {number} dwellMs
 * @param {number} known
 */
export function overstayLevel(thresholdsMinutes, dwellMs, known) {
  let level = 0;
  while (level < thresholdsMinutes.length && dwellMs >= (thresholdsMinutes[level] ?? Infinity) * 60_000) level++;
  return Math.max(level, known);
}

export class VehicleTable {
  /** @param {string} yardId */
  constructor(yardId) {
    this.yardId = yardId;
    this.operator = canOperate();
    /** @type {Map<string, VehicleRow>} visitId → row */
    this.rows = new Map();
    /** @type {readonly number[]} */
    this.thresholds = [];
    this.title = h('h3', { testid: 'yard-vehicles-title' });
    this.head = h('tr');
    this.body = h('tbody', { testid: 'yard-vehicles-body' });
    this.empty = h('p', { class: 'empty', testid: 'yard-vehicles-empty' });
    this.el = h(
      'section',
      { class: 'yard-section', testid: 'yard-vehicles' },
      this.title,
      h('div', { class: 'table-wrap' }, h('table', { class: 'yard-table' }, h('thead', {}, this.head), this.body)),
      this.empty,
    );
    this.translate();
  }

  /** @param {YardView} yard */
  update(yard) {
    this.thresholds = yard.overstayMinutes;
    const vehicles = [...yard.vehicles].sort((a, b) => b.dwellMs - a.dwellMs);
    const live = new Set(vehicles.map((v) => v.visitId));
    for (const [id, row] of this.rows) {
      if (live.has(id)) continue;
      row.el.remove();
      this.rows.delete(id);
    }
    vehicles.forEach((vehicle, i) => {
      let row = this.rows.get(vehicle.visitId);
      if (!row) this.rows.set(vehicle.visitId, (row = this.buildRow(vehicle)));
      row.vehicle = vehicle;
      this.fill(row);
      if (this.body.children[i] !== row.el) this.body.insertBefore(row.el, this.body.children[i] || null);
    });
    this.title.textContent = t('yard.vehicles', { n: vehicles.length });
    this.empty.hidden = vehicles.length > 0;
  }

  /** Every second: the dwell goes on, and may cross a threshold. */
  tick() {
    for (const row of this.rows.values()) this.fillDwell(row);
  }

  /** How many vehicles are past a threshold now. */
  overstays() {
    let n = 0;
    for (const row of this.rows.values()) if (this.levelOf(row.vehicle) > 0) n++;
    return n;
  }

  translate() {
    replace(
      this.head,
      ...COLUMNS.map((c) => h('th', { scope: 'col', text: t(`yard.col.${c}`) })),
      this.operator ? h('th', { scope: 'col', text: t('yard.col.actions') }) : null,
    );
    for (const row of this.rows.values()) {
      this.fill(row);
      row.markLeft?.translate();
    }
    this.title.textContent = t('yard.vehicles', { n: this.rows.size });
    this.empty.textContent = t('yard.vehiclesEmpty');
  }

  /**
   * @param {YardVehicle} vehicle
   * @returns {VehicleRow}
   */
  buildRow(vehicle) {
    const { visitId } = vehicle;
    const crop = h('img', { class: 'crop crop-small', testid: 'yard-vehicle-crop', loading: 'lazy' });
    const noCrop = h('span', { class: 'sub', hidden: true });
    // A vehicle added by hand has none.
    crop.addEventListener('error', () => {
      crop.hidden = true;
      noCrop.hidden = false;
    });
    // The visit is its `yard.entered` event, which carries the entry's plate crop.
    crop.src = `/api/events/${encodeURIComponent(visitId)}/crop`;
    const markLeft = this.operator
      ? new ReasonPrompt({
          testid: 'yard-mark-left',
          openKey: 'yard.markLeft',
          confirmKey: 'yard.markLeftConfirm',
          okKey: 'yard.markLeftDone',
          send: (reason) =>
            yardPost(
              this.yardId,
              '/corrections',
              /** @satisfies {YardCorrectionRequest} */ ({ action: 'mark-left', visitId, reason }),
            ),
        })
      : null;
    const plate = h('button', { type: 'button', class: 'plate plate-row link', testid: 'yard-vehicle-plate' });
    plate.addEventListener('click', () => showDetail(visitId, vehicle.entryLaneId));
    /** @type {VehicleRow} */
    const row = {
      vehicle,
      el: h('tr', { class: 'yard-vehicle', testid: 'yard-vehicle', 'data-visit-id': visitId }),
      crop,
      noCrop,
      plate,
      paired: h('div', { class: 'sub' }),
      vehicleClass: h('td', { testid: 'yard-vehicle-class' }),
      entered: h('td', { class: 'nowrap' }),
      dwell: h('td', { class: 'dwell', testid: 'yard-vehicle-dwell' }),
      status: h('td', { testid: 'yard-vehicle-status' }),
      markLeft,
    };
    extend(
      row.el,
      h('td', { class: 'crop-cell' }, crop, noCrop),
      h('td', {}, plate, row.paired),
      row.vehicleClass,
      row.entered,
      row.dwell,
      row.status,
      markLeft ? h('td', {}, markLeft.el) : null,
    );
    return row;
  }

  /** @param {VehicleRow} row */
  fill(row) {
    const v = row.vehicle;
    row.el.dataset['plate'] = v.plate ?? '';
    row.crop.alt = t('yard.col.crop');
    row.noCrop.textContent = t('yard.noCrop');
    row.plate.textContent = v.display || v.plate || t('holds.noPlate');
    row.plate.setAttribute('aria-label', `${t('detail.title')}: ${row.plate.textContent}`);
    row.paired.textContent = v.pairedPlate ? t('events.withPlates', { plates: v.pairedPlate }) : '';
    row.paired.hidden = !v.pairedPlate;
    row.vehicleClass.textContent = v.vehicleClass ? tc('vehicleClass.', v.vehicleClass) : t('yard.noClass');
    replace(
      row.entered,
      time(v.enteredAt),
      h('div', {
        class: 'sub',
        text: v.entryLaneId === GATE_LANE ? t('yard.byHand') : t('yard.byLane', { lane: laneLabel(v.entryLaneId) }),
      }),
    );
    this.fillDwell(row);
  }

  /** @param {YardVehicle} v */
  dwellOf(v) {
    return v.dwellMs + Math.max(0, Date.now() - store.yardsAt);
  }

  /** @param {YardVehicle} v */
  levelOf(v) {
    return overstayLevel(this.thresholds, this.dwellOf(v), v.overstay);
  }

  /** @param {VehicleRow} row */
  fillDwell(row) {
    const v = row.vehicle;
    const level = this.levelOf(v);
    row.dwell.textContent = dwell(this.dwellOf(v));
    row.el.classList.toggle('overstay', level > 0);
    row.el.dataset['overstay'] = String(level);
    const threshold = this.thresholds[level - 1];
    replace(
      row.status,
      level > 0 && threshold !== undefined
        ? h('span', {
            class: 'badge badge-red',
            testid: 'yard-vehicle-overstay',
            text: t('yard.overstay', { threshold: minutes(threshold) }),
          })
        : h('span', { class: 'sub', text: t('yard.inTime') }),
      v.called ? h('span', { class: 'badge badge-blue', testid: 'yard-vehicle-called', text: t('yard.called') }) : null,
    );
  }
}
