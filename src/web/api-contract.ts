import { z } from 'zod';
import { DECLARATION_MODES } from '../domain/declarations.js';
import { DECISION_ACTIONS } from '../domain/decisions.js';
import {
  EVENT_TYPES,
  healthSchema,
  laneStateSchema,
  postcheckTotalsSchema,
  wholeNumber,
  wireEventSchema,
  yardStateSchema,
} from '../uplink/wire-schemas.js';

/**
 * The JSON of the status page's API (docs/web.md), written once as zod schemas. The handlers
 * build their answers as these types (z.infer), and the page's scripts are type-checked against
 * the same types (JSDoc `import('../../api-contract.js')`, tsconfig.page.json): a change on one
 * side that the other does not follow fails `npm run typecheck`. Nothing here parses the
 * server's own answers at run time; a unit test parses the real handlers' output with these
 * schemas, so they cannot drift from what is sent (test/integration/web-api-contract.test.ts).
 *
 * Imports nothing but zod, src/domain and the MQTT schemas of wire-schemas.ts: the page is checked for the
 * browser, without Node's types. Lane state and health are the MQTT contract's own schemas.
 */

export const ROLES = ['viewer', 'operator', 'admin'] as const;
export type Role = (typeof ROLES)[number];

// ---- errors -------------------------------------------------------------------------------

/** Every `code` of an error answer (docs/web.md, HTTP contract). */
export const API_ERROR_CODES = [
  'invalid',
  'unauthenticated',
  'bad-credentials',
  'no-users',
  'csrf',
  'forbidden',
  'not-found',
  'method-not-allowed',
  'conflict',
  'too-large',
  'unsupported-media-type',
  'rate-limited',
  'internal',
  'busy',
  'store-failed',
] as const;
export type ApiErrorCode = (typeof API_ERROR_CODES)[number];

/** Any answer other than success. */
export const errorResponseSchema = z.object({
  error: z.object({ code: z.enum(API_ERROR_CODES), message: z.string() }),
});
export type ErrorResponse = z.infer<typeof errorResponseSchema>;

// ---- session --------------------------------------------------------------------------------

export const userSchema = z.object({ username: z.string().min(1), role: z.enum(ROLES) });
export type ApiUser = z.infer<typeof userSchema>;

/** POST /api/login's body. */
export const loginRequestSchema = z.object({
  username: z.string().trim().min(1).max(64),
  // Capped so a huge "password" cannot make scrypt's input costly.
  password: z.string().min(1).max(1024),
});
export type LoginRequest = z.input<typeof loginRequestSchema>;

/** POST /api/login and GET /api/session. */
export const sessionResponseSchema = z.object({ user: userSchema, csrfToken: z.string().min(1) });
export type SessionResponse = z.infer<typeof sessionResponseSchema>;

// ---- lanes and operator actions -------------------------------------------------------------

const { flow, barrier, camera, reader } = laneStateSchema.shape;

/** One lane of GET /api/lanes: its name and direction with the MQTT lane state's parts (null before its first state). */
export const laneViewSchema = z.object({
  laneId: z.string().min(1),
  name: z.string(),
  direction: z.string(),
  /** How the lane treats fee declarations (decisions.declarations); the page shows the post-check when one is not `off`. */
  declarations: z.enum(DECLARATION_MODES),
  flow: flow.nullable(),
  barrier,
  camera: camera.nullable(),
  reader: reader.nullable(),
});
export type LaneView = z.infer<typeof laneViewSchema>;
export type LaneFlow = z.infer<typeof flow>;
export type LaneBarrier = z.infer<typeof barrier>;
export type LaneCamera = z.infer<typeof camera>;
export type Hold = LaneFlow['holds'][number];

export const lanesResponseSchema = z.object({ lanes: z.array(laneViewSchema) });
export type LanesResponse = z.infer<typeof lanesResponseSchema>;

/** The body of POST .../holds/:holdId/confirm, .../refuse and .../open. */
export const operatorActionRequestSchema = z.object({
  reason: z.string().trim().min(3, 'at least 3 characters').max(500),
});
export type OperatorActionRequest = z.input<typeof operatorActionRequestSchema>;

