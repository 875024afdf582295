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

/** Subscription to the events of every lane of one site, or of every site. */
export function eventsFilter(prefix: string, siteId?: string): string {
  return `${prefix}/${siteId ?? '+'}/+/events`;
}

/** Subscription to the status of one site, or of every site. */
export function statusFilter(prefix: string, siteId?: string): string {
  return `${prefix}/${siteId ?? '+'}/status`;
}

/** Reserved for a later issue (central → gate commands); nothing subscribes yet. */
export function commandsTopic(prefix: string, siteId: string): string {
  return `${prefix}/${siteId}/commands`;
}

/** The site and lane of an events topic under `prefix`, or null for any other topic. */
export function parseEventsTopic(prefix: string, topic: string): { siteId: string; laneId: string } | null {
  if (!topic.startsWith(`${prefix}/`)) return null;
  const levels = topic.slice(prefix.length + 1).split('/');
  if (levels.length !== 3 || levels[2] !== 'events' || !levels[0] || !levels[1]) return null;
  return { siteId: levels[0], laneId: levels[1] };
}
