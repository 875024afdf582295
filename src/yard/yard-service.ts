import type { EventBus } from '../core/bus.js';
import type { Clock, Timer } from '../core/clock.js';
import type { Logger } from '../core/log.js';
import type { Service } from '../core/service.js';
import type { YardConfig } from '../config/yards.js';
import { GATE_LANE_ID } from '../domain/lanes.js';
import type { GuardedVehicle, PassageGuard } from '../lane/deciding/decider.js';
import { otherPlateOf } from '../lane/deciding/list-entries.js';
import type { LaneEvents } from '../lane/events.js';
import type { LaneSnapshot } from '../lane/flow/lane-snapshot.js';
import type { Hold } from '../lane/flow/lane-state.js';
import { parsePlate } from '../plates/parse.js';
import type { YardRecords } from '../store/yard-records.js';
import type { StoredEvent, TransactionalSink } from '../store/types.js';
import { YardBook, type YardVisit } from './yard-book.js';
import type { YardEvents } from './events.js';
import { entryVerdict, exitVerdict, overstayLevel, vehicleClassOf, type Verdict } from './yard-rules.js';
import { yardState, type YardState } from './yard-state.js';
import { DWELL_BUCKETS_S, YardCounters } from './yard-counters.js';
import { YardRecorder } from './yard-recorder.js';

export { YardStoreError } from './yard-recorder.js';

/** What the yard needs of a lane (the LaneController): its holds, and letting a held vehicle through. */
export interface YardLane {
  readonly laneId: string;
  snapshot(): Pick<LaneSnapshot, 'phase' | 'holds'>;
  releaseHold(holdId: string, cause: 'yard-room' | 'yard-call'): boolean;
}

/** Who asked for a correction or a call, and why: recorded with it. */
export interface YardRequest {
  operator: string;
  reason: string;
  source: 'central' | 'page' | 'cli';
  commandId?: string;
}

/** `invalid`: a field the yard cannot take (the message names it); the others: what the yard's state does not allow now. */
export type YardRefusalCode =
  'no-such-yard' | 'not-inside' | 'already-inside' | 'no-such-call' | 'already-called' | 'invalid';
export type YardResult = { ok: true; event: StoredEvent } | { ok: false; code: YardRefusalCode; message: string };

/** What the decision said about a vehicle, kept until its passage (bounded: most end within minutes). */
interface Candidate {
  plate: string;
  display: string;
  pairedPlate: string | null;
  vehicleClass: string | null;
  crop: Buffer | undefined;
}
const MAX_CANDIDATES = 1000;
/** How often overstays, expired calls and a yard full for too long are looked for. */
export const YARD_TICK_MS = 5000;

interface Yard {
  config: YardConfig;
  book: YardBook;
  /** Holds offered a place (`whenRoom: offer`): the place is kept until the hold ends. */
  offered: Set<string>;
  /** Wall time the yard became full, and whether that spell has been alarmed. */
  fullSince: number | null;
  fullAlarmed: boolean;
  counters: YardCounters;
}

/**
 * The gate's yards: starts a visit when a vehicle passes an entry lane and ends it when it
 * passes an exit lane, keeps occupancy and dwell (persisted with each event in YardRecords, so
 * a restart finds them), holds entries when the yard is full and lets the oldest held vehicle in
 * when a place frees, lets out only called vehicles where that is asked for, alarms overstays,
 * exits without entries and a yard full too long, and takes operators' corrections. Every
 * change is recorded as an event before the yard acts on it.
 */
export class YardService implements Service, PassageGuard {
  readonly name = 'yards';
  private readonly yards = new Map<string, Yard>();
  private readonly entryYard = new Map<string, Yard>();
  private readonly exitYard = new Map<string, Yard>();
  private readonly candidates = new Map<string, Candidate>();
  private readonly recorder: YardRecorder;
  private timer: Timer | null = null;
  /** A release's own lane.state must not start another release inside it. */
  private releasing = false;