/** Their answer: the `operator.action` event recorded. */
export const operatorActionResponseSchema = z.object({ eventId: z.string().min(1) });
export type OperatorActionResponse = z.infer<typeof operatorActionResponseSchema>;

// ---- yards ----------------------------------------------------------------------------------

/**
 * One yard of GET /api/yards: the state central gets on MQTT (wire-schemas.ts, from
 * src/yard/yard-state.ts's YardState), one schema for both. GET /api/events/{visitId}/crop is a
 * vehicle's entry crop (its `yard.entered` event).
 */
export const yardViewSchema = yardStateSchema;
export type YardView = z.infer<typeof yardViewSchema>;

/** GET /api/yards: empty when the gate has no yards. */
export const yardsResponseSchema = z.object({ yards: z.array(yardViewSchema) });
export type YardsResponse = z.infer<typeof yardsResponseSchema>;

const reasonSchema = operatorActionRequestSchema.shape.reason;
/** A plate as the operator types it (`29C-123.45`, `云A·12345`); the server keeps letters and digits. */
const typedPlateSchema = z.string().trim().min(2, 'at least 2 characters').max(32);

/** POST /api/yards/:yardId/calls: call a vehicle forward to the crossing. */
export const yardCallRequestSchema = z.object({ plate: typedPlateSchema, reason: reasonSchema });
export type YardCallRequest = z.input<typeof yardCallRequestSchema>;

/** POST /api/yards/:yardId/corrections: a vehicle marked as left, or one that came in unseen added. */
export const yardCorrectionRequestSchema = z.discriminatedUnion('action', [
  z.object({ action: z.literal('mark-left'), visitId: z.string().min(1).max(64), reason: reasonSchema }),
  z.object({
    action: z.literal('add'),
    plate: typedPlateSchema,
    /** A cross-border truck's plate of the other country. */
    pairedPlate: typedPlateSchema.optional(),
    vehicleClass: z.string().min(1).max(64).optional(),
    /** Wall time it came in, epoch ms; default now. */
    enteredAt: z.number().int().nonnegative().optional(),
    reason: reasonSchema,
  }),
]);
export type YardCorrectionRequest = z.input<typeof yardCorrectionRequestSchema>;

// ---- post-check ------------------------------------------------------------------------------

const postcheckFlagSchema = z.object({
  /** undeclared, declaration-used, class-mismatch, country-mismatch (src/domain/declarations.ts). */
  kind: z.string(),
  detail: z.string(),
});

/**
 * A passage of the post-check and where its evidence is, by event id: `passageId` the `vehicle`
 * event, `decisionId` the decision (GET /api/events/{decisionId}/frame: its annotated frame),
 * `flagEventId` the `postcheck.flagged` event (GET /api/events/{flagEventId}/crop: the plate).
 */
export const postcheckPassageSchema = z.object({
  passageId: z.string().min(1),
  decisionId: z.string().nullable(),
  flagEventId: z.string().nullable(),
  laneId: z.string().min(1),
  plate: z.string().nullable(),
  passedAt: wholeNumber(),
  declarationId: z.string().nullable(),
  flags: z.array(postcheckFlagSchema),
  confidence: z.number().nullable(),
  votes: wholeNumber().nullable(),
});
export type PostcheckPassage = z.infer<typeof postcheckPassageSchema>;

/** GET /api/postcheck?day=: one local day's post-check (src/postcheck/reconcile.ts's Reconciliation). */
export const postcheckResponseSchema = z.object({
  /** The site's local date, YYYY-MM-DD, in `timeZone` (site.timeZone). */
  day: z.string(),
  timeZone: z.string(),
  /** The day's instants, [from, to). */
  from: wholeNumber(),
  to: wholeNumber(),
  totals: postcheckTotalsSchema,
  declared: z.array(postcheckPassageSchema),
  undeclared: z.array(postcheckPassageSchema),
  mismatches: z.array(postcheckPassageSchema),
  /** Every flagged passage of the day, oldest first. */
  flagged: z.array(postcheckPassageSchema),
  /** Declarations a passage of the day used beyond what they cover, with every passage on them. */
  usedTwice: z.array(
    z.object({
      declarationId: z.string(),
      plate: z.string().nullable(),
      passages: z.array(z.object({ passageId: z.string(), passedAt: wholeNumber(), laneId: z.string() })),
    }),
  ),
  /** Declarations whose validity ends in the day, unused. */
  expiredUnused: z.array(
    z.object({
      declarationId: z.string(),
      plate: z.string(),
      vehicleClass: z.string(),
      validUntil: wholeNumber(),
      amount: z.number(),
      currency: z.string(),
      feeRef: z.string(),
    }),
  ),
});
export type PostcheckResponse = z.infer<typeof postcheckResponseSchema>;

