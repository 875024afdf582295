import { echo } from './inbound-outcome.js';
import { topicMatches } from '../domain/topics.js';

/** Where the gate may answer central: under one prefix, never on a topic of its own. */
export interface ReplyPolicy {
  /** mqtt.central.replyPrefix (or its default); replies go strictly below it. */
  prefix: string;
  /** The gate's own topics and filters (gateOwnTopics, lanes as `+`): never replied on. */
  ownTopics: readonly string[];
}

/** The topic a reply goes to, why the requested one was refused, or none at all. */
export type ReplyRoute = { topic: string } | { refused: string } | { none: true };

/**
 * Chooses the reply topic of a request: its MQTT 5 responseTopic when that lies under the reply
 * prefix, is a plain topic name (no wildcards) and is none of the gate's own topics; else no
 * reply, and why. A request without a responseTopic (or an empty one) is answered on `fallback`,
 * or not at all when there is none (a request on a wrong topic).
 */
export function replyRoute(
  policy: ReplyPolicy,
  responseTopic: string | undefined,
  fallback: string | null,
): ReplyRoute {
  if (!responseTopic) return fallback === null ? { none: true } : { topic: fallback };
  const shown = echo(responseTopic);
  if (/[+#]/.test(responseTopic)) return { refused: `responseTopic ${shown} has a wildcard; no reply sent` };
  if (!responseTopic.startsWith(`${policy.prefix}/`) || responseTopic.length === policy.prefix.length + 1) {
    return { refused: `responseTopic ${shown} is not under the reply prefix ${policy.prefix}/; no reply sent` };
  }
  const own = policy.ownTopics.find((filter) => topicMatches(filter, responseTopic));
  if (own) return { refused: `responseTopic ${shown} is a topic of the gate's own (${own}); no reply sent` };
  return { topic: responseTopic };
}