  constructor(
    private readonly ctx: { bus: EventBus<LaneEvents & YardEvents>; log: Logger; clock: Clock },
    private readonly deps: { sink: TransactionalSink; records: YardRecords; lanes: () => readonly YardLane[] },
    configs: readonly YardConfig[],
  ) {
    this.recorder = new YardRecorder(ctx, deps);
    for (const config of configs) {
      const yard: Yard = {
        config,
        book: new YardBook(config),
        offered: new Set(),
        fullSince: null,
        fullAlarmed: false,
        counters: new YardCounters(),
      };
      this.yards.set(config.id, yard);
      for (const lane of config.entryLanes) this.entryYard.set(lane, yard);
      for (const lane of config.exitLanes) this.exitYard.set(lane, yard);
    }
  }

  async start(): Promise<void> {
    for (const yard of this.yards.values()) {
      for (const visit of this.deps.records.openVisits(yard.config.id)) yard.book.enter(visit);
      for (const call of this.deps.records.openCalls(yard.config.id)) yard.book.call(call);
      this.noteFullness(yard);
      this.ctx.log.info({ yard: yard.config.id, occupancy: yard.book.occupancy }, 'yard restored');
    }
    this.ctx.bus.on(this, 'lane.decision', (e) => this.onDecision(e));
    this.ctx.bus.on(this, 'lane.recorded', (e) => this.onRecorded(e.laneId, e.event));
    this.ctx.bus.on(this, 'lane.state', (e) => this.onLaneState(e.laneId));
    for (const yard of this.yards.values()) this.letInWhenRoom(yard);
    this.tick();
  }

  async stop(): Promise<void> {
    this.ctx.bus.removeAll(this);
    if (this.timer) this.ctx.clock.clearTimeout(this.timer);
    this.timer = null;
  }

  yardIds(): string[] {
    return [...this.yards.keys()];
  }

  /** PassageGuard: an `allowed` open at one of a yard's lanes goes on only if the yard agrees. */
  check(laneId: string, vehicle: GuardedVehicle): Verdict {
    const entry = this.entryYard.get(laneId);
    if (entry) {
      const verdict = entryVerdict(entry.config, entry.book, vehicleClassOf(entry.config, vehicle));
      if (verdict) return verdict;
    }
    const exit = this.exitYard.get(laneId);
    if (exit) return exitVerdict(exit.config, exit.book, vehicle);
    return null;
  }

  state(yardId: string): YardState | null {
    const yard = this.yards.get(yardId);
    if (!yard) return null;
    const holds = this.heldForRoom(yard);
    return yardState(yard.config, yard.book, {
      now: this.ctx.clock.now(),
      fullSince: yard.fullSince,
      holds,
      offered: yard.offered,
    });
  }

  states(): YardState[] {
    return this.yardIds().map((id) => this.state(id)!);
  }

  /** Calls a vehicle forward to the crossing: recorded as a `yard.call` event, expiring after callForward.expiresMinutes. */
  call(yardId: string, plate: string, request: YardRequest): YardResult {
    const yard = this.yards.get(yardId);
    if (!yard) return this.noSuchYard(yardId);
    const existing = yard.book.callFor(plate);
    if (existing)
      return {
        ok: false,
        code: 'already-called',
        message: `${plate} was already called forward (call ${existing.callId})`,
      };
    const now = this.ctx.clock.now();
    const expiresAt = now + yard.config.callForward.expiresMinutes * 60_000;
    const inside = yard.book.find(plate) !== null;
    const event = this.recorder.requested(() => {
      const e = this.recorder.record('yard.call', GATE_LANE_ID, {
        yardId,
        action: 'called',
        plate,
        expiresAt,
        inside,
        ...audit(request),
      });
      this.deps.records.addCall({
        callId: e.eventId,
        yardId,
        plate,
        calledAt: e.ts,
        expiresAt,
        calledBy: request.operator,
      });
      // Inside a command's transaction, the book follows only once that commits.
      this.deps.sink.afterCommit(() => {
        yard.book.call({ callId: e.eventId, plate, calledAt: e.ts, expiresAt, calledBy: request.operator });
        this.changed(yard);
        this.letOutCalled(yard);
      });
      return e;
    });
    return { ok: true, event };
  }

