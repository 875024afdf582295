import { z } from 'zod';
import type { EventType, StoredEvent } from '../store/types.js';
import { commandRequestSchema, listPushSchema, replySchema } from './commands-contract.js';
import { commandTopic, defaultReplyPrefix, defaultReplyTopic, eventsTopic, healthTopic, laneStateTopic, listTopic, statusTopic } from '../domain/topics.js';

/**
 * The wire contract with central, written once as zod schemas: the uplink encodes with them,
 * `smartgate tail` validates with them, and docs/AsyncAPI are generated from them. Objects are
 * loose on purpose: a consumer of v1 must accept fields a later gate adds.
 */

const EVENT_TYPES = ['plate.read', 'decision', 'barrier.actuation', 'alarm', 'operator.action', 'vehicle', 'command', 'list', 'auth'] as const;
// Fails to compile when the store's EventType and this list drift apart.
const sameTypes: [EventType, (typeof EVENT_TYPES)[number]] extends [(typeof EVENT_TYPES)[number], EventType] ? true : never = true;
void sameTypes;

const ULID = /^[0-9A-HJKMNP-TV-Z]{26}$/;
const wholeNumber = () => z.number().int().nonnegative();

export const wireEventSchema = z
  .looseObject({
    eventId: z.string().regex(ULID).describe('Unique id of the event (ULID: sortable by creation time). Consumers de-duplicate by it.'),
    bootId: z.string().min(1).describe('Id of the daemon process that recorded the event; new on every start of the gate software.'),
    seq: wholeNumber().describe('Per lane, +1 per event, persisted across restarts: a jump means events are missing.'),
    siteId: z.string().min(1).describe('The gate (config site.id).'),
    laneId: z.string().min(1).describe('The lane within the gate (config lanes[].id).'),
    type: z.enum(EVENT_TYPES).describe('What happened; decides the shape of `payload`.'),
    ts: wholeNumber().describe('Wall-clock time of recording at the gate, ms since the epoch (the gate\'s clock, NTP-synced).'),
    ageMs: wholeNumber()
      .nullable()
      .describe('How long (ms, monotonic) the event waited at the gate before this publish; null when it was recorded by an earlier boot.'),
    payload: z.record(z.string(), z.unknown()).describe('Body of the event, specific to `type`.'),
  })
  .describe('One gate event, published once per attempt at QoS 1 (at-least-once: de-duplicate by eventId).');

export type WireEvent = z.infer<typeof wireEventSchema>;

export const STATUS_STATES = ['online', 'offline', 'stopped'] as const;
export type StatusState = (typeof STATUS_STATES)[number];

export const statusSchema = z
  .looseObject({
    state: z.enum(STATUS_STATES).describe('online: connected; offline: the connection was lost (Last Will); stopped: shut down cleanly.'),
    bootId: z.string().min(1).describe('Id of the daemon process this status is about.'),
    version: z.string().min(1).describe('smartgate version of that process.'),
    ts: wholeNumber().describe('When the gate composed the message, ms since the epoch; for offline, when the Will was registered (at connect).'),
  })
  .describe('Availability of a gate, retained so a newcomer learns it at once.');

export type StatusMessage = z.infer<typeof statusSchema>;

const count = () => wholeNumber();

export const laneStateSchema = z
  .looseObject({
    laneId: z.string().min(1).describe('The lane (config lanes[].id).'),
    ts: wholeNumber().describe('When the gate took this snapshot, ms since the epoch.'),
    camera: z
      .looseObject({
        state: z.string().describe('starting, streaming, stalled, backoff, stopped or ended.'),
        fpsIn: z.number().nonnegative().describe('Frames per second arriving from the camera (last few seconds).'),
        fpsProcessed: z.number().nonnegative().describe('Frames per second taken by the recogniser.'),
        framesDropped: count().describe('Frames replaced by a newer one before they were read (since start).'),
        lastFrameAgeMs: wholeNumber().nullable().describe('Age of the newest frame; null before the first.'),
        restarts: count().describe('Camera (ffmpeg) restarts since start.'),
        lastError: z.string().nullable().describe("ffmpeg's last error line, credentials removed."),
      })
      .describe('The lane camera.'),
    reader: z
      .looseObject({
        framesProcessed: count(),
        framesSkippedNoMotion: count().describe('Frames not read because nothing moved in the region of interest.'),
        inferences: count(),
        lastInferenceMs: z.number().nonnegative().nullable().describe('Duration of the last find + read.'),
        platesEmitted: count().describe('Voted plate reads since start.'),
      })
      .describe('Plate reading on the lane.'),
    flow: z
      .looseObject({
        phase: z.string().describe('idle, present, held, denied, opening, open or passed (docs/lanes.md).'),
        phaseAgeMs: wholeNumber().describe('How long the lane has been in this phase.'),
        vehicle: z
          .looseObject({ plate: z.string().nullable(), display: z.string().nullable() })
          .nullable()
          .describe('The vehicle in hand; plate null when it is on the loop but not read yet.'),
        holds: z
          .array(
            z.looseObject({
              holdId: z.string().describe('Id of the event that created the hold; the holdId of hold.confirm / hold.refuse.'),
              plate: z.string().nullable(),
              display: z.string().nullable(),
              reason: z.string().describe('The decision reason (unknown-plate, lane-busy...) or barrier-not-opened.'),
              detail: z.string(),
              createdAt: wholeNumber(),
            }),
          )
          .describe('Vehicles waiting for the operator, oldest first.'),
        loop: z.boolean().nullable().describe('The loop detector: occupied or not; null when none is wired.'),
        storeError: z
          .string()
          .nullable()
          .optional()
          .describe("Why the lane's last write to the event store failed, while none has worked since: what the lane does meanwhile is not recorded (docs/lanes.md). Null when the store works."),
      })
      .describe('Where the lane is with the current vehicle.'),
    barrier: z
      .looseObject({
        driver: z.string().describe('lcus, modbus or simulator.'),
        state: z.enum(['closed', 'opening', 'open', 'unknown', 'fault']).describe('Only what the inputs say; unknown without inputs; fault with lastError.'),
        inputs: z
          .looseObject({ openLimit: z.boolean().optional(), closedLimit: z.boolean().optional(), loop: z.boolean().optional() })
          .nullable()
          .describe('The wired inputs as last read; null when none are wired or the port is down.'),
        lastError: z.string().nullable().describe('Why the barrier is in fault (serial error, no open limit...).'),
        portOpen: z.boolean().describe('Whether the serial port is open.'),
      })
      .nullable()
      .describe('The lane barrier; null when the lane has none (driver none).'),
  })
  .describe("A lane's latest state and counters, retained; replaced on every change of the lane or barrier and every mqtt.stateIntervalMs while connected.");