// ---- events ---------------------------------------------------------------------------------

const wire = wireEventSchema.shape;

/** An event of GET /api/events (and the stream's `record`): the wire envelope's parts, with the page's flags. */
export const apiEventSchema = z.object({
  eventId: wire.eventId,
  laneId: wire.laneId,
  seq: wire.seq,
  type: wire.type,
  ts: wire.ts,
  payload: wire.payload,
  hasCrop: z.boolean(),
  /** An evidence frame is kept (a decision's). */
  hasFrame: z.boolean(),
  /** Central has acknowledged it. */
  delivered: z.boolean(),
});
export type ApiEvent = z.infer<typeof apiEventSchema>;
export type EventType = (typeof EVENT_TYPES)[number];

export const eventsResponseSchema = z.object({ events: z.array(apiEventSchema), next: z.string().nullable() });
export type EventsResponse = z.infer<typeof eventsResponseSchema>;

/** GET /api/events/:eventId: the event and the other events of the same vehicle, oldest first. */
export const eventDetailResponseSchema = z.object({ event: apiEventSchema, related: z.array(apiEventSchema) });
export type EventDetailResponse = z.infer<typeof eventDetailResponseSchema>;

// ---- event payloads, as the page reads them -------------------------------------------------

/*
 * The server keeps payloads as records (src/lane writes them, docs/lanes.md); these are the
 * fields the page reads, per event type. Objects strip what they do not name, so a field the
 * page does not read may change freely; the unit test parses recorded payloads with them.
 */

const nearMissSchema = z.object({ plate: z.string(), distance: z.number(), list: z.string() });

/** A voted read as `smartgate run` logs it (src/lane/format-read.ts); the stream's `read.read`. */
export const plateReadSchema = z.object({
  lane: z.string(),
  text: z.string(),
  display: z.string(),
  valid: z.boolean(),
  country: z.string().nullable(),
  kind: z.string().nullable(),
  layout: z.string(),
  /** Only for a read no grammar accepted. */
  raw: z.string().optional(),
  reason: z.string().optional(),
  confidence: z.number(),
  votes: wholeNumber(),
  reads: wholeNumber(),
  trigger: z.string(),
  box: z.array(z.number()),
  /** ISO 8601. */
  frameAt: z.string(),
  cropBytes: wholeNumber(),
  /** Canonical texts of the vehicle's other plates. */
  otherPlates: z.array(z.string()).optional(),
});
export type PlateRead = z.infer<typeof plateReadSchema>;

const decisionPlateSchema = z.object({
  text: z.string(),
  display: z.string(),
  country: z.string().nullable(),
  kind: z.string().nullable(),
  valid: z.boolean(),
});