  /** Withdraws a call not yet used. */
  cancelCall(yardId: string, plate: string, request: YardRequest): YardResult {
    const yard = this.yards.get(yardId);
    if (!yard) return this.noSuchYard(yardId);
    const call = yard.book.callFor(plate);
    if (!call) return { ok: false, code: 'no-such-call', message: `${plate} has no call forward in ${yardId}` };
    const event = this.recorder.requested(() => {
      const e = this.recorder.callEnded(yard, call, 'cancelled', audit(request));
      this.deps.sink.afterCommit(() => {
        this.changed(yard);
        this.letOutCalled(yard);
      });
      return e;
    });
    return { ok: true, event };
  }

  /**
   * An operator's correction: a vehicle inside marked as left (by visit id or plate), recorded
   * as `operator.action` and the `yard.left` it causes.
   */
  markLeft(yardId: string, target: { visitId?: string; plate?: string }, request: YardRequest): YardResult {
    const yard = this.yards.get(yardId);
    if (!yard) return this.noSuchYard(yardId);
    const visit = target.visitId
      ? yard.book.get(target.visitId)
      : target.plate
        ? yard.book.find(target.plate)?.visit
        : undefined;
    if (!visit)
      return {
        ok: false,
        code: 'not-inside',
        message: `no vehicle ${target.visitId ?? target.plate ?? '(neither visitId nor plate given)'} inside ${yardId}`,
      };
    const event = this.recorder.requested(() => {
      const action = this.recorder.record('operator.action', GATE_LANE_ID, {
        action: 'yard.mark-left',
        yardId,
        visitId: visit.visitId,
        plate: visit.plate,
        ...audit(request),
      });
      this.recorder.left(yard, visit, GATE_LANE_ID, { how: 'correction', operatorEventId: action.eventId });
      this.deps.sink.afterCommit(() => this.afterLeft(yard, visit));
      return action;
    });
    return { ok: true, event };
  }

  /** An operator's correction: a vehicle that came in unseen (a lane down) added, with when it came if known. */
  addVehicle(
    yardId: string,
    vehicle: { plate: string; pairedPlate?: string; vehicleClass?: string; enteredAt?: number },
    request: YardRequest,
  ): YardResult {
    const yard = this.yards.get(yardId);
    if (!yard) return this.noSuchYard(yardId);
    const now = this.ctx.clock.now();
    if (vehicle.enteredAt !== undefined && vehicle.enteredAt > now)
      return { ok: false, code: 'invalid', message: 'enteredAt: must not be in the future' };
    if (vehicle.vehicleClass !== undefined && !yard.config.classes.some((c) => c.id === vehicle.vehicleClass))
      return {
        ok: false,
        code: 'invalid',
        message: `vehicleClass: ${yardId} has no class "${vehicle.vehicleClass}" (classes: ${yard.config.classes.map((c) => c.id).join(', ') || 'none'})`,
      };
    const inside = yard.book.find(vehicle.plate, vehicle.pairedPlate ?? null);
    if (inside && inside.match !== 'look-alike')
      return {
        ok: false,
        code: 'already-inside',
        message: `${vehicle.plate} is inside ${yardId} already (visit ${inside.visit.visitId})`,
      };
    const parsed = parsePlate([vehicle.plate]);
    const vehicleClass = vehicle.vehicleClass ?? vehicleClassOf(yard.config, { kind: parsed.kind, vehicleClass: null });
    const event = this.recorder.requested(() => {
      const action = this.recorder.record('operator.action', GATE_LANE_ID, {
        action: 'yard.add',
        yardId,
        plate: vehicle.plate,
        ...audit(request),
      });
      const visit = this.recorder.entered(yard, GATE_LANE_ID, {
        plate: vehicle.plate,
        display: parsed.display,
        pairedPlate: vehicle.pairedPlate ?? null,
        vehicleClass,
        decisionId: null,
        enteredAt: vehicle.enteredAt ?? now,
        extra: { how: 'correction', operatorEventId: action.eventId },
      });
      this.deps.sink.afterCommit(() => {
        yard.book.enter(visit);
        this.changed(yard);
      });
      return action;
    });
    return { ok: true, event };
  }