export type LaneState = z.infer<typeof laneStateSchema>;

export const healthSchema = z
  .looseObject({
    bootId: z.string().min(1).describe('Id of the daemon process.'),
    version: z.string().min(1).describe('smartgate version.'),
    ts: wholeNumber().describe('When the gate took this snapshot, ms since the epoch.'),
    uptimeMs: wholeNumber().describe('Since the daemon started.'),
    outboxPending: count().describe('Events recorded but not yet acknowledged by the broker.'),
    store: z
      .looseObject({
        usedBytes: wholeNumber().nullable().describe('Database and frame files on disk at the last retention run; null before the first.'),
        quotaBytes: wholeNumber().describe('The disk quota (config store.quotaMb).'),
        quotaExceeded: z.boolean().describe('Over quota with nothing deletable left: only undelivered events remain.'),
      })
      .describe('Disk use of the event store, from the last retention run.'),
    lanes: z.array(z.string()).describe('Lane ids of the gate; each has a state topic.'),
  })
  .describe("The gate's latest health, retained; replaced every mqtt.stateIntervalMs while connected.");

export type Health = z.infer<typeof healthSchema>;

/**
 * The MQTT 5 user properties of every request from central: its Ed25519 signature over tag,
 * topic and payload, and the id of the key (central-signature.ts, docs/mqtt.md#signatures).
 */
export const requestHeadersSchema = z
  .looseObject({
    sig: z.string().describe('Base64 Ed25519 signature of `smartgate-central-v1` LF topic LF payload bytes, by a key in mqtt.central.keys.'),
    kid: z.string().describe('Id of the key that signed (mqtt.central.keys[].id).'),
  })
  .describe('MQTT 5 user properties.');

/** Where the gate answers a request without a responseTopic, under the default reply prefix. */
const defaultReply = (kind: 'command' | 'list') => (prefix: string, siteId: string, name: string) => defaultReplyTopic(defaultReplyPrefix(prefix, siteId), kind, name);

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
    summary: 'Events of one lane, in recording order, forwarded from the gate\'s outbox.',
  },
  status: {
    topic: statusTopic,
    direction: 'gate-to-central',
    schema: statusSchema,
    qos: 1,
    retain: true,
    summary: 'Availability of one gate: online on every connect, stopped on clean shutdown, offline as the Last Will.',
  },
  laneState: {
    topic: laneStateTopic,
    direction: 'gate-to-central',
    schema: laneStateSchema,
    // Latest-wins snapshots: QoS 0 leaves the QoS 1 send quota to events.
    qos: 0,
    retain: true,
    summary: "One lane's phase, holds and barrier, and its camera and reader counters, retained; replaced on changes and periodically while connected.",
  },
  health: {
    topic: healthTopic,
    direction: 'gate-to-central',
    schema: healthSchema,
    qos: 0,
    retain: true,
    summary: "The gate's uptime and outbox backlog, retained and replaced periodically while connected.",
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
      'A command to the gate by name (ping, lists.status, outbox.status, lane.holds, hold.confirm, hold.refuse, barrier.open), signed by central; refused with a code when unsigned, malformed, expired or replayed.',
  },
  lists: {
    topic: listTopic,
    direction: 'central-to-gate',
    schema: listPushSchema,
    headers: requestHeadersSchema,
    qos: 1,
    retain: false,
    reply: { schema: replySchema, defaultTopic: defaultReply('list'), qos: 1, retain: false },
    summary: 'A list (allow, deny, watch), full or as a delta from the version the gate has, signed by central; version-mismatch asks central for the full list.',
  },
} as const;

/** What the current process knows that the stored event does not: which boot it is, and the time. */
export interface PublishContext {
  bootId: string;
  monotonicNow: number;
}

/** The stored envelope as central receives it: without monoAt/hasCrop, with ageMs. */
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

export function statusMessage(state: StatusState, bootId: string, version: string, ts: number): StatusMessage {
  return { state, bootId, version, ts };
}

/** What the gate knows of itself right now, in the wire shapes: its health and each lane's state. */
export interface GateSnapshot {
  health: Health;
  lanes: LaneState[];
}
