// The post-check in the other views: a `postcheck.flagged` event in a vehicle's timeline
// (events.js's detail), and what a decision's row of the vehicles table was flagged for.
import { h } from './dom.js';
import { num } from './format.js';
import { t, tc } from './i18n.js';

/**
 * @typedef {import('../../api-contract.js').PageEvent} PageEvent
 * @typedef {import('./dom.js').Children} Children
 * @typedef {(labelKey: string, value: Children) => HTMLElement | null} Kv events.js's "label: value" line
 */

/** @type {Map<string, string[]>} decisionId → what its passage was flagged for */
const flaggedByDecision = new Map();

/**
 * Keeps what a `postcheck.flagged` event says of its decision's passage; false for another event.
 * @param {PageEvent} e
 */
export function notePostcheck(e) {
  if (e.type !== 'postcheck.flagged' || !e.payload.decisionId) return false;
  flaggedByDecision.set(
    e.payload.decisionId,
    e.payload.flags.map((f) => f.kind),
  );
  return true;
}

export function forgetPostcheck() {
  flaggedByDecision.clear();
}

/**
 * The post-check's word on a decision's row, when its passage was flagged; null otherwise.
 * @param {string} decisionId
 */
export function postcheckBadge(decisionId) {
  const kinds = flaggedByDecision.get(decisionId);
  if (!kinds) return null;
  return h('div', {
    class: 'postcheck-badge bad',
    testid: 'event-postcheck',
    text: t('postcheck.badge', { flags: kinds.map((k) => tc('postcheck.flag.', k)).join(', ') }),
  });
}

/**
 * The flags of a passage, each with its detail (free text from the daemon, shown as sent).
 * @param {{ kind: string, detail: string }[]} flags
 */
export function flagList(flags) {
  return h(
    'ul',
    { class: 'postcheck-flags' },
    flags.map((f) =>
      h(
        'li',
        { testid: 'postcheck-flag', 'data-kind': f.kind },
        h('strong', { class: 'bad', text: tc('postcheck.flag.', f.kind) }),
        h('div', { class: 'sub', text: f.detail }),
      ),
    ),
  );
}

/**
 * What a `postcheck.flagged` event says; null for an event of another type.
 * @param {PageEvent} e
 * @param {Kv} kv
 * @returns {Children[] | null}
 */
export function postcheckSummary(e, kv) {
  if (e.type !== 'postcheck.flagged') return null;
  const p = e.payload;
  return [
    flagList(p.flags),
    kv('detail.plate', p.plate ? h('span', { class: 'plate', text: p.plate }) : t('postcheck.unread')),
    kv('detail.declaration', p.declarationId ?? t('postcheck.noDeclaration')),
    kv('detail.confidence', p.confidence !== null ? num(p.confidence, 2) : null),
    kv('detail.votes', p.votes),
  ];
}