  stats() {
    return {
      yards: [...this.yards.values()].map((y) => ({
        yardId: y.config.id,
        capacity: y.config.capacity,
        occupancy: y.book.occupancy,
        reserved: y.book.reserved,
        classes: y.config.classes.map((c) => ({ id: c.id, capacity: c.capacity, occupancy: y.book.occupancyOf(c.id) })),
        ...y.counters.snapshot(),
      })),
      dwellBucketsS: DWELL_BUCKETS_S,
    };
  }

  // --- the lanes' events ---------------------------------------------------------------

  private onDecision(e: LaneEvents['lane.decision']): void {
    const entry = this.entryYard.get(e.laneId);
    if (!entry && !this.exitYard.has(e.laneId)) return;
    const matched = e.decision.matched?.list === 'allow' ? e.decision.matched.entry : undefined;
    const vehicle = {
      plate: e.read.plate.text,
      display: e.read.plate.display,
      pairedPlate: matched ? otherPlateOf(matched, e.read.plate.text) : null,
      vehicleClass: null as string | null,
      crop: e.read.crop,
    };
    if (entry)
      vehicle.vehicleClass = vehicleClassOf(entry.config, {
        kind: e.read.plate.kind,
        vehicleClass: matched?.vehicleClass ?? null,
      });
    this.remember(e.eventId, vehicle);
    // The open goes ahead on this answer: its place is promised until the vehicle has passed or gone.
    if (entry && e.decision.action === 'open') {
      entry.book.reserve(e.eventId, vehicle.vehicleClass);
      this.changed(entry);
    }
  }

  private onRecorded(laneId: string, event: StoredEvent): void {
    if (event.type !== 'vehicle') return;
    const p = event.payload;
    const passed = p.outcome === 'passed' || p.outcome === 'passed-unconfirmed';
    const entry = this.entryYard.get(laneId);
    const exit = this.exitYard.get(laneId);
    if (exit && passed) this.exited(exit, laneId, event);
    if (entry) {
      if (passed) this.entered(entry, laneId, event);
      else {
        // Turned back, refused or not through: the place promised to it is free again.
        for (const key of [p.decisionId, p.holdId]) {
          if (typeof key !== 'string') continue;
          entry.book.release(key);
          entry.offered.delete(key);
        }
        this.changed(entry);
        this.letInWhenRoom(entry);
      }
    }
    for (const key of [p.decisionId, p.holdId]) if (typeof key === 'string') this.candidates.delete(key);
  }

  private onLaneState(laneId: string): void {
    const entry = this.entryYard.get(laneId);
    if (entry) {
      this.letInWhenRoom(entry);
      this.changed(entry);
    }
    const exit = this.exitYard.get(laneId);
    if (exit) this.letOutCalled(exit);
  }

  // --- passages ------------------------------------------------------------------------

