import type { BarrierDriver, BarrierStatus, OpenResult } from '../../barrier/types.js';
import type { EventBus } from '../../core/bus.js';
import type { Clock, Timer } from '../../core/clock.js';
import type { Logger } from '../../core/log.js';
import type { Service } from '../../core/service.js';
import type { FlowConfig } from '../../config/flow.js';
import type { VotedPlateRead } from '../../plates/voter.js';
import type { EventType, StoredEvent, TransactionalSink } from '../../store/types.js';
import { requestedPayload, resultPayload, type NoAnswer } from './actuation-events.js';
import type { LaneEvents } from '../events.js';
import type { LaneDecider, LaneDecisionSettings, RecordedDecision } from '../deciding/decider.js';
import { otherPlateOf } from '../deciding/list-entries.js';
import { admit, nextDeadline, restoredLaneState, stepLane } from './lane-machine.js';
import type { Hold, LaneFlowSettings, LaneInput, LaneMachineState, LaneRefusal, LaneStep } from './lane-state.js';
import { laneSnapshot, type LaneSnapshot } from './lane-snapshot.js';
import { errorMessage } from '../../core/error-message.js';
import { StoreHealth } from './store-health.js';

export const OPERATOR_SOURCES = ['central', 'page', 'cli'] as const;

/** Who asked for an operator's action, and why: recorded in the `operator.action` event. */
export interface OperatorRequest {
  operator: string;
  reason: string;
  source: (typeof OPERATOR_SOURCES)[number];
  /** The command id, when the request came as a command from central. */
  commandId?: string;
}

export type OperatorResult = { ok: true; event: StoredEvent } | { ok: false; refusal: LaneRefusal };

/** An operator's action the event store could not record: nothing of it was done, the lane is as it was. */
export class LaneStoreError extends Error {
  override readonly name = 'LaneStoreError';

  constructor(cause: unknown) {
    super(`the event store could not record it, so nothing was done: ${errorMessage(cause)}`, { cause });
  }
}

export interface LaneControllerSettings {
  lane: LaneDecisionSettings;
  flow: FlowConfig;
  /** `none`, `lcus`, `modbus` or `simulator`: for the snapshot and events. */
  barrierDriver: string;
  /** Whether the barrier's inputs include the loop detector. */
  loopWired: boolean;
  /** An open not sent within this long (ms) of being asked for is dropped. */
  commandDeadlineMs: number;
  /** The longest the lane waits in `opening` for the driver's answer (openingTimeoutMs in src/barrier/factory.ts). */
  openingTimeoutMs: number;
}

/** One open asked of the driver: its recorded request, and whether the lane has its answer. */
interface Actuation {
  requested: StoredEvent;
  startedAt: number;
  /** The answer came, or the lane stopped waiting for it: a later answer is recorded and changes nothing. */
  settled: boolean;
}

/**
 * Runs one lane: every new vehicle's read is decided (LaneDecider), fed to the lane's state
 * machine (lane-machine.ts) with the loop, the barrier's state and the operators' actions, and
 * the machine's effects are carried out.
 *
 * A step's records (an operator's action, alarms, the visit's end, an open's request) are
 * written in one transaction, and only once it committed does the lane take its new state and
 * send the open: never an open without its record. Inside a caller's transaction (a command
 * from central) that is the caller's commit, so a rolled-back command leaves the lane as it was.
 * When the store fails, an operator's action is refused (LaneStoreError) with the lane
 * unchanged; the loop, the barrier and the clock move the lane on without their records, but
 * never into an open: that vehicle is held as not opened. The failure is logged, shown in the
 * snapshot (`storeError`) and alarmed as soon as the store takes an alarm again.
 */
export class LaneController implements Service {
  readonly name: string;
  private state: LaneMachineState;
  private barrierStatus: BarrierStatus | null;
  private tickTimer: Timer | null = null;
  private inflight: Promise<void> | null = null;
  private actuation: Actuation | null = null;
  private running = false;
  private readonly store: StoreHealth;
  private readonly flow: LaneFlowSettings;
  private counters = { reads: 0, duplicates: 0, actuations: 0, opened: 0, alarms: 0 };
  /** Per action, for smartgate_decisions_total. */
  private decisions = { open: 0, hold: 0, deny: 0 };

