import { z } from 'zod';
import type { EventType, StoredEvent } from '../store/types.js';
import { gatePublicKeyFromText, type GatePublicKey } from '../evidence/gate-key.js';
import { commandRequestSchema, listPushSchema, replySchema } from './commands-contract.js';
import {
  EVENT_TYPES,
  gateKeySchema,
  healthSchema,
  laneStateSchema,
  postcheckSummarySchema,
  wholeNumber,
  wireEventSchema,
  yardStateSchema,
  type WireEvent,
} from './wire-schemas.js';
import {
  commandTopic,
  defaultReplyPrefix,
  defaultReplyTopic,
  eventsTopic,
  gateKeyTopic,
  healthTopic,
  laneStateTopic,
  listTopic,
  postcheckSummaryTopic,
  statusTopic,
  yardStateTopic,
} from '../domain/topics.js';

/**
 * The wire contract with central, written once as zod schemas: the uplink encodes with them,
 * `smartgate tail` validates with them, and docs/AsyncAPI are generated from them. Objects are
 * loose on purpose: a consumer of v1 must accept fields a later gate adds. The schemas of what
 * the gate publishes itself are in wire-schemas.ts.
 */

export {
  EVENT_TYPES,
  gateKeySchema,
  healthSchema,
  laneStateSchema,
  postcheckSummarySchema,
  postcheckTotalsSchema,
  wireEventSchema,
  yardStateSchema,
  type GateKeyMessage,
  type Health,
  type LaneState,
  type PostcheckSummaryMessage,
  type WireEvent,
  type YardStateMessage,
} from './wire-schemas.js';
import type { GateKeyMessage, Health, LaneState } from './wire-schemas.js';

// Fails to compile when the store's EventType and this list drift apart.
const sameTypes: [EventType, (typeof EVENT_TYPES)[number]] extends [(typeof EVENT_TYPES)[number], EventType]
  ? true
  : never = true;
void sameTypes;

export const STATUS_STATES = ['online', 'offline', 'stopped'] as const;
export type StatusState = (typeof STATUS_STATES)[number];

export const statusSchema = z
  .looseObject({
    state: z
      .enum(STATUS_STATES)
      .describe('online: connected; offline: the connection was lost (Last Will); stopped: shut down cleanly.'),
    bootId: z.string().min(1).describe('Id of the daemon process this status is about.'),
    version: z.string().min(1).describe('smartgate version of that process.'),
    ts: wholeNumber().describe(
      'When the gate composed the message, ms since the epoch; for offline, when the Will was registered (at connect).',
    ),
  })
  .describe('Availability of a gate, retained so a newcomer learns it at once.');

export type StatusMessage = z.infer<typeof statusSchema>;

/**
 * The MQTT 5 user properties of every request from central: its Ed25519 signature over tag,
 * topic and payload, and the id of the key (central-signature.ts, docs/mqtt.md#signatures).
 */
export const requestHeadersSchema = z
  .looseObject({
    sig: z
      .string()
      .describe(
        'Base64 Ed25519 signature of `smartgate-central-v1` LF topic LF payload bytes, by a key in mqtt.central.keys.',
      ),
    kid: z.string().describe('Id of the key that signed (mqtt.central.keys[].id).'),
  })
  .describe('MQTT 5 user properties.');

/** Where the gate answers a request without a responseTopic, under the default reply prefix. */
const defaultReply = (kind: 'command' | 'list') => (prefix: string, siteId: string, name: string) =>
  defaultReplyTopic(defaultReplyPrefix(prefix, siteId), kind, name);

/**
 * The topic → payload map: one entry per channel, with its direction and how it is published.
 * Requests from central are answered on the MQTT 5 responseTopic they carry (with their
 * correlationData) when it lies under the reply prefix, else on `reply.defaultTopic` (shown
 * under the default prefix); the reply schema is the same for both.
 */
