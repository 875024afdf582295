import type { YardConfig } from '../config/yards.js';
import type { Hold } from '../lane/flow/lane-state.js';
import type { YardBook } from './yard-book.js';
import { overstayLevel } from './yard-rules.js';

/**
 * A yard as central (retained on `{prefix}/{site}/yards/{yardId}/state`), the `yard.status`
 * command and the page see it. A type, not an interface: it goes on the wire as is.
 */
export type YardState = {
  yardId: string;
  name: string;
  /** Wall time of this state, ms since the epoch. */
  ts: number;
  capacity: number;
  occupancy: number;
  /** Places promised to vehicles being let in (opened for, or offered to the operator). */
  reserved: number;
  /** No place left: occupancy and promised places reach the capacity. */
  full: boolean;
  /** Since when (wall time) the yard has been full; null when it is not. */
  fullSince: number | null;
  classes: { id: string; capacity: number; occupancy: number }[];
  overstayMinutes: number[];
  /** Inside now, longest dwell first. */
  vehicles: {
    visitId: string;
    plate: string | null;
    display: string | null;
    pairedPlate: string | null;
    vehicleClass: string | null;
    enteredAt: number;
    dwellMs: number;
    entryLaneId: string;
    /** Overstay thresholds reached (0: none). */
    overstay: number;
    called: boolean;
  }[];
  /** Vehicles held `yard-full` at the entry lanes, oldest first; `offered`: a place is kept for it, the operator may let it in. */
  holds: {
    laneId: string;
    holdId: string;
    plate: string | null;
    display: string | null;
    createdAt: number;
    offered: boolean;
  }[];
  /** Vehicles called forward, in the order called. */
  calls: { callId: string; plate: string; calledAt: number; expiresAt: number; calledBy: string }[];
};

/** Builds the state from the book and the entry lanes' pending holds. Pure. */
export function yardState(
  yard: YardConfig,
  book: YardBook,
  extra: {
    now: number;
    fullSince: number | null;
    holds: readonly { laneId: string; hold: Hold }[];
    offered: ReadonlySet<string>;
  },
): YardState {
  const { now } = extra;
  const vehicles = [...book.inside()]
    .map((v) => ({
      visitId: v.visitId,
      plate: v.plate,
      display: v.display,
      pairedPlate: v.pairedPlate,
      vehicleClass: v.vehicleClass,
      enteredAt: v.enteredAt,
      dwellMs: Math.max(0, now - v.enteredAt),
      entryLaneId: v.entryLaneId,
      overstay: overstayLevel(yard.overstayMinutes, now - v.enteredAt),
      called: book.callFor(v.plate, v.pairedPlate) !== null,
    }))
    // Already oldest first unless a hand correction added a vehicle with an earlier entry time.
    .sort((a, b) => a.enteredAt - b.enteredAt);
  return {
    yardId: yard.id,
    name: yard.name,
    ts: now,
    capacity: yard.capacity,
    occupancy: book.occupancy,
    reserved: book.reserved,
    full: book.full,
    fullSince: extra.fullSince,
    classes: yard.classes.map((c) => ({ id: c.id, capacity: c.capacity, occupancy: book.occupancyOf(c.id) })),
    overstayMinutes: [...yard.overstayMinutes],
    vehicles,
    holds: [...extra.holds]
      .sort((a, b) => a.hold.createdAt - b.hold.createdAt)
      .map(({ laneId, hold }) => ({
        laneId,
        holdId: hold.holdId,
        plate: hold.plate,
        display: hold.display,
        createdAt: hold.createdAt,
        offered: extra.offered.has(hold.holdId),
      })),
    calls: [...book.openCalls()].map((c) => ({
      callId: c.callId,
      plate: c.plate,
      calledAt: c.calledAt,
      expiresAt: c.expiresAt,
      calledBy: c.calledBy,
    })),
  };
}
