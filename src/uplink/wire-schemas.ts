import { z } from 'zod';
import { EVENT_TYPES } from '../domain/events.js';

export { EVENT_TYPES };

/**
 * The schemas of what the gate itself publishes (events, a lane's state, health), part of the
 * wire contract (contract.ts, which re-exports them). They import nothing but zod and
 * src/domain: the status page's API types are built on them (src/web/api-contract.ts) and are
 * type-checked for the browser, where Node's types do not exist (tsconfig.page.json).
 */

const ULID = /^[0-9A-HJKMNP-TV-Z]{26}$/;
export const wholeNumber = () => z.number().int().nonnegative();

const SHA256_HEX = /^[0-9a-f]{64}$/;
const sha256Hex = () => z.string().regex(SHA256_HEX);

/** The chain fields of an event (src/evidence/chain.ts: ChainFields). */
export const chainFieldsSchema = z
  .looseObject({
    v: z.literal(1).describe('Version of the chain rules.'),
    payloadHash: sha256Hex().describe("SHA-256 (lowercase hex) of the payload's canonical JSON (docs/evidence.md)."),
    cropHash: sha256Hex().nullable().describe("SHA-256 of the plate crop's JPEG bytes; null when the event has none."),
    prevHash: sha256Hex()
      .nullable()
      .describe("The chain hash of the lane's previous event; null for the lane's first chained event."),
    chainHash: sha256Hex().describe(
      'SHA-256 of the canonical JSON of {v, eventId, bootId, seq, laneId, type, ts, payloadHash, cropHash, prevHash}.',
    ),
  })
  .describe('A link of the evidence chain.');

export const wireEventSchema = z
  .looseObject({
    eventId: z
      .string()
      .regex(ULID)
      .describe('Unique id of the event (ULID: sortable by creation time). Consumers de-duplicate by it.'),
    bootId: z
      .string()
      .min(1)
      .describe(
        'Id of the gate process that recorded the event: the daemon, new on every start of the gate software, or a `smartgate user` command (its auth events).',
      ),
    seq: wholeNumber().describe('Per lane, +1 per event, persisted across restarts: a jump means events are missing.'),
    siteId: z.string().min(1).describe('The gate (config site.id).'),
    laneId: z.string().min(1).describe('The lane within the gate (config lanes[].id).'),
    type: z
      .enum(EVENT_TYPES)
      .describe(
        'What happened; decides the shape of `payload` (docs/mqtt.md#events; the yard.* events and yard alarms: docs/mqtt.md#yard-events; postcheck.flagged: docs/mqtt.md#post-check).',
      ),
    ts: wholeNumber().describe(
      "Wall-clock time of recording at the gate, ms since the epoch (the gate's clock, NTP-synced).",
    ),
    ageMs: wholeNumber()
      .nullable()
      .describe(
        'How long (ms, monotonic) the event waited at the gate before this publish; null when it was recorded by an earlier boot.',
      ),
    payload: z.record(z.string(), z.unknown()).describe('Body of the event, specific to `type`.'),
    chain: chainFieldsSchema
      .nullable()
      .optional()
      .describe(
        "The event's link in its lane's evidence chain (docs/evidence.md); null for events recorded by a version before the chain.",
      ),
  })
  .describe('One gate event, published once per attempt at QoS 1 (at-least-once: de-duplicate by eventId).');

export type WireEvent = z.infer<typeof wireEventSchema>;

export const gateKeySchema = z
  .looseObject({
    keyId: z
      .string()
      .regex(/^[0-9a-f]{16}$/)
      .describe(
        "Id of the key: the first 16 hex digits of the SHA-256 of its DER; the `keyId` of the gate's checkpoints.",
      ),
    publicKey: z
      .string()
      .min(1)
      .describe('The Ed25519 public key, one line of base64 SPKI DER (as `smartgate key show` prints it).'),
    algorithm: z.literal('Ed25519').describe('Signature algorithm of the key.'),
    ts: wholeNumber().describe('When the gate composed the message, ms since the epoch.'),
  })
  .describe(
    "The public key the gate signs its evidence chain's checkpoints with (docs/evidence.md). Compare it with the key given out of band (`smartgate key show` at the gate): the broker account that publishes it could publish another.",
  );

