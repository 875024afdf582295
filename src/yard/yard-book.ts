import { lookAlikeVariants } from '../plates/confusions.js';
import type { YardCallRecord, YardVisitRecord } from '../store/yard-records.js';

export type YardVisit = Omit<YardVisitRecord, 'yardId'>;
export type YardCall = Omit<YardCallRecord, 'yardId'>;

/** How a read plate was matched to a vehicle inside: its own plate, its paired plate, or one look-alike character away (flagged). */
export type PlateMatch = 'exact' | 'paired' | 'look-alike';

export interface YardCapacity {
  capacity: number;
  classes: readonly { id: string; capacity: number }[];
}

/**
 * One yard's bookkeeping in memory: the vehicles inside (by visit, by plate and paired plate),
 * the places promised to vehicles on their way in (reservations), and the calls forward, in
 * the order made. Every operation is constant time however many vehicles are inside; no I/O
 * and no clock, so the rules can be table-tested and the service (yard-service.ts) persists
 * what changes.
 */
export class YardBook {
  /** In order of entry: Map keeps insertion order, and visits are added oldest first. */
  private readonly visits = new Map<string, YardVisit>();
  /** Plate and paired plate → visit id. */
  private readonly byPlate = new Map<string, string>();
  /** Visits without a plate (a hand-opened passage), oldest first. */
  private readonly anonymous = new Set<string>();
  private readonly classCount = new Map<string, number>();
  /** Places promised, by the decision or hold they were promised to → its class. */
  private readonly reservations = new Map<string, string | null>();
  private readonly calls = new Map<string, YardCall>();
  private readonly callByPlate = new Map<string, string>();

  constructor(readonly limits: YardCapacity) {}

  get occupancy(): number {
    return this.visits.size;
  }

  get reserved(): number {
    return this.reservations.size;
  }

  occupancyOf(vehicleClass: string): number {
    return this.classCount.get(vehicleClass) ?? 0;
  }

  /** Whether one more vehicle of `vehicleClass` (null: in no class) fits, counting the places promised. */
  hasRoom(vehicleClass: string | null): boolean {
    if (this.visits.size + this.reservations.size >= this.limits.capacity) return false;
    const cls = vehicleClass === null ? undefined : this.limits.classes.find((c) => c.id === vehicleClass);
    if (!cls) return true;
    let promised = 0;
    // Reservations are few (one per lane at most, plus offered holds): counting them is cheap.
    for (const c of this.reservations.values()) if (c === vehicleClass) promised++;
    return this.occupancyOf(cls.id) + promised < cls.capacity;
  }

  /** Full for every vehicle: no place left at all, whatever its class. */
  get full(): boolean {
    return this.visits.size + this.reservations.size >= this.limits.capacity;
  }

  reserve(key: string, vehicleClass: string | null): void {
    this.reservations.set(key, vehicleClass);
  }

  /** Gives back a promised place; false when `key` held none. */
  release(key: string): boolean {
    return this.reservations.delete(key);
  }

  isReserved(key: string): boolean {
    return this.reservations.has(key);
  }

  enter(visit: YardVisit): void {
    this.visits.set(visit.visitId, visit);
    if (visit.plate === null) this.anonymous.add(visit.visitId);
    else {
      this.byPlate.set(visit.plate, visit.visitId);
      if (visit.pairedPlate) this.byPlate.set(visit.pairedPlate, visit.visitId);
    }
    if (visit.vehicleClass) this.classCount.set(visit.vehicleClass, this.occupancyOf(visit.vehicleClass) + 1);
  }

  /** Ends a visit; null when it is not inside. */
  leave(visitId: string): YardVisit | null {
    const visit = this.visits.get(visitId);
    if (!visit) return null;
    this.visits.delete(visitId);
    this.anonymous.delete(visitId);
    for (const plate of [visit.plate, visit.pairedPlate]) {
      if (plate && this.byPlate.get(plate) === visitId) this.byPlate.delete(plate);
    }
    if (visit.vehicleClass)
      this.classCount.set(visit.vehicleClass, Math.max(0, this.occupancyOf(visit.vehicleClass) - 1));
    return visit;
  }

  get(visitId: string): YardVisit | undefined {
    return this.visits.get(visitId);
  }

  /**
   * The vehicle inside that a read of `plate` (and `pairedPlate`, the other plate the lists
   * know for it) is: by either plate exactly, else one look-alike character away from exactly
   * one vehicle inside. Null `plate`: the oldest vehicle inside without a plate. Null when
   * nothing matches, or when look-alikes match two vehicles (it cannot tell which).
   */
  find(plate: string | null, pairedPlate: string | null = null): { visit: YardVisit; match: PlateMatch } | null {
    if (plate === null) {
      const first = this.anonymous.values().next();
      return first.done ? null : { visit: this.visits.get(first.value)!, match: 'exact' };
    }
    for (const candidate of [plate, pairedPlate]) {
      const id = candidate ? this.byPlate.get(candidate) : undefined;
      if (id === undefined) continue;
      const visit = this.visits.get(id)!;
      // Exact only when the plate read is the plate it entered with; any other way round is the pair.
      return { visit, match: visit.plate === plate ? 'exact' : 'paired' };
    }
    const near = new Set<string>();
    for (const variant of lookAlikeVariants(plate)) {
      const id = this.byPlate.get(variant);
      if (id !== undefined) near.add(id);
    }
    if (near.size !== 1) return null;
    return { visit: this.visits.get([...near][0]!)!, match: 'look-alike' };
  }

  /** The vehicles inside, oldest first (longest dwell first). */
  inside(): IterableIterator<YardVisit> {
    return this.visits.values();
  }

  call(call: YardCall): void {
    this.calls.set(call.callId, call);
    this.callByPlate.set(call.plate, call.callId);
  }

  /** Takes a call off the list (used, expired or cancelled); null when there is none. */
  endCall(callId: string): YardCall | null {
    const call = this.calls.get(callId);
    if (!call) return null;
    this.calls.delete(callId);
    if (this.callByPlate.get(call.plate) === callId) this.callByPlate.delete(call.plate);
    return call;
  }

  /** The call for either plate of a vehicle, if any. */
  callFor(plate: string | null, pairedPlate: string | null = null): YardCall | null {
    for (const p of [plate, pairedPlate]) {
      const id = p ? this.callByPlate.get(p) : undefined;
      if (id !== undefined) return this.calls.get(id)!;
    }
    return null;
  }

  /** The calls not yet used, in the order made. */
  openCalls(): IterableIterator<YardCall> {
    return this.calls.values();
  }

  /** The oldest call not yet used: the vehicle whose turn it is. */
  nextCall(): YardCall | null {
    const first = this.calls.values().next();
    return first.done ? null : first.value;
  }
}
