import type { EventBus } from '../core/bus.js';
import type { Clock } from '../core/clock.js';
import { errorMessage } from '../core/error-message.js';
import type { Logger } from '../core/log.js';
import type { YardConfig } from '../config/yards.js';
import { GATE_LANE_ID } from '../domain/lanes.js';
import type { LaneEvents } from '../lane/events.js';
import type { EventType, StoredEvent, TransactionalSink } from '../store/types.js';
import type { YardRecords } from '../store/yard-records.js';
import type { YardBook, YardCall, YardVisit } from './yard-book.js';
import type { YardCounters } from './yard-counters.js';

/** A correction or call the store could not record: nothing of it was done. */
export class YardStoreError extends Error {
  override readonly name = 'YardStoreError';
  constructor(cause: unknown) {
    super(`the event store could not record it, so nothing was done: ${errorMessage(cause)}`, { cause });
  }
}

/** What the recorder reads of a yard: its config, its book (occupancy, calls) and its counters. */
export interface RecordedYard {
  config: YardConfig;
  book: YardBook;
  counters: YardCounters;
}

/**
 * Writes what happens in the yards: each event with the `yard_visits` / `yard_calls` row it
 * changes, in one transaction, and announced on the bus (as the lanes' records are) once it is
 * committed. Requests (an operator's, central's) are refused whole when the store fails;
 * what happened on the road is logged as not recorded, since it happened anyway.
 */
export class YardRecorder {
  constructor(
    private readonly ctx: { bus: EventBus<LaneEvents>; log: Logger; clock: Clock },
    private readonly deps: { sink: TransactionalSink; records: YardRecords },
  ) {}

  /** A visit begins: its `yard.entered` event and its `yard_visits` row. */
  entered(
    yard: RecordedYard,
    laneId: string,
    v: {
      plate: string | null;
      display: string | null;
      pairedPlate: string | null;
      vehicleClass: string | null;
      decisionId: string | null;
      enteredAt: number;
      crop?: Buffer | undefined;
      extra: Record<string, unknown>;
    },
  ): YardVisit {
    const event = this.deps.sink.append({
      type: 'yard.entered',
      laneId,
      payload: {
        yardId: yard.config.id,
        plate: v.plate,
        display: v.display,
        pairedPlate: v.pairedPlate,
        vehicleClass: v.vehicleClass,
        decisionId: v.decisionId,
        enteredAt: v.enteredAt,
        occupancy: yard.book.occupancy + 1,
        capacity: yard.config.capacity,
        ...v.extra,
      },
      ...(v.crop ? { crop: v.crop } : {}),
    });
    this.announce(laneId, event);
    const visit: YardVisit = {
      visitId: event.eventId,
      plate: v.plate,
      display: v.display,
      pairedPlate: v.pairedPlate,
      vehicleClass: v.vehicleClass,
      enteredAt: v.enteredAt,
      entryLaneId: laneId,
      decisionId: v.decisionId,
      overstayLevel: 0,
    };
    this.deps.records.addVisit({ ...visit, yardId: yard.config.id });
    return visit;
  }

  /** A visit ends: its `yard.left` event, its row gone, and the call it used. */
  left(yard: RecordedYard, visit: YardVisit, laneId: string, extra: Record<string, unknown>): StoredEvent {
    const now = this.ctx.clock.now();
    const call = yard.book.callFor(visit.plate, visit.pairedPlate);
    const event = this.record('yard.left', laneId, {
      yardId: yard.config.id,
      visitId: visit.visitId,
      plate: visit.plate,
      display: visit.display,
      pairedPlate: visit.pairedPlate,
      vehicleClass: visit.vehicleClass,
      entryLaneId: visit.entryLaneId,
      enteredAt: visit.enteredAt,
      dwellMs: Math.max(0, now - visit.enteredAt),
      occupancy: Math.max(0, yard.book.occupancy - 1),
      capacity: yard.config.capacity,
      ...(call ? { callId: call.callId } : {}),
      ...extra,
    });
    this.deps.records.endVisit(visit.visitId);
    if (call) this.deps.records.endCall(call.callId);
    return event;
  }

  /** A call ends unused (cancelled or expired); the book forgets it once that commits. */
  callEnded(
    yard: RecordedYard,
    call: YardCall,
    action: 'cancelled' | 'expired',
    extra: Record<string, unknown>,
  ): StoredEvent {
    const event = this.record('yard.call', GATE_LANE_ID, {
      yardId: yard.config.id,
      action,
      callId: call.callId,
      plate: call.plate,
      calledAt: call.calledAt,
      ...extra,
    });
    this.deps.records.endCall(call.callId);
    this.deps.sink.afterCommit(() => yard.book.endCall(call.callId));
    return event;
  }

  /** A yard alarm, counted and logged once it is recorded. */
  alarm(
    yard: RecordedYard,
    alarm: string,
    laneId: string,
    detail: string,
    extra: Record<string, unknown>,
  ): StoredEvent {
    const event = this.record('alarm', laneId, { alarm, detail, ...extra });
    this.deps.sink.afterCommit(() => {
      yard.counters.alarms++;
      this.ctx.log.warn({ alarm, lane: laneId, detail }, 'yard alarm');
    });
    return event;
  }

  record(type: EventType, laneId: string, payload: Record<string, unknown>): StoredEvent {
    const event = this.deps.sink.append({ type, laneId, payload });
    this.announce(laneId, event);
    return event;
  }

  /** The page's event stream and the gate's log hear of yard events as of the lanes' (once committed). */
  private announce(laneId: string, event: StoredEvent): void {
    this.deps.sink.afterCommit(() => this.ctx.bus.emit('lane.recorded', { laneId, event }));
  }

  /** An operator's or central's request: recorded in one transaction, or refused whole (YardStoreError). */
  requested(fn: () => StoredEvent): StoredEvent {
    try {
      return this.deps.sink.transaction(fn);
    } catch (err) {
      throw new YardStoreError(err);
    }
  }

  /** Something that happened on the road: recorded in one transaction, or logged as not recorded (it happened anyway). */
  automatic(what: string, fn: () => void): void {
    try {
      this.deps.sink.transaction(fn);
    } catch (err) {
      this.ctx.log.error(
        { err: errorMessage(err), what, recorded: false },
        'yard: the event store failed; not recorded',
      );
    }
  }
}
