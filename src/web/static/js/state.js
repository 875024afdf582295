// What the page knows, shared by the views: the user, the lanes (GET /api/lanes, then SSE
// `lane`), the latest health, the yards (GET /api/yards). Views subscribe to changes by topic.

/**
 * @typedef {import('../../api-contract.js').ApiUser} ApiUser
 * @typedef {import('../../api-contract.js').HealthResponse} HealthResponse
 * @typedef {import('../../api-contract.js').Hold} Hold
 * @typedef {import('../../api-contract.js').LaneView} LaneView
 * @typedef {import('../../api-contract.js').StreamMessages} StreamMessages
 * @typedef {import('../../api-contract.js').YardView} YardView
 * @typedef {LaneView & { receivedAt: number }} PageLane a lane as the page keeps it; receivedAt (Date.now()) ages its phaseAgeMs
 * @typedef {Hold & { laneId: string, atBarrier: boolean }} QueuedHold
 * @typedef {{ lanes: undefined, lane: string, tab: string, session: undefined, yards: undefined }} Topics what each topic's subscribers get: `lane` the lane id, `tab` the tab's name
 */

export const store = {
  /** @type {ApiUser | null} */
  user: null,
  /** @type {Map<string, PageLane>} laneId → lane */
  lanes: new Map(),
  /** @type {HealthResponse | null} */
  health: null,
  healthAt: 0,
  gateName: '',
  /** @type {YardView[]} empty: the gate has no yards (or they are not loaded yet) */
  yards: [],
  /** When (Date.now()) the yards were loaded: ages their dwellMs. */
  yardsAt: 0,
};

/** @type {Map<keyof Topics, Set<(data: any) => void>>} */
const subs = new Map();

/**
 * @template {keyof Topics} T
 * @param {T} topic
 * @param {(data: Topics[T]) => void} fn
 */
export function on(topic, fn) {
  let set = subs.get(topic);
  if (!set) subs.set(topic, (set = new Set()));
  set.add(fn);
}

/**
 * @template {keyof Topics} T
 * @param {T} topic
 * @param {Topics[T]} [data]
 */
export function emit(topic, data) {
  for (const fn of subs.get(topic) || []) {
    try {
      fn(data);
    } catch (err) {
      console.error(`[${topic}]`, err);
    }
  }
}

export function canOperate() {
  const role = store.user && store.user.role;
  return role === 'operator' || role === 'admin';
}

/** @param {string} laneId */
export function laneLabel(laneId) {
  const lane = store.lanes.get(laneId);
  return (lane && lane.name) || laneId;
}

/** @param {LaneView[]} list */
export function setLanes(list) {
  store.lanes.clear();
  const now = Date.now();
  for (const l of list || []) store.lanes.set(l.laneId, { ...l, receivedAt: now });
  emit('lanes');
}

/**
 * An SSE `lane` message: the lane's new flow and barrier.
 * @param {StreamMessages['lane']} message
 */
export function applyLaneState({ laneId, state }) {
  const prev = store.lanes.get(laneId) || {
    laneId,
    name: laneId,
    direction: '',
    declarations: /** @type {const} */ ('off'),
    flow: null,
    barrier: null,
    camera: null,
    reader: null,
    receivedAt: 0,
  };
  store.lanes.set(laneId, { ...prev, flow: state.flow, barrier: state.barrier, receivedAt: Date.now() });
  emit('lane', laneId);
}

/**
 * Every pending hold of every lane, each with its lane id and whether it is at the barrier; newest first.
 * @returns {QueuedHold[]}
 */
export function allHolds() {
  /** @type {QueuedHold[]} */
  const out = [];
  for (const lane of store.lanes.values()) {
    const flow = lane.flow;
    if (!flow) continue;
    flow.holds.forEach((hold, i) => {
      out.push({ ...hold, laneId: lane.laneId, atBarrier: i === 0 && flow.phase === 'held' });
    });
  }
  out.sort((a, b) => (b.createdAt || 0) - (a.createdAt || 0));
  return out;
}

/** @param {YardView[]} list */
export function setYards(list) {
  store.yards = list;
  store.yardsAt = Date.now();
  emit('yards');
}
