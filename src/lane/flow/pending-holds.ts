import type { StoredEvent } from '../../store/types.js';
import type { Hold } from './lane-state.js';

/** The event types that create or resolve a hold: what `pendingHolds` needs from the store. */
export const HOLD_EVENT_TYPES = ['decision', 'barrier.actuation', 'operator.action', 'vehicle'] as const;

/**
 * How far back a restart looks for pending holds. A vehicle held a day before the restart is not
 * waiting at the barrier any more, and reading a busy lane's whole history would slow start-up.
 */
export const HOLD_RESTORE_WINDOW_MS = 24 * 60 * 60_000;

/**
 * The holds one lane's recorded events leave unresolved, oldest first: what the lane was holding
 * for the operator when the daemon stopped, so a restart does not forget a vehicle at the barrier.
 *
 * A hold is created by a `hold` decision (its id is the decision's) or by a failed open (the
 * `barrier.actuation` result's id), exactly as the lane machine creates them; it is resolved by
 * any later event that names it in `holdId` — the operator's action, the open it caused, the
 * visit ending (`left`, `refused`). Only a request's first result counts (a late one, after the
 * lane stopped waiting, held nothing), and an open asked for by `smartgate barrier` held
 * nothing: no lane was running. `events`: the lane's events oldest first. Pure.
 */
export function pendingHolds(events: readonly StoredEvent[]): Hold[] {
  const holds = new Map<string, Hold>();
  /** Plate and display of each decision and open request seen, for a failed open's hold. */
  const vehicles = new Map<string, { plate: string | null; display: string | null; decisionId?: string }>();
  /** Decisions whose visit has ended: an open for them that fails afterwards is no hold. */
  const ended = new Set<string>();
  /** Requests answered already, and the CLI's, whose failures hold nothing. */
  const settled = new Set<string>();
  for (const e of events) {
    const p = e.payload;
    if (typeof p.holdId === 'string') holds.delete(p.holdId);
    if (e.type === 'vehicle' && typeof p.decisionId === 'string') ended.add(p.decisionId);
    if (e.type === 'decision') {
      const plate = decisionPlate(p.plate);
      vehicles.set(e.eventId, plate);
      if (p.action === 'hold') {
        holds.set(e.eventId, {
          holdId: e.eventId,
          ...plate,
          reason: text(p.reason),
          detail: text(p.detail),
          createdAt: e.ts,
        });
      }
    } else if (e.type === 'barrier.actuation' && p.phase === 'requested') {
      if (p.source === 'cli') settled.add(e.eventId);
      const decided = typeof p.decisionId === 'string' ? vehicles.get(p.decisionId) : undefined;
      const plate = typeof p.plate === 'string' ? p.plate : null;
      vehicles.set(e.eventId, {
        plate,
        display: decided?.display ?? plate,
        ...(typeof p.decisionId === 'string' && { decisionId: p.decisionId }),
      });
    } else if (e.type === 'barrier.actuation' && p.phase === 'result') {
      const requestId = typeof p.requestId === 'string' ? p.requestId : null;
      const first = requestId === null || !settled.has(requestId);
      if (requestId !== null) settled.add(requestId);
      if (p.ok !== false || !first) continue;
      const requested = requestId !== null ? vehicles.get(requestId) : undefined;
      // The vehicle passed before the open's failure came back (the open limit was never seen):
      // the lane was no longer opening, so it held nothing.
      if (requested?.decisionId !== undefined && ended.has(requested.decisionId)) continue;
      const error = typeof p.error === 'string' ? p.error : '';
      holds.set(e.eventId, {
        holdId: e.eventId,
        plate: requested?.plate ?? null,
        display: requested?.display ?? null,
        reason: 'barrier-not-opened',
        detail: `${text(p.outcome)}: ${error}`,
        createdAt: e.ts,
      });
    }
  }
  // In the order they were made: after a restart the oldest comes to the barrier first.
  return [...holds.values()];
}

function decisionPlate(plate: unknown): { plate: string | null; display: string | null } {
  if (plate === null || typeof plate !== 'object') return { plate: null, display: null };
  const { text: t, display } = plate as { text?: unknown; display?: unknown };
  const canonical = typeof t === 'string' ? t : null;
  return { plate: canonical, display: typeof display === 'string' ? display : canonical };
}

function text(value: unknown): string {
  return typeof value === 'string' ? value : '';
}
