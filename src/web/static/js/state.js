// What the page knows, shared by the views: the user, the lanes (GET /api/lanes, then SSE
// `lane`), the latest health. Views subscribe to changes by topic.

export const store = {
  user: null,
  /** laneId → {laneId, name, direction, flow, barrier, camera, reader, receivedAt} */
  lanes: new Map(),
  health: null,
  healthAt: 0,
  gateName: '',
};

const subs = new Map();

export function on(topic, fn) {
  if (!subs.has(topic)) subs.set(topic, new Set());
  subs.get(topic).add(fn);
}

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

export function laneLabel(laneId) {
  const lane = store.lanes.get(laneId);
  return (lane && lane.name) || laneId;
}

export function setLanes(list) {
  store.lanes.clear();
  const now = Date.now();
  for (const l of list || []) store.lanes.set(l.laneId, { ...l, receivedAt: now });
  emit('lanes');
}

/**
 * An SSE `lane` message. docs/web.md: `state` is "one lane's flow + barrier"; it is read either as
 * {flow, barrier} or as the lane snapshot itself ({phase, phaseAgeMs, vehicle, holds, loop, barrier}).
 */
export function applyLaneState(laneId, state) {
  if (!state || !laneId) return;
  let flow;
  let barrier;
  if (state.flow && typeof state.flow === 'object') {
    flow = state.flow;
    barrier = 'barrier' in state ? state.barrier : undefined;
  } else {
    const { barrier: b, ...rest } = state;
    flow = rest;
    barrier = b;
  }
  const prev = store.lanes.get(laneId) || { laneId, name: laneId };
  const next = { ...prev, flow, receivedAt: Date.now() };
  if (barrier !== undefined) next.barrier = barrier;
  store.lanes.set(laneId, next);
  emit('lane', laneId);
}

/** Every pending hold of every lane, each with its lane id and whether it is at the barrier; newest first. */
export function allHolds() {
  const out = [];
  for (const lane of store.lanes.values()) {
    const holds = (lane.flow && lane.flow.holds) || [];
    holds.forEach((hold, i) => {
      out.push({ ...hold, laneId: lane.laneId, atBarrier: i === 0 && lane.flow.phase === 'held' });
    });
  }
  out.sort((a, b) => (b.createdAt || 0) - (a.createdAt || 0));
  return out;
}
