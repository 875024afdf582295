// The yards in the other views: their events in a vehicle's timeline (events.js), and the yard's
// word on a vehicle held `yard-full` in the hold queue (holds.js).
import { h } from './dom.js';
import { dateTime, dwell, minutes } from './format.js';
import { t, tc } from './i18n.js';
import { store } from './state.js';

/**
 * @typedef {import('../../api-contract.js').PageEvent} PageEvent
 * @typedef {import('../../api-contract.js').EventPayloads} EventPayloads
 * @typedef {import('./dom.js').Children} Children
 * @typedef {(labelKey: string, value: Children) => HTMLElement | null} Kv events.js's "label: value" line
 */

/** @param {string} yardId */
function yardName(yardId) {
  return store.yards.find((y) => y.yardId === yardId)?.name || yardId;
}

/** @param {{ plate: string | null, display?: string | null }} p */
function plateOf(p) {
  const text = p.display || p.plate;
  return text ? h('span', { class: 'plate', text }) : null;
}

/**
 * What a yard event says; null for an event of another type.
 * @param {PageEvent} e
 * @param {Kv} kv
 * @returns {Children[] | null}
 */
export function yardSummary(e, kv) {
  switch (e.type) {
    case 'yard.entered': {
      const p = e.payload;
      return [
        h('strong', { text: yardName(p.yardId) }),
        kv('detail.plate', plateOf(p)),
        kv('yard.col.class', p.vehicleClass ? tc('vehicleClass.', p.vehicleClass) : null),
        kv('detail.occupancy', `${p.occupancy}/${p.capacity}`),
        kv('detail.how', tc('yard.how.', p.how)),
        p.overCapacity ? h('div', { class: 'bad', text: t('yard.overCapacity') }) : null,
      ];
    }
    case 'yard.left': {
      const p = e.payload;
      return [
        h('strong', { text: yardName(p.yardId) }),
        kv('detail.plate', plateOf(p)),
        kv('detail.dwell', dwell(p.dwellMs)),
        kv('detail.occupancy', `${p.occupancy}/${p.capacity}`),
        kv('detail.how', tc('yard.how.', p.how)),
        // A look-alike match ended the visit of a vehicle whose plate was not read exactly.
        p.match && p.match !== 'exact'
          ? h('div', { class: p.match === 'look-alike' ? 'bad' : 'sub', text: tc('yard.match.', p.match) })
          : null,
      ];
    }
    case 'yard.overstay': {
      const p = e.payload;
      return [
        h('strong', { class: 'bad', text: yardName(p.yardId) }),
        kv('detail.plate', plateOf(p)),
        kv('detail.dwell', dwell(p.dwellMs)),
        kv('detail.threshold', minutes(p.thresholdMinutes)),
      ];
    }
    case 'yard.call': {
      const p = e.payload;
      return [
        h('strong', { text: tc('yard.callAction.', p.action) }),
        ' ',
        plateOf({ plate: p.plate }),
        kv('detail.yard', yardName(p.yardId)),
        kv('detail.expires', p.action === 'called' && p.expiresAt ? dateTime(p.expiresAt) : null),
        kv('detail.operator', p.operator),
        kv('detail.source', p.source ? tc('source.', p.source) : null),
        kv('detail.reason', p.reason),
      ];
    }
    default:
      return null;
  }
}

/**
 * The yard and vehicle of an operator's correction to a yard; nothing for a lane's action.
 * @param {EventPayloads['operator.action']} p
 * @param {Kv} kv
 * @returns {Children[]}
 */
export function yardActionSummary(p, kv) {
  if (!('yardId' in p)) return [];
  return [kv('detail.yard', yardName(p.yardId)), kv('detail.plate', plateOf(p))];
}

/**
 * The yard's word on a hold of the queue: for a `yard-full` hold, that a place is kept for it,
 * or how full its yard is. Null for other holds, or before the yards are loaded.
 * @param {{ holdId: string, reason: string }} hold
 * @returns {{ text: string, kept: boolean } | null}
 */
export function yardHoldNote(hold) {
  if (hold.reason !== 'yard-full') return null;
  for (const yard of store.yards) {
    const held = yard.holds.find((x) => x.holdId === hold.holdId);
    if (!held) continue;
    return held.offered
      ? { text: t('yard.placeKept'), kept: true }
      : { text: t('yard.holdNote', { yard: yard.name, n: yard.occupancy, capacity: yard.capacity }), kept: false };
  }
  return null;
}