  constructor(
    private readonly ctx: { bus: EventBus<LaneEvents>; log: Logger; clock: Clock },
    private readonly deps: { decider: LaneDecider; sink: TransactionalSink; barrier: BarrierDriver | null },
    private readonly settings: LaneControllerSettings,
    /** Holds the previous run left pending (pending-holds.ts): the lane starts holding them. */
    restoredHolds: readonly Hold[] = [],
  ) {
    this.name = `lane:${settings.lane.id}`;
    this.flow = { ...settings.flow, openingTimeoutMs: settings.openingTimeoutMs };
    this.state = restoredLaneState(ctx.clock.monotonic(), settings.loopWired, restoredHolds);
    if (restoredHolds.length > 0) {
      ctx.log.warn(
        { holds: restoredHolds.map((h) => ({ holdId: h.holdId, plate: h.plate, reason: h.reason })) },
        'holds pending before the restart: the lane holds them again for the operator',
      );
    }
    this.barrierStatus = deps.barrier?.status() ?? null;
    this.store = new StoreHealth({
      clock: ctx.clock,
      log: ctx.log,
      recordAlarm: (alarm, detail, extra) => this.recordAlarm(alarm, detail, null, extra),
      changed: () => this.announce(),
    });
  }

  get laneId(): string {
    return this.settings.lane.id;
  }

  async start(): Promise<void> {
    this.running = true;
    this.ctx.bus.on(this, 'plate.read', ({ laneId, read }) => {
      if (laneId === this.laneId) this.onRead(read);
    });
    await this.deps.barrier?.start();
    this.scheduleTick(); // a restored hold's wait alarm
  }

  async stop(): Promise<void> {
    this.running = false;
    this.ctx.bus.removeAll(this);
    if (this.tickTimer) this.ctx.clock.clearTimeout(this.tickTimer);
    this.tickTimer = null;
    await this.deps.barrier?.stop();
    await this.inflight; // the open under way ends (stopping the driver releases it) and is recorded
  }

  /** The driver's status callback: faults are alarmed; the loop and the limits move the lane. */
  onBarrierStatus(status: BarrierStatus): void {
    const previous = this.barrierStatus;
    this.barrierStatus = status;
    if (status.state === 'fault' && previous?.state !== 'fault') {
      this.alarm('barrier.fault', status.lastError ?? 'barrier fault', null);
    } else if (previous?.state === 'fault' && status.state !== 'fault') {
      this.alarm('barrier.fault-cleared', `barrier ${status.state} again`, null);
    }
    if (status.state !== this.state.barrier) this.step({ type: 'barrier', state: status.state });
    const loop = status.inputs?.loop;
    if (this.settings.loopWired && loop !== undefined && loop !== this.state.loop)
      this.step({ type: 'loop', occupied: loop });
    this.announce();
  }

  /** A voted read: a duplicate of the vehicle in hand is dropped, a new vehicle decided. */
  onRead(read: VotedPlateRead): void {
    this.counters.reads++;
    const plate = read.plate.text;
    const admission = admit(this.state, plate, this.ctx.clock.monotonic(), this.flow);
    if (admission.kind === 'duplicate') {
      this.counters.duplicates++;
      this.ctx.log.debug({ plate }, 'read of the vehicle already in hand: not decided again');
      return;
    }
    let recorded: RecordedDecision;
    try {
      recorded = this.deps.decider.decide(this.settings.lane, read, admission.busy);
    } catch (err) {
      // Not recorded, so not acted on: the lane stays as it was, and the vehicle's next read is decided afresh.
      this.store.failed(err);
      return;
    }
    this.store.works();
    const { decision, event } = recorded;
    this.decisions[decision.action]++;
    if (decision.alarm) this.alarm(`lane.${decision.reason}`, decision.detail, plate, { decisionId: event.eventId });
    const otherPlate = decision.matched?.list === 'allow' ? otherPlateOf(decision.matched.entry, plate) : null;
    this.step({
      type: 'decided',
      decisionId: event.eventId,
      action: decision.action,
      reason: decision.reason,
      detail: decision.detail,
      plate,
      display: read.plate.display,
      pairedPlate: otherPlate,
      at: event.ts,
    });
  }

