import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import type { ListedEvent } from '../store/event-store.js';
import { EVENT_QUERY_MAX_LIMIT } from '../store/event-store.js';
import type { StoredEvent } from '../store/types.js';
import type { ApiEvent, EventDetailResponse, EventsResponse } from './api-contract.js';
import type { GateView } from './gate-view.js';
import { HttpError, parseOrInvalid, sendBytes, sendJson, type Router } from './router.js';
import { DECISION_ACTIONS } from '../domain/decisions.js';
import { EVENT_TYPES } from '../domain/events.js';

const epochMs = z.coerce.number().int().nonnegative();
const eventQuery = z.object({
  lane: z.string().min(1).optional(),
  type: z.enum(EVENT_TYPES).optional(),
  plate: z.string().max(32).optional(),
  action: z.enum(DECISION_ACTIONS).optional(),
  from: epochMs.optional(),
  to: epochMs.optional(),
  before: z.string().min(1).max(64).optional(),
  limit: z.coerce.number().int().min(1).max(EVENT_QUERY_MAX_LIMIT).optional(),
});

type EventFrames = NonNullable<GateView['eventFrames']>;

/**
 * An event as GET /api/events and the `record` stream message show it. `hasFrame` is looked
 * up only when `frames` is given (the stream's events are new: their frames come later).
 */
export function apiEvent(event: StoredEvent | ListedEvent, frames?: Pick<EventFrames, 'get'>): ApiEvent {
  const { eventId, laneId, seq, type, ts, payload, hasCrop } = event;
  const hasFrame = frames?.get(eventId) !== undefined;
  return {
    eventId,
    laneId,
    seq,
    type,
    ts,
    payload,
    hasCrop,
    hasFrame,
    delivered: 'delivered' in event ? event.delivered : false,
  };
}

/** Plates are stored canonical (upper case, no separators): `29c-123.4` searches `29C1234`. */
export function canonicalPlateQuery(text: string): string {
  return text.toUpperCase().replace(/[^\p{L}\p{N}]/gu, '');
}

/** GET /api/events, /api/events/:eventId, its crop and its evidence frame. */
export function eventRoutes(router: Router, gate: Pick<GateView, 'events' | 'eventFrames'>): void {
  const asApiEvent = (event: StoredEvent | ListedEvent) => apiEvent(event, gate.eventFrames);

  router.get('/api/events', 'viewer', ({ url, res }) => {
    // Empty parameters (`?lane=`) mean "any", as a form sends them.
    const raw = Object.fromEntries([...url.searchParams].filter(([, v]) => v !== ''));
    const q = parseOrInvalid(eventQuery, raw, 'query');
    const page = gate.events.query({
      ...(q.lane !== undefined && { laneId: q.lane }),
      ...(q.type !== undefined && { type: q.type }),
      ...(q.plate !== undefined && { plate: canonicalPlateQuery(q.plate) }),
      ...(q.action !== undefined && { action: q.action }),
      ...(q.from !== undefined && { from: q.from }),
      ...(q.to !== undefined && { to: q.to }),
      ...(q.before !== undefined && { before: q.before }),
      ...(q.limit !== undefined && { limit: q.limit }),
    });
    sendJson(res, 200, { events: page.events.map(asApiEvent), next: page.next } satisfies EventsResponse);
  });

  router.get('/api/events/:eventId', 'viewer', ({ params, res }) => {
    const event = gate.events.listed(params.eventId!);
    if (!event) throw new HttpError(404, 'not-found', `no event ${params.eventId}`);
    sendJson(res, 200, {
      event: asApiEvent(event),
      related: gate.events.related(event.eventId).map(asApiEvent),
    } satisfies EventDetailResponse);
  });

  router.get('/api/events/:eventId/crop', 'viewer', ({ params, res }) => {
    const crop = gate.events.getCrop(params.eventId!);
    if (!crop) throw new HttpError(404, 'not-found', `no crop for event ${params.eventId}`);
    sendBytes(res, 200, 'image/jpeg', crop);
  });

  router.get('/api/events/:eventId/frame', 'viewer', async ({ params, res }) => {
    const jpeg = gate.eventFrames && (await readEvidenceFrame(gate.eventFrames, params.eventId!));
    if (!jpeg) throw new HttpError(404, 'not-found', `no frame for event ${params.eventId}`);
    sendBytes(res, 200, 'image/jpeg', jpeg);
  });
}

/** The frame file's bytes; null when the event has none, or its file is not there (still being written: the row comes first; or lost in a crash). */
async function readEvidenceFrame(frames: EventFrames, eventId: string): Promise<Buffer | null> {
  const record = frames.get(eventId);
  if (!record) return null;
  try {
    return await readFile(frames.absolutePath(record));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
}
