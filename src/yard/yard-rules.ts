import type { YardConfig } from '../config/yards.js';
import type { GateHoldReason } from '../lane/deciding/decision-reasons.js';
import type { YardBook } from './yard-book.js';

/**
 * The yard's rules as pure functions over its book (yard-book.ts): which class a vehicle takes a
 * place of, whether an entry lane may let it in, whether an exit lane may let it out, and which
 * overstay thresholds a visit has crossed. Table-tested in test/unit/yard-book.test.ts.
 */

export type Verdict = { reason: GateHoldReason; detail: string } | null;

/** The class whose places a vehicle takes: its allow entry's, if the yard has it, else the first whose plate kinds include its kind. */
export function vehicleClassOf(
  yard: Pick<YardConfig, 'classes'>,
  vehicle: { kind: string | null; vehicleClass: string | null },
): string | null {
  if (vehicle.vehicleClass && yard.classes.some((c) => c.id === vehicle.vehicleClass)) return vehicle.vehicleClass;
  if (vehicle.kind === null) return null;
  return yard.classes.find((c) => (c.plateKinds as readonly string[]).includes(vehicle.kind!))?.id ?? null;
}

/** An entry lane: an open goes on only when the yard has a place for the vehicle's class, counting the places promised. */
export function entryVerdict(
  yard: Pick<YardConfig, 'name' | 'capacity' | 'classes'>,
  book: YardBook,
  vehicleClass: string | null,
): Verdict {
  if (book.hasRoom(vehicleClass)) return null;
  const promised = book.reserved > 0 ? `, ${book.reserved} more on the way in` : '';
  if (book.full)
    return {
      reason: 'yard-full',
      detail: `${yard.name} is full (${book.occupancy} of ${yard.capacity} inside${promised})`,
    };
  const cls = yard.classes.find((c) => c.id === vehicleClass)!;
  return {
    reason: 'yard-full',
    detail: `${yard.name} has no ${cls.id} place free (${book.occupancyOf(cls.id)} of ${cls.capacity} ${cls.id} inside${promised})`,
  };
}

/**
 * An exit lane of a yard that lets out only vehicles called forward: an open goes on only for
 * the vehicle whose call is the oldest not yet used (the order called).
 */
export function exitVerdict(
  yard: Pick<YardConfig, 'name' | 'callForward'>,
  book: YardBook,
  vehicle: { plate: string; pairedPlate: string | null },
): Verdict {
  if (!yard.callForward.required) return null;
  const call = book.callFor(vehicle.plate, vehicle.pairedPlate);
  if (!call) return { reason: 'not-called', detail: `${vehicle.plate} was not called forward from ${yard.name}` };
  const next = book.nextCall();
  if (next && next.callId !== call.callId)
    return {
      reason: 'not-called',
      detail: `${vehicle.plate} was called forward, but ${next.plate} was called before it and has not left`,
    };
  return null;
}

/** How many of `thresholdsMinutes` (ascending) a dwell of `dwellMs` has reached. */
export function overstayLevel(thresholdsMinutes: readonly number[], dwellMs: number): number {
  let level = 0;
  while (level < thresholdsMinutes.length && dwellMs >= thresholdsMinutes[level]! * 60_000) level++;
  return level;
}