  private entered(yard: Yard, laneId: string, vehicleEvent: StoredEvent): void {
    const p = vehicleEvent.payload;
    const plate = typeof p.plate === 'string' ? p.plate : null;
    const decisionId = typeof p.decisionId === 'string' ? p.decisionId : null;
    const holdId = typeof p.holdId === 'string' ? p.holdId : null;
    const known = (decisionId && this.candidates.get(decisionId)) || (holdId && this.candidates.get(holdId)) || null;
    const parsed = plate && !known ? parsePlate([plate]) : null;
    const vehicleClass = known
      ? known.vehicleClass
      : vehicleClassOf(yard.config, { kind: parsed?.kind ?? null, vehicleClass: null });
    const promised = [decisionId, holdId].some((key) => key !== null && yard.book.release(key));
    if (holdId) yard.offered.delete(holdId);
    // No place was promised to it (an operator let it in, or opened by hand): over capacity is the operator's override.
    const overCapacity = !promised && !yard.book.hasRoom(vehicleClass);
    const previous = plate ? yard.book.find(plate, known?.pairedPlate ?? null) : null;
    const already = previous && previous.match !== 'look-alike' ? previous.visit : null;
    let visit: YardVisit | null = null;
    this.recorder.automatic('yard entry', () => {
      if (already) {
        this.recorder.alarm(
          yard,
          'yard.already-inside',
          laneId,
          `${plate} entered ${yard.config.name} again; it was inside since ${new Date(already.enteredAt).toISOString()} (visit ${already.visitId}), which ends unseen`,
          { yardId: yard.config.id, plate, visitId: already.visitId },
        );
        this.recorder.left(yard, already, laneId, { how: 're-entered', vehicleEventId: vehicleEvent.eventId });
      }
      visit = this.recorder.entered(yard, laneId, {
        plate,
        display: known?.display ?? parsed?.display ?? null,
        pairedPlate: known?.pairedPlate ?? null,
        vehicleClass,
        decisionId,
        enteredAt: vehicleEvent.ts,
        crop: known?.crop,
        extra: { how: 'lane', vehicleEventId: vehicleEvent.eventId, overCapacity },
      });
    });
    if (already) yard.book.leave(already.visitId);
    // Recorded or not, the vehicle is in the yard: the book follows the road, the log says what was not recorded.
    yard.book.enter(
      visit ?? {
        visitId: `unrecorded-${vehicleEvent.eventId}`,
        plate,
        display: known?.display ?? null,
        pairedPlate: known?.pairedPlate ?? null,
        vehicleClass,
        enteredAt: vehicleEvent.ts,
        entryLaneId: laneId,
        decisionId,
        overstayLevel: 0,
      },
    );
    yard.counters.entered++;
    this.changed(yard);
  }

  private exited(yard: Yard, laneId: string, vehicleEvent: StoredEvent): void {
    const p = vehicleEvent.payload;
    const plate = typeof p.plate === 'string' ? p.plate : null;
    const decisionId = typeof p.decisionId === 'string' ? p.decisionId : null;
    const known = decisionId ? this.candidates.get(decisionId) : undefined;
    const found = yard.book.find(plate, known?.pairedPlate ?? null);
    if (!found) {
      yard.counters.exitsWithoutEntry++;
      this.recorder.automatic('yard exit', () =>
        this.recorder.alarm(
          yard,
          'yard.exit-without-entry',
          laneId,
          `${plate ?? 'a vehicle without a read plate'} left ${yard.config.name}, and no entry of it is on record`,
          { yardId: yard.config.id, plate, vehicleEventId: vehicleEvent.eventId },
        ),
      );
      return;
    }
    const { visit, match } = found;
    if (match === 'look-alike') yard.counters.lookAlikeMatches++;
    this.recorder.automatic('yard exit', () =>
      this.recorder.left(yard, visit, laneId, {
        how: 'lane',
        readPlate: plate,
        match,
        flagged: match === 'look-alike',
        vehicleEventId: vehicleEvent.eventId,
      }),
    );
    this.afterLeft(yard, visit);
  }