  /** The operator lets the held vehicle at the barrier through. Throws LaneStoreError when it cannot be recorded. */
  confirm(holdId: string, request: OperatorRequest): OperatorResult {
    return this.operatorAction('confirm', { type: 'confirm', holdId }, request, holdId);
  }

  /** The operator refuses a held vehicle (at the barrier or waiting behind). Throws LaneStoreError when it cannot be recorded. */
  refuse(holdId: string, request: OperatorRequest): OperatorResult {
    return this.operatorAction('refuse', { type: 'refuse', holdId }, request, holdId);
  }

  /**
   * The gate lets the held vehicle at the barrier through by itself (the yard has room for it
   * again, or it was called forward): one open, recorded with `cause` as every open is. False
   * when `holdId` is not the vehicle at the barrier, or the store could not record the open.
   */
  releaseHold(holdId: string, cause: 'yard-room' | 'yard-call'): boolean {
    const next = stepLane(this.state, { type: 'confirm', holdId, cause }, this.ctx.clock.monotonic(), this.flow);
    if (next.refusal) return false;
    this.carryOut(next);
    return this.state.phase === 'opening' && this.actuation?.requested.payload.holdId === holdId;
  }

  /** The operator opens the barrier by hand, whatever the lane is doing (except opening already). Throws LaneStoreError when it cannot be recorded. */
  manualOpen(request: OperatorRequest): OperatorResult {
    const holdId = this.state.phase === 'held' ? (this.state.holds[0]?.holdId ?? null) : null;
    return this.operatorAction('manual-open', { type: 'manual-open' }, request, holdId);
  }

  snapshot(): LaneSnapshot {
    const barrier = this.barrierStatus ? { driver: this.settings.barrierDriver, ...this.barrierStatus } : null;
    return laneSnapshot(this.state, this.ctx.clock.monotonic(), barrier, this.store.error);
  }

  stats() {
    const { failures: storeFailures, error: storeError } = this.store;
    return {
      ...this.counters,
      storeFailures,
      decisions: { ...this.decisions },
      phase: this.state.phase,
      holds: this.state.holds.length,
      storeError,
    };
  }

  private operatorAction(
    action: 'confirm' | 'refuse' | 'manual-open',
    input: LaneInput,
    request: OperatorRequest,
    holdId: string | null,
  ): OperatorResult {
    const next = stepLane(this.state, input, this.ctx.clock.monotonic(), this.flow);
    if (next.refusal) return { ok: false, refusal: next.refusal };
    const hold = holdId ? this.state.holds.find((h) => h.holdId === holdId) : undefined;
    // The audit comes first: who, when, why, about which vehicle.
    const audit = () => {
      const event = this.record('operator.action', {
        action,
        holdId,
        plate: hold?.plate ?? this.state.vehicle?.plate ?? null,
        holdReason: hold?.reason ?? null,
        operator: request.operator,
        reason: request.reason,
        source: request.source,
        ...(request.commandId !== undefined && { commandId: request.commandId }),
      });
      this.deps.sink.afterCommit(() =>
        this.ctx.log.info(
          { action, holdId, operator: request.operator, source: request.source, reason: request.reason },
          'operator action',
        ),
      );
      return event;
    };
    return { ok: true, event: this.carryOut(next, audit)! };
  }

  private step(input: LaneInput): void {
    this.carryOut(stepLane(this.state, input, this.ctx.clock.monotonic(), this.flow));
  }

