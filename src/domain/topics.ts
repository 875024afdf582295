/**
 * Every MQTT topic smartgate uses, built in one place so the uplink, `smartgate tail` and the
 * docs agree. Levels: `{prefix}/{siteId}/...`; site and lane ids are slugs (config), so they
 * never contain `/`, `+` or `#`.
 */
export const DEFAULT_TOPIC_PREFIX = 'smartgate/v1';

/** One lane's events: QoS 1, not retained. */
export function eventsTopic(prefix: string, siteId: string, laneId: string): string {
  return `${prefix}/${siteId}/${laneId}/events`;
}

/** The gate's availability: retained, `offline` as the Last Will. */
export function statusTopic(prefix: string, siteId: string): string {
  return `${prefix}/${siteId}/status`;
}

/**
 * The gate's public key (the one its evidence chain's checkpoints are signed with): retained,
 * published on every connect, so a consumer learns it on subscribing (docs/mqtt.md#evidence-chain).
 */
export function gateKeyTopic(prefix: string, siteId: string): string {
  return `${prefix}/${siteId}/key`;
}

/** Subscription to the public key of one site, or of every site. */
export function gateKeyFilter(prefix: string, siteId?: string): string {
  return `${prefix}/${siteId ?? '+'}/key`;
}

/** The site of a key topic under `prefix`, or null for any other topic. */
export function parseGateKeyTopic(prefix: string, topic: string): string | null {
  if (!topic.startsWith(`${prefix}/`)) return null;
  const levels = topic.slice(prefix.length + 1).split('/');
  return levels.length === 2 && levels[1] === 'key' && levels[0] ? levels[0] : null;
}

/** One lane's latest state (camera and reader counters): retained, QoS 0, replaced periodically. */
export function laneStateTopic(prefix: string, siteId: string, laneId: string): string {
  return `${prefix}/${siteId}/${laneId}/state`;
}

/** The gate's latest health (uptime, outbox backlog): retained, QoS 0, replaced periodically. */
export function healthTopic(prefix: string, siteId: string): string {
  return `${prefix}/${siteId}/health`;
}

/** One yard's occupancy, vehicles inside and holds waiting for room: retained, QoS 0, on every change (rate-limited). */
export function yardStateTopic(prefix: string, siteId: string, yardId: string): string {
  return `${prefix}/${siteId}/yards/${yardId}/state`;
}

/**
 * The post-check of the site's current local day (fee declarations: totals and the latest flagged
 * passages): retained, QoS 0, on every change (rate-limited) and periodically.
 */
export function postcheckSummaryTopic(prefix: string, siteId: string): string {
  return `${prefix}/${siteId}/postcheck/summary`;
}

/** Subscription to the state of every yard of one site, or of every site. */
export function yardStateFilter(prefix: string, siteId?: string): string {
  return `${prefix}/${siteId ?? '+'}/yards/+/state`;
}

/** Subscription to the events of every lane of one site, or of every site. */
export function eventsFilter(prefix: string, siteId?: string): string {
  return `${prefix}/${siteId ?? '+'}/+/events`;
}

/** Subscription to the status of one site, or of every site. */
export function statusFilter(prefix: string, siteId?: string): string {
  return `${prefix}/${siteId ?? '+'}/status`;
}

/** One command from central to the gate; site-level, a lane is named in the body (`laneId`). */
export function commandTopic(prefix: string, siteId: string, name: string): string {
  return `${prefix}/${siteId}/commands/${name}`;
}

/** One list pushed by central (`allow`, `deny`, `watch`). */
export function listTopic(prefix: string, siteId: string, listName: string): string {
  return `${prefix}/${siteId}/lists/${listName}`;
}

/** The gate's subscription to its commands: one level, so other sites and deeper topics never arrive. */
export function commandsFilter(prefix: string, siteId: string): string {
  return `${prefix}/${siteId}/commands/+`;
}

/** The gate's subscription to its list pushes. */
export function listsFilter(prefix: string, siteId: string): string {
  return `${prefix}/${siteId}/lists/+`;
}