  private afterLeft(yard: Yard, visit: YardVisit): void {
    yard.book.leave(visit.visitId);
    const call = yard.book.callFor(visit.plate, visit.pairedPlate);
    if (call) yard.book.endCall(call.callId);
    yard.counters.left(this.ctx.clock.now() - visit.enteredAt);
    this.changed(yard);
    this.letInWhenRoom(yard);
    this.letOutCalled(yard);
  }

  // --- letting held vehicles through ---------------------------------------------------

  /** The entry lanes' `yard-full` holds, at their barriers or queued behind (yardState sorts them). */
  private heldForRoom(yard: Yard): { laneId: string; hold: Hold }[] {
    return this.deps
      .lanes()
      .filter((l) => yard.config.entryLanes.includes(l.laneId))
      .flatMap((lane) => lane.snapshot().holds.map((hold) => ({ laneId: lane.laneId, hold })))
      .filter(({ hold }) => hold.reason === 'yard-full');
  }

  /** A place is free: the oldest `yard-full` hold at its barrier that fits is let in (or offered the place). */
  private letInWhenRoom(yard: Yard): void {
    if (this.releasing) return;
    this.releasing = true;
    try {
      const atBarriers = this.deps
        .lanes()
        .filter((l) => yard.config.entryLanes.includes(l.laneId))
        .flatMap((lane) => {
          const snap = lane.snapshot();
          const hold = snap.phase === 'held' ? snap.holds[0] : undefined;
          return hold && hold.reason === 'yard-full' && !yard.offered.has(hold.holdId) ? [{ lane, hold }] : [];
        })
        .sort((a, b) => a.hold.createdAt - b.hold.createdAt);
      for (const { lane, hold } of atBarriers) {
        const vehicleClass = this.classOfHold(yard, hold);
        if (!yard.book.hasRoom(vehicleClass)) continue;
        yard.book.reserve(hold.holdId, vehicleClass);
        if (yard.config.whenRoom === 'offer') {
          yard.offered.add(hold.holdId);
          this.ctx.log.info(
            { yard: yard.config.id, lane: lane.laneId, holdId: hold.holdId },
            'a place is kept for the held vehicle: the operator may let it in',
          );
        } else if (lane.releaseHold(hold.holdId, 'yard-room')) {
          this.ctx.log.info(
            { yard: yard.config.id, lane: lane.laneId, holdId: hold.holdId, plate: hold.plate },
            'room in the yard: held vehicle let in',
          );
        } else yard.book.release(hold.holdId);
        this.changed(yard);
      }
    } finally {
      this.releasing = false;
    }
  }

  /** A vehicle held `not-called` at an exit lane whose turn it now is goes through. */
  private letOutCalled(yard: Yard): void {
    if (this.releasing || !yard.config.callForward.required) return;
    const next = yard.book.nextCall();
    if (!next) return;
    this.releasing = true;
    try {
      for (const lane of this.deps.lanes()) {
        if (!yard.config.exitLanes.includes(lane.laneId)) continue;
        const snap = lane.snapshot();
        const hold = snap.phase === 'held' ? snap.holds[0] : undefined;
        if (!hold || hold.reason !== 'not-called' || !hold.plate) continue;
        const paired = this.candidates.get(hold.holdId)?.pairedPlate ?? null;
        if (yard.book.callFor(hold.plate, paired)?.callId !== next.callId) continue;
        if (lane.releaseHold(hold.holdId, 'yard-call'))
          this.ctx.log.info({ yard: yard.config.id, lane: lane.laneId, plate: hold.plate }, 'called vehicle let out');
        return;
      }
    } finally {
      this.releasing = false;
    }
  }

  private classOfHold(yard: Yard, hold: Hold): string | null {
    const known = this.candidates.get(hold.holdId);
    if (known) return known.vehicleClass;
    return vehicleClassOf(yard.config, { kind: hold.plate ? parsePlate([hold.plate]).kind : null, vehicleClass: null });
  }

  // --- time: overstays, expired calls, a yard full too long ---------------------------