  /**
   * Records a step's effects (after the operator's `audit`, if any) in one transaction; once
   * it commits, the lane takes the step's state and sends its open. Returns the audit event.
   */
  private carryOut(next: LaneStep, audit?: () => StoredEvent): StoredEvent | null {
    const before = this.state.phase;
    const abandon = next.effects.find((e) => e.kind === 'abandon-actuation')?.detail ?? null;
    // A step that records nothing needs no transaction (and goes on when the store is down).
    if (!audit && next.effects.every((e) => e.kind === 'abandon-actuation')) {
      this.deps.sink.afterCommit(() => this.enter(next.state, [], abandon));
      return null;
    }
    try {
      return this.deps.sink.transaction(() => {
        const opens: Actuation[] = [];
        // Queued first, so the lane is in its new state before anyone hears of the step's
        // records: a listener that acts on the lane (the yard releasing a hold) acts on it as it is.
        this.deps.sink.afterCommit(() => {
          this.store.works();
          this.enter(next.state, opens, abandon);
        });
        const audited = audit?.() ?? null;
        for (const effect of next.effects) {
          if (effect.kind === 'alarm')
            this.recordAlarm(`lane.${effect.alarm}`, effect.detail, effect.plate, { phase: before });
          else if (effect.kind === 'vehicle') {
            const { outcome, plate, decisionId, holdId, durationMs } = effect;
            this.record('vehicle', { outcome, plate, decisionId, holdId, durationMs: Math.round(durationMs) });
          } else if (effect.kind === 'actuate') {
            const { cause, holdId, decisionId, plate } = effect;
            const requested = this.record(
              'barrier.actuation',
              requestedPayload({
                cause,
                holdId,
                decisionId,
                plate,
                driver: this.settings.barrierDriver,
                deadlineMs: this.settings.commandDeadlineMs,
              }),
            );
            opens.push({ requested, startedAt: this.ctx.clock.monotonic(), settled: false });
          }
        }
        return audited;
      });
    } catch (err) {
      this.store.failed(err);
      if (audit) throw new LaneStoreError(err);
      this.followUnrecorded(next, abandon, err);
      return null;
    }
  }

  /** The step is done (recorded, or given up on): the lane takes its state and sends its opens. */
  private enter(state: LaneMachineState, opens: readonly Actuation[], abandon: string | null): void {
    const before = this.state.phase;
    this.state = state;
    if (state.phase !== before) this.ctx.log.debug({ from: before, to: state.phase }, 'lane phase');
    for (const actuation of opens) this.startActuation(actuation);
    if (abandon !== null) this.abandonActuation(abandon);
    this.scheduleTick();
    this.announce();
  }

  /**
   * An automatic step whose records failed. The loop, the barrier and the clock moved on
   * whatever the store does, so the lane follows them, logging what it could not record; but
   * it never opens what it could not record: that vehicle is held for the operator, under its
   * (recorded) decision, as not opened.
   */
  private followUnrecorded(next: LaneStep, abandon: string | null, err: unknown): void {
    for (const effect of next.effects) {
      if (effect.kind === 'alarm' || effect.kind === 'vehicle')
        this.ctx.log.warn({ ...effect, recorded: false }, 'not recorded: the event store failed');
    }
    this.enter(next.state, [], abandon);
    const open = next.effects.find((e) => e.kind === 'actuate');
    const detail = `not opened: the open could not be recorded (${errorMessage(err)})`;
    if (open)
      this.step({
        type: 'actuated',
        ok: false,
        detail,
        eventId: open.decisionId ?? open.holdId ?? unrecordedId(this.ctx.clock),
        at: this.ctx.clock.now(),
      });
  }

  private startActuation(actuation: Actuation): void {
    this.actuation = actuation;
    this.counters.actuations++;
    const deadlineAt = actuation.startedAt + this.settings.commandDeadlineMs;
    const opening = this.deps.barrier ? this.deps.barrier.open(deadlineAt) : Promise.resolve(null);
    const done = opening
      .then((result) => this.settle(actuation, result))
      .catch((err: unknown) =>
        this.settle(actuation, { ok: false, reason: 'error', error: errorMessage(err), sent: [] }),
      );
    this.inflight = done;
    void done.finally(() => {
      if (this.inflight === done) this.inflight = null;
    });
  }

