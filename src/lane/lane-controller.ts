import type { BarrierDriver, BarrierStatus, OpenResult } from '../barrier/types.js';
import type { EventBus } from '../core/bus.js';
import type { Clock, Timer } from '../core/clock.js';
import type { Logger } from '../core/log.js';
import type { Service } from '../core/service.js';
import type { FlowConfig } from '../config/flow.js';
import type { VotedPlateRead } from '../plates/voter.js';
import type { EventSink, EventType, StoredEvent } from '../store/types.js';
import type { LaneEvents } from './events.js';
import type { LaneDecider, LaneDecisionSettings } from './lane-decider.js';
import {
  admit,
  nextDeadline,
  restoredLaneState,
  stepLane,
  type Hold,
  type LaneEffect,
  type LaneInput,
  type LaneMachineState,
  type LaneRefusal,
} from './lane-machine.js';
import { laneSnapshot, type LaneSnapshot } from './lane-snapshot.js';

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

export interface LaneControllerSettings {
  lane: LaneDecisionSettings;
  flow: FlowConfig;
  /** `none`, `lcus`, `modbus` or `simulator`: for the snapshot and events. */
  barrierDriver: string;
  /** Whether the barrier's inputs include the loop detector. */
  loopWired: boolean;
  /** An open not sent within this long (ms) of being asked for is dropped. */
  commandDeadlineMs: number;
}

/**
 * Runs one lane: every new vehicle's read is decided (LaneDecider), fed to the lane's state
 * machine (lane-machine.ts) with the loop, the barrier's state and the operators' actions, and
 * the machine's effects are carried out — each recorded as an event before it is acted on:
 * `barrier.actuation` before the open is sent, `operator.action` before the hold is resolved.
 */
export class LaneController implements Service {
  readonly name: string;
  private state: LaneMachineState;
  private barrierStatus: BarrierStatus | null;
  private tickTimer: Timer | null = null;
  private inflight: Promise<void> | null = null;
  private running = false;
  private counters = { reads: 0, duplicates: 0, actuations: 0, opened: 0, alarms: 0 };
  /** Per action, for smartgate_decisions_total. */
  private decisions = { open: 0, hold: 0, deny: 0 };

  constructor(
    private readonly ctx: { bus: EventBus<LaneEvents>; log: Logger; clock: Clock },
    private readonly deps: { decider: LaneDecider; sink: EventSink; barrier: BarrierDriver | null },
    private readonly settings: LaneControllerSettings,
    /** Holds the previous run left pending (pending-holds.ts): the lane starts holding them. */
    restoredHolds: readonly Hold[] = [],
  ) {
    this.name = `lane:${settings.lane.id}`;
    this.state = restoredLaneState(ctx.clock.monotonic(), settings.loopWired, restoredHolds);
    if (restoredHolds.length > 0) {
      ctx.log.warn({ holds: restoredHolds.map((h) => ({ holdId: h.holdId, plate: h.plate, reason: h.reason })) }, 'holds pending before the restart: the lane holds them again for the operator');
    }
    this.barrierStatus = deps.barrier?.status() ?? null;
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
    if (this.settings.loopWired && loop !== undefined && loop !== this.state.loop) this.step({ type: 'loop', occupied: loop });
    this.announce();
  }

  /** A voted read: a duplicate of the vehicle in hand is dropped, a new vehicle decided. */
  onRead(read: VotedPlateRead): void {
    this.counters.reads++;
    const plate = read.plate.text;
    const admission = admit(this.state, plate, this.ctx.clock.monotonic(), this.settings.flow);
    if (admission.kind === 'duplicate') {
      this.counters.duplicates++;
      this.ctx.log.debug({ plate }, 'read of the vehicle already in hand: not decided again');
      return;
    }
    const { decision, event } = this.deps.decider.decide(this.settings.lane, read, admission.busy);
    this.decisions[decision.action]++;
    if (decision.alarm) this.alarm(`lane.${decision.reason}`, decision.detail, plate, { decisionId: event.eventId });
    const matched = decision.matched?.list === 'allow' ? decision.matched.entry.pairedPlate : undefined;
    this.step({
      type: 'decided',
      decisionId: event.eventId,
      action: decision.action,
      reason: decision.reason,
      detail: decision.detail,
      plate,
      display: read.plate.display,
      pairedPlate: matched ?? null,
      at: event.ts,
    });
  }

  /** The operator lets the held vehicle at the barrier through. */
  confirm(holdId: string, request: OperatorRequest): OperatorResult {
    return this.operatorAction('confirm', { type: 'confirm', holdId }, request, holdId);
  }

  /** The operator refuses a held vehicle (at the barrier or waiting behind). */
  refuse(holdId: string, request: OperatorRequest): OperatorResult {
    return this.operatorAction('refuse', { type: 'refuse', holdId }, request, holdId);
  }

  /** The operator opens the barrier by hand, whatever the lane is doing (except opening already). */
  manualOpen(request: OperatorRequest): OperatorResult {
    const holdId = this.state.phase === 'held' ? (this.state.holds[0]?.holdId ?? null) : null;
    return this.operatorAction('manual-open', { type: 'manual-open' }, request, holdId);
  }

  snapshot(): LaneSnapshot {
    const barrier = this.barrierStatus ? { driver: this.settings.barrierDriver, ...this.barrierStatus } : null;
    return laneSnapshot(this.state, this.ctx.clock.monotonic(), barrier);
  }