  private tick(): void {
    this.timer = null;
    const now = this.ctx.clock.now();
    for (const yard of this.yards.values()) {
      this.checkOverstays(yard, now);
      this.expireCalls(yard, now);
      this.checkFull(yard, now);
    }
    this.timer = this.ctx.clock.setTimeout(() => this.tick(), YARD_TICK_MS);
  }

  private checkOverstays(yard: Yard, now: number): void {
    const thresholds = yard.config.overstayMinutes;
    for (const visit of yard.book.inside()) {
      const level = overstayLevel(thresholds, now - visit.enteredAt);
      if (level <= visit.overstayLevel) continue;
      const dwellMs = now - visit.enteredAt;
      this.recorder.automatic('overstay', () => {
        this.recorder.record('yard.overstay', GATE_LANE_ID, {
          yardId: yard.config.id,
          visitId: visit.visitId,
          plate: visit.plate,
          display: visit.display,
          entryLaneId: visit.entryLaneId,
          enteredAt: visit.enteredAt,
          dwellMs,
          thresholdMinutes: thresholds[level - 1],
          level,
        });
        this.deps.records.setOverstayLevel(visit.visitId, level);
      });
      // Once per threshold even if it could not be recorded: an alarm repeated every tick helps nobody.
      visit.overstayLevel = level;
      yard.counters.overstays++;
      this.ctx.log.warn({ yard: yard.config.id, plate: visit.plate, dwellMs, level }, 'yard overstay');
      this.changed(yard);
    }
  }

  private expireCalls(yard: Yard, now: number): void {
    let expired = false;
    for (const call of [...yard.book.openCalls()]) {
      if (call.expiresAt > now) continue;
      this.recorder.automatic('call expiry', () => this.recorder.callEnded(yard, call, 'expired', {}));
      yard.book.endCall(call.callId);
      expired = true;
    }
    if (expired) {
      this.changed(yard);
      this.letOutCalled(yard);
    }
  }

  /** Follows the yard becoming full or not on every change, so a spell's start is exact and a short gap ends it. */
  private noteFullness(yard: Yard): void {
    if (yard.book.occupancy >= yard.config.capacity) yard.fullSince ??= this.ctx.clock.now();
    else {
      yard.fullSince = null;
      yard.fullAlarmed = false;
    }
  }

  private checkFull(yard: Yard, now: number): void {
    if (yard.fullSince === null || yard.fullAlarmed) return;
    if (now - yard.fullSince < yard.config.fullAlarmMinutes * 60_000) return;
    yard.fullAlarmed = true;
    const since = new Date(yard.fullSince).toISOString();
    this.recorder.automatic('yard full alarm', () =>
      this.recorder.alarm(
        yard,
        'yard.full',
        GATE_LANE_ID,
        `${yard.config.name} has been full (${yard.book.occupancy} of ${yard.config.capacity}) since ${since}`,
        {
          yardId: yard.config.id,
          occupancy: yard.book.occupancy,
          capacity: yard.config.capacity,
          fullSince: yard.fullSince,
        },
      ),
    );
  }

  private remember(decisionId: string, candidate: Candidate): void {
    this.candidates.set(decisionId, candidate);
    if (this.candidates.size > MAX_CANDIDATES) this.candidates.delete(this.candidates.keys().next().value!);
  }

  private changed(yard: Yard): void {
    this.noteFullness(yard);
    this.ctx.bus.emit('yard.changed', { yardId: yard.config.id });
  }

  private noSuchYard(yardId: string): YardResult {
    return {
      ok: false,
      code: 'no-such-yard',
      message: `no yard "${yardId}" (yards: ${this.yardIds().join(', ') || 'none'})`,
    };
  }
}

function audit(request: YardRequest): Record<string, unknown> {
  return {
    operator: request.operator,
    reason: request.reason,
    source: request.source,
    ...(request.commandId !== undefined && { commandId: request.commandId }),
  };
}