export const eventPayloadSchemas = {
  'plate.read': plateReadSchema.omit({ lane: true, cropBytes: true }),
  decision: z.object({
    action: z.enum(DECISION_ACTIONS),
    reason: z.string(),
    alarm: z.boolean(),
    detail: z.string(),
    plate: decisionPlateSchema,
    confidence: z.number(),
    otherPlates: z.array(z.string()).optional(),
    nearMiss: z.array(nearMissSchema).optional(),
  }),
  'barrier.actuation': z.discriminatedUnion('phase', [
    z.object({
      phase: z.literal('requested'),
      cause: z.string(),
      holdId: z.string().nullable(),
      decisionId: z.string().nullable(),
    }),
    z.object({
      phase: z.literal('result'),
      requestId: z.string(),
      ok: z.boolean(),
      /** opened, sent, no-barrier, or why it failed. */
      outcome: z.string(),
      durationMs: z.number(),
      error: z.string().optional(),
    }),
  ]),
  /** A lane's alarm has a detail and a plate; the store's quota alarm (lane `gate`) its figures. */
  alarm: z.object({ alarm: z.string(), detail: z.string().optional() }),
  /** A lane's (on a hold, or a manual open), or a yard's correction (lane `gate`). */
  'operator.action': z.discriminatedUnion('action', [
    z.object({
      action: z.enum(['confirm', 'refuse', 'manual-open']),
      holdReason: z.string().nullable(),
      operator: z.string(),
      reason: z.string(),
      source: z.string(),
    }),
    z.object({
      action: z.enum(['yard.mark-left', 'yard.add']),
      yardId: z.string(),
      plate: z.string().nullable(),
      operator: z.string(),
      reason: z.string(),
      source: z.string(),
    }),
  ]),
  vehicle: z.object({ outcome: z.string(), decisionId: z.string().nullable(), durationMs: z.number() }),
  /** `how`: `lane` (a passage), `correction` (an operator added it). */
  'yard.entered': z.object({
    yardId: z.string(),
    plate: z.string().nullable(),
    display: z.string().nullable(),
    vehicleClass: z.string().nullable(),
    enteredAt: z.number(),
    occupancy: wholeNumber(),
    capacity: wholeNumber(),
    how: z.string(),
    /** Let in by hand with no place free. */
    overCapacity: z.boolean().optional(),
  }),
  /** `how`: `lane`, `correction` (marked left), `re-entered` (seen entering again); `match` how the exit's read matched it. */
  'yard.left': z.object({
    yardId: z.string(),
    visitId: z.string(),
    plate: z.string().nullable(),
    display: z.string().nullable(),
    dwellMs: z.number(),
    occupancy: wholeNumber(),
    capacity: wholeNumber(),
    how: z.string(),
    match: z.string().optional(),
  }),
  'yard.overstay': z.object({
    yardId: z.string(),
    visitId: z.string(),
    plate: z.string().nullable(),
    display: z.string().nullable(),
    dwellMs: z.number(),
    thresholdMinutes: z.number(),
    level: wholeNumber(),
  }),
  /** A call forward made (`called`, by an operator or central), withdrawn (`cancelled`) or run out (`expired`). */
  'yard.call': z.object({
    yardId: z.string(),
    action: z.enum(['called', 'cancelled', 'expired']),
    plate: z.string(),
    expiresAt: z.number().optional(),
    operator: z.string().optional(),
    reason: z.string().optional(),
    source: z.string().optional(),
  }),
  /**
   * A passage flagged for the post-check (src/postcheck): `passageId` its `vehicle` event,
   * `decisionId` the decision it passed on (null: opened by hand); the event's crop is the plate.
   */
  'postcheck.flagged': z.object({
    passageId: z.string(),
    decisionId: z.string().nullable(),
    plate: z.string().nullable(),
    passedAt: z.number(),
    day: z.string(),
    status: z.string(),
    declarationId: z.string().nullable(),
    flags: z.array(postcheckFlagSchema),
    confidence: z.number().nullable(),
    votes: z.number().nullable(),
  }),
};

export type EventPayloads = { [T in keyof typeof eventPayloadSchemas]: z.infer<(typeof eventPayloadSchemas)[T]> };
export type PayloadOf<T extends EventType> = T extends keyof EventPayloads ? EventPayloads[T] : Record<string, unknown>;

/** An ApiEvent as the page reads it: `type` tells the payload's shape. */
export type PageEvent = {
  [T in EventType]: Omit<ApiEvent, 'type' | 'payload'> & { type: T; payload: PayloadOf<T> };
}[EventType];

// ---- health -----------------------------------------------------------------------------------