/** Replies go under this prefix when mqtt.central.replyPrefix is not set: beside the gate's own topics, never under one. */
export function defaultReplyPrefix(prefix: string, siteId: string): string {
  return `${prefix}/${siteId}/replies`;
}

/** Where the reply to a command or list push goes when the request carried no MQTT 5 responseTopic. */
export function defaultReplyTopic(replyPrefix: string, kind: 'command' | 'list', name: string): string {
  return `${replyPrefix}/${kind === 'command' ? 'commands' : 'lists'}/${name}`;
}

/**
 * Every topic the gate publishes on (events, lane state, yard state, post-check summary, status, health, key) and the filters it
 * subscribes to (commands, lists): a reply must never land on one. Lanes by id, or `+` for any.
 */
export function gateOwnTopics(prefix: string, siteId: string, laneIds: readonly string[] | '+'): string[] {
  const lanes = laneIds === '+' ? ['+'] : laneIds;
  return [
    ...lanes.flatMap((lane) => [eventsTopic(prefix, siteId, lane), laneStateTopic(prefix, siteId, lane)]),
    yardStateFilter(prefix, siteId),
    postcheckSummaryTopic(prefix, siteId),
    statusTopic(prefix, siteId),
    healthTopic(prefix, siteId),
    gateKeyTopic(prefix, siteId),
    commandsFilter(prefix, siteId),
    listsFilter(prefix, siteId),
  ];
}

/** MQTT matching: whether `topic` (a name, no wildcards) matches `filter` (`+` one level, `#` the rest). */
export function topicMatches(filter: string, topic: string): boolean {
  const f = filter.split('/');
  const t = topic.split('/');
  for (let i = 0; i < f.length; i++) {
    if (f[i] === '#') return true;
    if (i >= t.length || (f[i] !== '+' && f[i] !== t[i])) return false;
  }
  return f.length === t.length;
}

/**
 * Whether two topics or filters share a subtree: one is equal to, above or below the other,
 * level by level, `+` matching any level. A reply prefix that overlaps a gate topic could make
 * a reply land on it, or under it.
 */
export function topicsOverlap(a: string, b: string): boolean {
  const x = a.split('/');
  const y = b.split('/');
  for (let i = 0; i < Math.min(x.length, y.length); i++) {
    if (x[i] === '#' || y[i] === '#') return true;
    if (x[i] !== y[i] && x[i] !== '+' && y[i] !== '+') return false;
  }
  return true;
}

/** A topic the gate receives on: a command or a list push by name, or why it is neither. */
export type InboundTopic = { kind: 'command' | 'list'; name: string } | { problem: string };

/** Reads a command or list topic of `siteId` under `prefix`; anything else is a problem, named. */
export function parseInboundTopic(prefix: string, siteId: string, topic: string): InboundTopic {
  const base = `${prefix}/${siteId}/`;
  if (!topic.startsWith(base)) return { problem: `topic is not under ${base}` };
  const levels = topic.slice(base.length).split('/');
  const kind = levels[0] === 'commands' ? 'command' : levels[0] === 'lists' ? 'list' : null;
  if (!kind) return { problem: `topic level after the site must be commands or lists, got "${levels[0]}"` };
  if (levels.length !== 2)
    return { problem: `expected ${base}${levels[0]}/NAME, got ${levels.length - 1} levels after ${levels[0]}` };
  if (!levels[1]) return { problem: `the ${kind} name (last topic level) is empty` };
  return { kind, name: levels[1] };
}

/** The site and lane of an events topic under `prefix`, or null for any other topic. */
export function parseEventsTopic(prefix: string, topic: string): { siteId: string; laneId: string } | null {
  if (!topic.startsWith(`${prefix}/`)) return null;
  const levels = topic.slice(prefix.length + 1).split('/');
  if (levels.length !== 3 || levels[2] !== 'events' || !levels[0] || !levels[1]) return null;
  return { siteId: levels[0], laneId: levels[1] };
}