export type GateKeyMessage = z.infer<typeof gateKeySchema>;

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
              holdId: z
                .string()
                .describe('Id of the event that created the hold; the holdId of hold.confirm / hold.refuse.'),
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
          .describe(
            "Why the lane's last write to the event store failed, while none has worked since: what the lane does meanwhile is not recorded (docs/lanes.md). Null when the store works.",
          ),
      })
      .describe('Where the lane is with the current vehicle.'),
    barrier: z
      .looseObject({
        driver: z.string().describe('lcus, modbus or simulator.'),
        state: z
          .enum(['closed', 'opening', 'open', 'unknown', 'fault'])
          .describe('Only what the inputs say; unknown without inputs; fault with lastError.'),
        inputs: z
          .looseObject({
            openLimit: z.boolean().optional(),
            closedLimit: z.boolean().optional(),
            loop: z.boolean().optional(),
          })
          .nullable()
          .describe('The wired inputs as last read; null when none are wired or the port is down.'),
        lastError: z.string().nullable().describe('Why the barrier is in fault (serial error, no open limit...).'),
        portOpen: z.boolean().describe('Whether the serial port is open.'),
      })
      .nullable()
      .describe('The lane barrier; null when the lane has none (driver none).'),
  })
  .describe(
    "A lane's latest state and counters, retained; replaced on every change of the lane or barrier and every mqtt.stateIntervalMs while connected.",
  );

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
        usedBytes: wholeNumber()
          .nullable()
          .describe('Database and frame files on disk at the last retention run; null before the first.'),
        quotaBytes: wholeNumber().describe('The disk quota (config store.quotaMb).'),
        quotaExceeded: z.boolean().describe('Over quota with nothing deletable left: only undelivered events remain.'),
      })
      .describe('Disk use of the event store, from the last retention run.'),
    lanes: z.array(z.string()).describe('Lane ids of the gate; each has a state topic.'),
  })
  .describe("The gate's latest health, retained; replaced every mqtt.stateIntervalMs while connected.");

export type Health = z.infer<typeof healthSchema>;

const yardVehicleSchema = z.looseObject({
  visitId: z.string().min(1).describe('Id of the `yard.entered` event that began the visit.'),
  plate: z.string().nullable().describe('Canonical plate text; null for a vehicle that entered unread.'),
  display: z.string().nullable().describe('The plate as written on it (29C-123.45).'),
  pairedPlate: z.string().nullable().describe("The tractor's or trailer's plate from its allow entry, if any."),
  vehicleClass: z.string().nullable().describe('The yard class it counts against (yards[].classes); null: none.'),
  enteredAt: wholeNumber().describe('When it entered, ms since the epoch.'),
  dwellMs: wholeNumber().describe('How long it has been inside, as of `ts`.'),
  entryLaneId: z.string().min(1).describe('The lane it entered by; `gate` when an operator added it (yard.correct).'),
  overstay: wholeNumber().describe('Overstay thresholds (yards[].overstayMinutes) reached; 0: none.'),
  called: z.boolean().describe('Called forward (yard.call) and not yet gone.'),
});

