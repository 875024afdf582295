import type { StoredEvent } from '../store/types.js';
import type { YardState } from '../yard/yard-state.js';

/**
 * The demo's lines about its yard, for a person: occupancy as it changes and why (who came in
 * or left, through which lane, after how long), overstays, and held vehicles let through by
 * the yard. Alarms (an exit without entry, a yard full too long) are printed as every alarm is.
 */

/** A yard's occupancy and who is inside, as the demo starts. */
export function formatYardState(state: YardState, now: number): string {
  const inside = state.vehicles.map(
    (v) => `${v.plate ?? 'a vehicle without a plate'} (for ${dwell(now - v.enteredAt)})`,
  );
  return `yard ${state.yardId}: ${occupancy(state.occupancy, state.capacity)}${inside.length ? ` — ${inside.join(', ')}` : ''}; overstay after ${state.overstayMinutes.map(minutes).join(', ')}`;
}

/** A yard event, or a lane's open that the yard caused; null for anything else. */
export function formatYardRecord(event: StoredEvent): string | null {
  const p = event.payload;
  const plate = typeof p.plate === 'string' ? p.plate : 'a vehicle without a plate';
  switch (event.type) {
    case 'yard.entered': {
      const how =
        p.how === 'correction'
          ? 'added by an operator'
          : `entered via ${event.laneId}${p.overCapacity ? ' (over capacity: let in by hand)' : ''}`;
      return `yard ${p.yardId as string}: ${occupancy(p.occupancy, p.capacity)} — ${plate} ${how}`;
    }
    case 'yard.left': {
      const read = typeof p.readPlate === 'string' && p.readPlate !== p.plate ? ` (read as ${p.readPlate})` : '';
      const how =
        p.how === 'lane'
          ? `left via ${event.laneId}${read}${p.flagged ? ', a look-alike plate: check it' : ''}`
          : p.how === 're-entered'
            ? 'entered again: its earlier visit ends'
            : 'marked as left by an operator';
      return `yard ${p.yardId as string}: ${occupancy(p.occupancy, p.capacity)} — ${plate} ${how} after ${dwell(p.dwellMs)}`;
    }
    case 'yard.overstay':
      return `yard ${p.yardId as string}: OVERSTAY ${plate} has been inside for ${dwell(p.dwellMs)} (over ${minutes(p.thresholdMinutes)})`;
    case 'yard.call':
      return `yard ${p.yardId as string}: ${plate} ${p.action === 'called' ? 'called forward' : `call ${p.action as string}`}`;
    case 'barrier.actuation':
      if (p.phase !== 'requested') return null;
      if (p.cause === 'yard-room') return `${plate} let in: a place in the yard freed up`;
      if (p.cause === 'yard-call') return `${plate} let out: called forward`;
      return null;
    default:
      return null;
  }
}

function occupancy(occupancy: unknown, capacity: unknown): string {
  const full = typeof occupancy === 'number' && typeof capacity === 'number' && occupancy >= capacity;
  return `${String(occupancy)}/${String(capacity)} inside${full ? ' (full)' : ''}`;
}

/** A dwell for a person: `14 s`, `3 min 5 s`, `2 h 7 min`. */
export function dwell(ms: unknown): string {
  const s = Math.max(0, Math.round(typeof ms === 'number' ? ms / 1000 : 0));
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min${s % 60 ? ` ${s % 60} s` : ''}`;
  const min = Math.floor((s % 3600) / 60);
  return `${Math.floor(s / 3600)} h${min ? ` ${min} min` : ''}`;
}

/** A threshold in minutes, in seconds when under one. */
function minutes(value: unknown): string {
  const m = typeof value === 'number' ? value : NaN;
  return m < 1 ? `${Math.round(m * 60)} s` : `${m} min`;
}