/** GET /api/health and the stream's `health`. */
export const healthResponseSchema = z.object({
  site: z.object({ id: z.string().min(1), name: z.string() }),
  health: healthSchema,
  link: z.object({
    configured: z.boolean(),
    connected: z.boolean(),
    outboxPending: wholeNumber(),
    /** Null when no event waits for central. */
    oldestPendingAgeMs: z.number().nonnegative().nullable(),
  }),
  lists: z.array(
    z.object({
      name: z.string(),
      /** Null: never received (then ageMs is null and stale is true). */
      version: z.number().int().nullable(),
      entries: wholeNumber(),
      ageMs: z.number().nonnegative().nullable(),
      stale: z.boolean(),
    }),
  ),
  lanes: z.array(
    z.object({ laneId: z.string().min(1), camera, barrier, inferenceMs: z.number().nonnegative().nullable() }),
  ),
});
export type HealthResponse = z.infer<typeof healthResponseSchema>;

/** GET /healthz (no login): 200 ok, or 503 with what is wrong. */
export const healthzResponseSchema = z.discriminatedUnion('status', [
  z.object({ status: z.literal('ok') }),
  z.object({ status: z.literal('degraded'), problems: z.array(z.string()) }),
]);
export type HealthzResponse = z.infer<typeof healthzResponseSchema>;

// ---- the live stream (GET /api/stream) --------------------------------------------------------

/** A list entry as central sent it (src/lane/list-entries.ts): an allow entry, or a deny or watch entry. */
const listEntrySchema = z.object({
  key: z.string(),
  validFrom: z.number().optional(),
  validUntil: z.number().optional(),
  reason: z.string().optional(),
  source: z.string().optional(),
  lanes: z.array(z.string()).optional(),
  direction: z.string().optional(),
  pairedPlate: z.string().optional(),
});

/** A fee declaration as the lane decided on it (src/lane/deciding/list-entries.ts). */
const streamDeclarationSchema = z.object({
  id: z.string(),
  plate: z.string(),
  pairedPlate: z.string().optional(),
  vehicleClass: z.string(),
  countries: z.array(z.string()).optional(),
  validFrom: z.number(),
  validUntil: z.number(),
  passages: z.string(),
  amount: z.number(),
  currency: z.string(),
  feeRef: z.string(),
  declaredAt: z.number(),
});

/** The decision of the stream's `read`, as the lane made it (src/lane/deciding/decide.ts). */
export const streamDecisionSchema = z.object({
  action: z.enum(DECISION_ACTIONS),
  reason: z.string(),
  alarm: z.boolean(),
  detail: z.string(),
  /** The entry that decided (deny, watch), or the plate's allow entry. */
  matched: z.object({ list: z.string(), entry: listEntrySchema }).optional(),
  /** On a lane deciding on fee declarations: the declaration the passage uses, or the used-up one it tried. */
  declaration: streamDeclarationSchema.optional(),
  /** What the post-check will flag the passage for, if it passes. */
  postcheck: z.array(postcheckFlagSchema).optional(),
  hints: z.object({ nearMiss: z.array(nearMissSchema).optional() }),
  /** The version of each list decided from; null: never received. */
  listVersions: z.record(z.string(), z.number().int().nullable()),
  staleLists: z.array(z.string()),
});

/** Each server-sent event's `data`, by its `event:` name. */
export const streamMessageSchemas = {
  /** A lane's phase, holds or barrier changed. */
  lane: z.object({ laneId: z.string().min(1), state: z.object({ flow, barrier }) }),
  /** A vehicle was read and decided; `eventId` is the recorded `decision` event. */
  read: z.object({
    laneId: z.string().min(1),
    eventId: z.string().min(1),
    read: plateReadSchema,
    decision: streamDecisionSchema,
  }),
  /** Any event the lanes recorded. */
  record: z.object({ laneId: z.string().min(1), event: apiEventSchema }),
  /** A yard's occupancy, vehicles, holds or calls changed (at most one a second per yard): GET /api/yards again. */
  yard: z.object({ yardId: z.string().min(1) }),
  /** A passage was added to the post-check of `day` (the site's local date): GET /api/postcheck?day= again. */
  postcheck: z.object({ day: z.string() }),
  health: healthResponseSchema,
};
export type StreamMessages = { [K in keyof typeof streamMessageSchemas]: z.infer<(typeof streamMessageSchemas)[K]> };
export type StreamEventName = keyof StreamMessages;