  /** No answer within openingTimeoutMs: recorded as a failed open (`no-answer`), which the lane holds. */
  private abandonActuation(detail: string): void {
    const actuation = this.actuation;
    if (actuation && !actuation.settled)
      return this.settle(actuation, { ok: false, reason: 'no-answer', error: detail, sent: [] });
    // `opening` is only ever entered with an open under way; should that fail, the lane still leaves it.
    this.step({
      type: 'actuated',
      ok: false,
      detail,
      eventId: this.state.vehicle?.decisionId ?? unrecordedId(this.ctx.clock),
      at: this.ctx.clock.now(),
    });
  }

  /**
   * Records the barrier's answer, then tells the machine. `null`: the lane has no barrier
   * driver. An answer after the lane stopped waiting is recorded (`late`) and changes nothing.
   */
  private settle(actuation: Actuation, result: OpenResult | NoAnswer | null): void {
    const late = actuation.settled;
    actuation.settled = true;
    if (this.actuation === actuation) this.actuation = null;
    const durationMs = Math.round(this.ctx.clock.monotonic() - actuation.startedAt);
    const { requested } = actuation;
    const outcome = resultPayload(result, {
      requestId: requested.eventId,
      cause: requested.payload.cause,
      driver: this.settings.barrierDriver,
      durationMs,
    });
    if (result?.ok) this.counters.opened++;
    else if (result)
      this.ctx.log.error({ reason: result.reason, err: result.error, sent: result.sent, late }, 'barrier did not open');
    let event: StoredEvent | null = null;
    try {
      event = this.record('barrier.actuation', { ...outcome.payload, ...(late && { late: true }) });
      this.store.works();
    } catch (err) {
      this.store.failed(err);
    }
    if (late) {
      this.ctx.log.warn(
        { requestId: requested.eventId, ok: outcome.ok },
        'the barrier answered after the lane stopped waiting: recorded, nothing else',
      );
      return;
    }
    if (!this.running && this.state.phase !== 'opening') return;
    // Unrecorded, the request it answers names the hold a failure leaves.
    this.step({
      type: 'actuated',
      ok: outcome.ok,
      detail: outcome.detail,
      eventId: event?.eventId ?? requested.eventId,
      at: event?.ts ?? this.ctx.clock.now(),
    });
  }

  /** An alarm on its own (a barrier fault, a decision's): recorded, or logged as not recorded. */
  private alarm(alarm: string, detail: string, plate: string | null, extra: Record<string, unknown> = {}): void {
    try {
      this.recordAlarm(alarm, detail, plate, extra);
      this.store.works();
    } catch (err) {
      this.store.failed(err);
      this.ctx.log.warn({ alarm, plate, detail, recorded: false }, 'lane alarm');
    }
  }

  private recordAlarm(
    alarm: string,
    detail: string,
    plate: string | null,
    extra: Record<string, unknown> = {},
  ): StoredEvent {
    const event = this.record('alarm', { alarm, detail, plate, ...extra });
    this.deps.sink.afterCommit(() => {
      this.counters.alarms++;
      this.ctx.log.warn({ alarm, plate, detail }, 'lane alarm');
    });
    return event;
  }

  /** Appends an event; the bus hears of it once it is committed. */
  private record(type: EventType, payload: Record<string, unknown>): StoredEvent {
    const event = this.deps.sink.append({ type, laneId: this.laneId, payload });
    this.deps.sink.afterCommit(() => this.ctx.bus.emit('lane.recorded', { laneId: this.laneId, event }));
    return event;
  }

  private scheduleTick(): void {
    if (this.tickTimer) this.ctx.clock.clearTimeout(this.tickTimer);
    this.tickTimer = null;
    const at = nextDeadline(this.state, this.flow);
    if (at === null || !this.running) return;
    this.tickTimer = this.ctx.clock.setTimeout(
      () => {
        this.tickTimer = null;
        this.step({ type: 'tick' });
      },
      Math.max(0, at - this.ctx.clock.monotonic()),
    );
  }

  private announce(): void {
    this.ctx.bus.emit('lane.state', { laneId: this.laneId, state: this.snapshot() });
  }
}

/** A hold's id when no recorded event can name it (the store down): unique, and never an event's. */
function unrecordedId(clock: Clock): string {
  return `unrecorded-${clock.now()}`;
}