  stats() {
    return { ...this.counters, decisions: { ...this.decisions }, phase: this.state.phase, holds: this.state.holds.length };
  }

  private operatorAction(action: 'confirm' | 'refuse' | 'manual-open', input: LaneInput, request: OperatorRequest, holdId: string | null): OperatorResult {
    const now = this.ctx.clock.monotonic();
    const next = stepLane(this.state, input, now, this.settings.flow);
    if (next.refusal) return { ok: false, refusal: next.refusal };
    const hold = holdId ? this.state.holds.find((h) => h.holdId === holdId) : undefined;
    // The audit comes first: who, when, why, about which vehicle.
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
    this.ctx.log.info({ action, holdId, operator: request.operator, source: request.source, reason: request.reason }, 'operator action');
    this.apply(next.state, next.effects);
    return { ok: true, event };
  }

  private step(input: LaneInput): void {
    const next = stepLane(this.state, input, this.ctx.clock.monotonic(), this.settings.flow);
    this.apply(next.state, next.effects);
  }

  private apply(state: LaneMachineState, effects: readonly LaneEffect[]): void {
    const before = this.state.phase;
    this.state = state;
    if (state.phase !== before) this.ctx.log.debug({ from: before, to: state.phase }, 'lane phase');
    for (const effect of effects) {
      switch (effect.kind) {
        case 'alarm':
          this.alarm(`lane.${effect.alarm}`, effect.detail, effect.plate, { phase: before });
          break;
        case 'vehicle':
          this.record('vehicle', { outcome: effect.outcome, plate: effect.plate, decisionId: effect.decisionId, holdId: effect.holdId, durationMs: Math.round(effect.durationMs) });
          break;
        case 'actuate':
          this.actuate(effect);
          break;
      }
    }
    this.scheduleTick();
    this.announce();
  }

  private actuate(effect: Extract<LaneEffect, { kind: 'actuate' }>): void {
    const startedAt = this.ctx.clock.monotonic();
    const deadlineAt = startedAt + this.settings.commandDeadlineMs;
    const { cause, holdId, decisionId, plate } = effect;
    const requested = this.record('barrier.actuation', {
      phase: 'requested',
      cause,
      holdId,
      decisionId,
      plate,
      driver: this.settings.barrierDriver,
      deadlineMs: this.settings.commandDeadlineMs,
    });
    this.counters.actuations++;
    const opening = this.deps.barrier ? this.deps.barrier.open(deadlineAt) : Promise.resolve(null);
    const done = opening
      .then((result) => this.actuated(result, requested, startedAt))
      .catch((err: unknown) => this.actuated({ ok: false, reason: 'error', error: (err as Error).message ?? String(err), sent: [] }, requested, startedAt));
    this.inflight = done;
    void done.finally(() => {
      if (this.inflight === done) this.inflight = null;
    });
  }

  /** Records the barrier's answer, then tells the machine. `null`: the lane has no barrier driver. */
  private actuated(result: OpenResult | null, requested: StoredEvent, startedAt: number): void {
    const durationMs = Math.round(this.ctx.clock.monotonic() - startedAt);
    const common = { phase: 'result', requestId: requested.eventId, cause: requested.payload.cause, driver: this.settings.barrierDriver, durationMs };
    let event: StoredEvent;
    let ok: boolean;
    let detail: string;
    if (result === null) {
      ok = true;
      detail = 'no barrier driver configured: nothing sent';
      event = this.record('barrier.actuation', { ...common, ok, outcome: 'no-barrier', sent: [], confirmed: false });
    } else if (result.ok) {
      ok = true;
      this.counters.opened++;
      detail = result.confirmed ? 'open limit reached' : 'open sent (no open limit wired)';
      event = this.record('barrier.actuation', { ...common, ok, outcome: result.confirmed ? 'opened' : 'sent', sent: result.sent, confirmed: result.confirmed });
    } else {
      ok = false;
      detail = `${result.reason}: ${result.error}`;
      event = this.record('barrier.actuation', { ...common, ok, outcome: result.reason, error: result.error, sent: result.sent, confirmed: false });
      this.ctx.log.error({ reason: result.reason, err: result.error, sent: result.sent }, 'barrier did not open');
    }
    if (!this.running && this.state.phase !== 'opening') return;
    this.step({ type: 'actuated', ok, detail, eventId: event.eventId, at: event.ts });
  }

  private alarm(alarm: string, detail: string, plate: string | null, extra: Record<string, unknown> = {}): void {
    this.counters.alarms++;
    this.ctx.log.warn({ alarm, plate, detail }, 'lane alarm');
    this.record('alarm', { alarm, detail, plate, ...extra });
  }

  private record(type: EventType, payload: Record<string, unknown>): StoredEvent {
    const event = this.deps.sink.append({ type, laneId: this.laneId, payload });
    this.ctx.bus.emit('lane.recorded', { laneId: this.laneId, event });
    return event;
  }

  private scheduleTick(): void {
    if (this.tickTimer) this.ctx.clock.clearTimeout(this.tickTimer);
    this.tickTimer = null;
    const at = nextDeadline(this.state, this.settings.flow);
    if (at === null || !this.running) return;
    this.tickTimer = this.ctx.clock.setTimeout(() => {
      this.tickTimer = null;
      this.step({ type: 'tick' });
    }, Math.max(0, at - this.ctx.clock.monotonic()));
  }

  private announce(): void {
    this.ctx.bus.emit('lane.state', { laneId: this.laneId, state: this.snapshot() });
  }
}