export const yardStateSchema = z
  .looseObject({
    yardId: z.string().min(1).describe('The yard (config yards[].id).'),
    name: z.string().describe('Its name (config yards[].name).'),
    ts: wholeNumber().describe('When the gate took this state, ms since the epoch.'),
    capacity: count().describe('Places in the yard, all classes together.'),
    occupancy: count().describe('Vehicles inside.'),
    reserved: count().describe('Places promised to vehicles being let in (opened for, or offered to the operator).'),
    full: z.boolean().describe('No place left: occupancy and promised places reach the capacity.'),
    fullSince: wholeNumber().nullable().describe('Since when the yard has been full; null when it is not.'),
    classes: z
      .array(z.looseObject({ id: z.string(), capacity: count(), occupancy: count() }))
      .describe('Places and occupancy per vehicle class (yards[].classes).'),
    overstayMinutes: z.array(z.number().positive()).describe('The overstay thresholds, ascending.'),
    vehicles: z.array(yardVehicleSchema).describe('Vehicles inside, longest dwell first.'),
    holds: z
      .array(
        z.looseObject({
          laneId: z.string().min(1),
          holdId: z.string().min(1).describe('The hold (as in the lane state); what hold.confirm takes.'),
          plate: z.string().nullable(),
          display: z.string().nullable(),
          createdAt: wholeNumber(),
          offered: z.boolean().describe('A place is kept for it (whenRoom: offer): the operator may let it in.'),
        }),
      )
      .describe('Vehicles held yard-full at the entry lanes, oldest first.'),
    calls: z
      .array(
        z.looseObject({
          callId: z.string().min(1).describe('Id of the `yard.call` event that called it.'),
          plate: z.string().min(1),
          calledAt: wholeNumber(),
          expiresAt: wholeNumber(),
          calledBy: z.string().describe('The operator who called it.'),
        }),
      )
      .describe('Vehicles called forward and not yet gone, in the order called.'),
  })
  .describe(
    "One yard's occupancy, vehicles inside and vehicles waiting for room, retained; replaced within a second of a change (at most one a second), on every connect and every mqtt.stateIntervalMs while connected.",
  );

export type YardStateMessage = z.infer<typeof yardStateSchema>;

/** A day's post-check totals, as the summary on MQTT and the page's reconciliation give them. */
export const postcheckTotalsSchema = z.looseObject({
  passages: count().describe('Vehicles that passed a lane deciding on fee declarations.'),
  declared: count().describe('Passages on a valid fee declaration.'),
  undeclared: count().describe('Passages without one (or on one used up).'),
  flagged: count().describe('Passages flagged for the check afterwards (undeclared, declaration used up, mismatch).'),
  mismatches: count().describe("Passages whose declaration does not fit the vehicle's class or country."),
  declarationsUsedTwice: count().describe('Declarations for one passage that a passage of the day used again.'),
  expiredUnused: count().describe(
    'Declarations whose validity ends in the day that no passage used (so far, for today).',
  ),
});

export const postcheckSummarySchema = z
  .looseObject({
    day: z
      .string()
      .regex(/^\d{4}-\d{2}-\d{2}$/)
      .describe("The site's local date the summary is of (site.timeZone), YYYY-MM-DD: today at the gate."),
    timeZone: z.string().min(1).describe('The IANA time zone the day is counted in (site.timeZone).'),
    from: wholeNumber().describe('The first instant of the day, ms since the epoch.'),
    to: wholeNumber().describe("The first instant of the next day, ms since the epoch (the day's end, exclusive)."),
    ts: wholeNumber().describe('When the gate composed the summary, ms since the epoch.'),
    totals: postcheckTotalsSchema,
    flagged: z
      .array(
        z.looseObject({
          passageId: z.string().min(1).describe("The passage's `vehicle` event."),
          flagEventId: z
            .string()
            .nullable()
            .describe('Its `postcheck.flagged` event (with the evidence); null if it could not be recorded.'),
          laneId: z.string().min(1),
          plate: z.string().nullable().describe('Canonical plate text; null when the vehicle passed unread.'),
          passedAt: wholeNumber().describe('When it passed, ms since the epoch.'),
          declarationId: z.string().nullable().describe('The declaration it passed on, or the used-up one it tried.'),
          flags: z
            .array(z.string())
            .describe('What it was flagged for: undeclared, declaration-used, class-mismatch, country-mismatch.'),
        }),
      )
      .describe(
        'The latest flagged passages of the day, newest first, at most 100 (`totals.flagged` counts them all); the full list and its evidence are in `smartgate reconcile` and on the page.',
      ),
  })
  .describe(
    "The post-check of fee declarations for the site's current day, retained; replaced within a few seconds of a passage (at most one every 5 s), on every connect and every mqtt.stateIntervalMs while connected.",
  );

export type PostcheckSummaryMessage = z.infer<typeof postcheckSummarySchema>;