export const channels = {
  events: {
    topic: eventsTopic,
    direction: 'gate-to-central',
    schema: wireEventSchema,
    qos: 1,
    retain: false,
    summary: "Events of one lane, in recording order, forwarded from the gate's outbox.",
  },
  status: {
    topic: statusTopic,
    direction: 'gate-to-central',
    schema: statusSchema,
    qos: 1,
    retain: true,
    summary: 'Availability of one gate: online on every connect, stopped on clean shutdown, offline as the Last Will.',
  },
  gateKey: {
    topic: gateKeyTopic,
    direction: 'gate-to-central',
    schema: gateKeySchema,
    // QoS 1: a refusal is answered (PUBACK 135) before Mosquitto closes the link, so a gate whose
    // broker ACL lacks the topic stops sending it (GateKeyPublisher) instead of losing every connection.
    qos: 1,
    retain: true,
    summary:
      "The gate's public key, which signs its evidence chain's checkpoints; retained, published on every connect.",
  },
  laneState: {
    topic: laneStateTopic,
    direction: 'gate-to-central',
    schema: laneStateSchema,
    // Latest-wins snapshots: QoS 0 leaves the QoS 1 send quota to events.
    qos: 0,
    retain: true,
    summary:
      "One lane's phase, holds and barrier, and its camera and reader counters, retained; replaced on changes and periodically while connected.",
  },
  health: {
    topic: healthTopic,
    direction: 'gate-to-central',
    schema: healthSchema,
    qos: 0,
    retain: true,
    summary: "The gate's uptime and outbox backlog, retained and replaced periodically while connected.",
  },
  yardState: {
    topic: yardStateTopic,
    direction: 'gate-to-central',
    schema: yardStateSchema,
    // QoS 0, like the lane state: a broker whose ACL does not yet allow the topic drops a refused
    // QoS 1 publish by closing the link (Mosquitto over TLS), which would stall the outbox; a lost
    // update is replaced at the next change or interval, and the yard events go through the outbox.
    qos: 0,
    retain: true,
    summary:
      "One yard's occupancy, vehicles inside (with their dwell), holds waiting for room and calls forward, retained; replaced on changes (at most once a second per yard), on every connect and periodically while connected.",
  },
  postcheckSummary: {
    topic: postcheckSummaryTopic,
    direction: 'gate-to-central',
    schema: postcheckSummarySchema,
    // QoS 0 retained, like the yard state: the flagged passages themselves go through the outbox
    // as `postcheck.flagged` events; a lost summary is replaced at the next passage or interval.
    qos: 0,
    retain: true,
    summary:
      "The post-check of fee declarations for the site's current local day: its totals and the latest flagged passages, retained; replaced a few seconds after a passage (at most one every 5 s), on every connect and periodically while connected. Only on a gate with a lane deciding on declarations.",
  },
  commands: {
    topic: commandTopic,
    direction: 'central-to-gate',
    schema: commandRequestSchema,
    headers: requestHeadersSchema,
    qos: 1,
    retain: false,
    reply: { schema: replySchema, defaultTopic: defaultReply('command'), qos: 1, retain: false },
    summary:
      'A command to the gate by name (ping, lists.status, outbox.status, lane.holds, hold.confirm, hold.refuse, barrier.open, yard.status, yard.call, yard.correct), signed by central; refused with a code when unsigned, malformed, expired or replayed.',
  },
  lists: {
    topic: listTopic,
    direction: 'central-to-gate',
    schema: listPushSchema,
    headers: requestHeadersSchema,
    qos: 1,
    retain: false,
    reply: { schema: replySchema, defaultTopic: defaultReply('list'), qos: 1, retain: false },
    summary:
      'A list (allow, deny, watch), full or as a delta from the version the gate has, signed by central; version-mismatch asks central for the full list.',
  },
} as const;

/** What the current process knows that the stored event does not: which boot it is, and the time. */
export interface PublishContext {
  bootId: string;
  monotonicNow: number;
}

/** The stored envelope as central receives it: without monoAt/hasCrop, with ageMs and the chain fields. */
export function toWireEvent(event: StoredEvent, now: PublishContext): WireEvent {
  // monoAt is meaningful only within the boot that recorded it.
  const ageMs = event.bootId === now.bootId ? Math.max(0, Math.round(now.monotonicNow - event.monoAt)) : null;
  return {
    eventId: event.eventId,
    bootId: event.bootId,
    seq: event.seq,
    siteId: event.siteId,
    laneId: event.laneId,
    type: event.type,
    ts: event.ts,
    ageMs,
    payload: event.payload,
    chain: event.chain && { ...event.chain },
  };
}

/** Problems of a payload that is not a valid event, one line each; empty when it is valid. */
export function parseWireEvent(raw: string | Buffer): { event: WireEvent } | { problems: string[] } {
  let json: unknown;
  try {
    json = JSON.parse(raw.toString());
  } catch (err) {
    return { problems: [`not JSON: ${(err as Error).message}`] };
  }
  const result = wireEventSchema.safeParse(json);
  if (result.success) return { event: result.data };
  return { problems: result.error.issues.map((i) => `${i.path.join('.') || '(payload)'}: ${i.message}`) };
}

/** The key topic's payload for a gate key (src/evidence/gate-key.ts: GatePublicKey). */
export function gateKeyMessage(key: { keyId: string; publicKeyText: string }, ts: number): GateKeyMessage {
  return { keyId: key.keyId, publicKey: key.publicKeyText, algorithm: 'Ed25519', ts };
}

/** A key topic's payload, with its key parsed and its id checked against the key. */
export function parseGateKeyMessage(raw: Buffer): GatePublicKey | { problems: string[] } {
  let json: unknown;
  try {
    json = JSON.parse(raw.toString());
  } catch (err) {
    return { problems: [`not JSON: ${(err as Error).message}`] };
  }
  const result = gateKeySchema.safeParse(json);
  if (!result.success)
    return { problems: result.error.issues.map((i) => `${i.path.join('.') || '(payload)'}: ${i.message}`) };
  let key: GatePublicKey;
  try {
    key = gatePublicKeyFromText(result.data.publicKey);
  } catch (err) {
    return { problems: [`publicKey: ${(err as Error).message}`] };
  }
  if (key.keyId !== result.data.keyId)
    return { problems: [`keyId: ${result.data.keyId} is not the id of publicKey (${key.keyId})`] };
  return key;
}

export function statusMessage(state: StatusState, bootId: string, version: string, ts: number): StatusMessage {
  return { state, bootId, version, ts };
}

/** What the gate knows of itself right now, in the wire shapes: its health and each lane's state. */
export interface GateSnapshot {
  health: Health;
  lanes: LaneState[];
}
