import type {
  ActuationCause,
  Admission,
  Hold,
  LaneEffect,
  LaneFlowSettings,
  LaneInput,
  LaneMachineState,
  LanePhase,
  LaneRefusal,
  LaneStep,
  Vehicle,
  VehicleOutcome,
} from './lane-state.js';

/**
 * The lane's state machine, as a pure function: (state, input, time) → (state, effects). The
 * lane controller feeds it the loop, the barrier's state, decisions, actuation results,
 * operators' actions and clock ticks, and carries out the effects (record, actuate, alarm).
 *
 *   idle ──loop──▶ present ──decision──▶ opening ──actuated──▶ open ──loop clears / open then
 *     ▲              │ (or a decision        │ failed, or no answer  closed limit──▶ passed ──▶ idle
 *     │              │  straight from idle)  ▼ by openingTimeoutMs
 *     │              ├──hold──▶ held ──confirm──▶ opening        (refuse / loop clears ──▶ next)
 *     └──────────────┴──deny──▶ denied ──loop clears──▶ next
 *
 * "next" is the oldest pending hold, if any, else idle. One actuation per decision or operator
 * action; a read while another vehicle is at the barrier is never opened for automatically (it
 * is held as `lane-busy`), and one while the boom is up is also a tailgating alarm.
 */
export function initialLaneState(now: number, loopWired: boolean): LaneMachineState {
  return {
    phase: 'idle',
    since: now,
    vehicle: null,
    holds: [],
    loop: loopWired ? false : null,
    barrier: 'unknown',
    loopSeen: false,
    openSeen: false,
    waitAlarmed: false,
    last: null,
  };
}

/**
 * The lane after a restart with `holds` left pending by the previous run (pending-holds.ts):
 * the oldest is the vehicle at the barrier (phase `held`), the rest wait behind it. With a
 * loop wired, the held vehicle counts as on the loop until the loop reports otherwise, so a
 * vehicle that drove off while the daemon was down ends as `left` at the loop's first report.
 */
export function restoredLaneState(now: number, loopWired: boolean, holds: readonly Hold[]): LaneMachineState {
  const fresh = initialLaneState(now, loopWired);
  if (holds.length === 0) return fresh;
  return nextUp({ ...fresh, holds: [...holds], loop: loopWired ? true : null }, now);
}

const BOOM_UP: readonly LanePhase[] = ['opening', 'open', 'passed'];
/** A vehicle is being dealt with at the barrier: a new one must not be opened for automatically. */
const AT_BARRIER: readonly LanePhase[] = ['opening', 'open', 'held', 'denied'];

export function admit(state: LaneMachineState, plate: string, now: number, settings: LaneFlowSettings): Admission {
  const v = state.vehicle;
  if (v && (v.plate === plate || v.pairedPlate === plate)) return { kind: 'duplicate' };
  if (state.holds.some((h) => h.plate === plate)) return { kind: 'duplicate' };
  const last = state.last;
  if (last && now - last.endedAt < settings.cooldownMs && (last.plate === plate || last.pairedPlate === plate))
    return { kind: 'duplicate' };
  const tailgating = BOOM_UP.includes(state.phase) && state.barrier !== 'closed';
  // While opening or open another vehicle is at the barrier, even before the boom has left its
  // closed limit (the limit still reads closed for a moment after the open is sent).
  const busy = tailgating || AT_BARRIER.includes(state.phase);
  return { kind: 'new', busy, tailgating };
}

/** The monotonic time at which a tick may change something; null when nothing is timed. */
export function nextDeadline(state: LaneMachineState, settings: LaneFlowSettings): number | null {
  switch (state.phase) {
    case 'present':
    case 'held':
      return state.waitAlarmed ? null : state.since + settings.waitAlarmMs;
    case 'denied':
      if (state.loop === null) return state.since + Math.min(settings.passTimeoutMs, settings.waitAlarmMs);
      return state.waitAlarmed ? null : state.since + settings.waitAlarmMs;
    case 'opening':
      return state.since + settings.openingTimeoutMs;
    case 'open':
      return state.since + settings.passTimeoutMs;
    case 'passed':
      return state.since + passedWindow(state, settings);
    default:
      return null;
  }
}

export function stepLane(state: LaneMachineState, input: LaneInput, now: number, settings: LaneFlowSettings): LaneStep {
  const effects: LaneEffect[] = [];
  const to = (phase: LanePhase, patch: Partial<LaneMachineState> = {}): LaneMachineState => ({
    ...state,
    phase,
    since: now,
    waitAlarmed: false,
    ...patch,
  });
  /** Ends the current vehicle's visit and moves on to the oldest pending hold, if any. */
  const endVisit = (
    outcome: VehicleOutcome,
    from: LaneMachineState = state,
    holdId: string | null = null,
  ): LaneMachineState => {
    const v = from.vehicle;
    effects.push({
      kind: 'vehicle',
      outcome,
      plate: v?.plate ?? null,
      decisionId: v?.decisionId ?? null,
      holdId,
      durationMs: v ? Math.max(0, now - v.arrivedAt) : 0,
    });
    const last = { plate: v?.plate ?? null, pairedPlate: v?.pairedPlate ?? null, endedAt: now };
    return { ...nextUp(from, now), last };
  };
  const actuate = (
    cause: ActuationCause,
    vehicle: Vehicle | null,
    holdId: string | null,
    patch: Partial<LaneMachineState> = {},
  ): LaneMachineState => {
    effects.push({
      kind: 'actuate',
      cause,
      holdId,
      decisionId: vehicle?.decisionId ?? null,
      plate: vehicle?.plate ?? null,
    });
    return to('opening', { vehicle, loopSeen: state.loop === true, openSeen: false, ...patch });
  };
  const refuse = (code: LaneRefusal['code'], message: string): LaneStep => ({
    state,
    effects: [],
    refusal: { code, message },
  });

  switch (input.type) {
    case 'loop': {
      const s = { ...state, loop: input.occupied };
      if (input.occupied) {
        if (state.phase === 'idle')
          return {
            state: { ...s, phase: 'present', since: now, waitAlarmed: false, vehicle: newVehicle(now) },
            effects,
          };
        if (state.phase === 'opening' || state.phase === 'open') return { state: { ...s, loopSeen: true }, effects };
        if (state.phase === 'passed') {
          effects.push({
            kind: 'alarm',
            alarm: 'tailgating',
            detail: 'a second vehicle drove onto the loop before the boom closed',
            plate: null,
          });
          // With a vehicle held waiting (read while the boom was up), it comes to the barrier:
          // an anonymous `present` would leave its hold unconfirmable while the loop is occupied.
          if (state.holds.length) return { state: nextUp(s, now), effects };
          return {
            state: { ...s, phase: 'present', since: now, waitAlarmed: false, vehicle: newVehicle(now) },
            effects,
          };
        }
        return { state: s, effects };
      }
      switch (state.phase) {
        case 'present':
          return { state: endVisit('left', s), effects };
        case 'held':
          return { state: endVisit('left', { ...s, holds: s.holds.slice(1) }, s.holds[0]?.holdId ?? null), effects };
        case 'denied':
          return { state: endVisit('left', s), effects };
        case 'opening':
        case 'open':
          if (!state.loopSeen) return { state: s, effects };
          effects.push(vehicleEffect('passed', state, now));
          return {
            state: {
              ...s,
              phase: 'passed',
              since: now,
              loopSeen: false,
              last: {
                plate: state.vehicle?.plate ?? null,
                pairedPlate: state.vehicle?.pairedPlate ?? null,
                endedAt: now,
              },
            },
            effects,
          };
        default:
          return { state: s, effects };
      }
    }

    case 'barrier': {
      const s = { ...state, barrier: input.state };
      const open = input.state === 'open';
      if ((state.phase === 'opening' || state.phase === 'open') && open)
        return { state: { ...s, openSeen: true }, effects };
      // Without a loop, the boom going up and then down again is the passage.
      if (state.phase === 'open' && input.state === 'closed' && state.openSeen && state.loop === null)
        return { state: endVisit('passed', s), effects };
      // The boom is down behind the vehicle: the next held one, if any, comes to the barrier.
      if (state.phase === 'passed' && input.state === 'closed') return { state: nextUp(s, now), effects };
      return { state: s, effects };
    }

    case 'decided': {
      const admission = admit(state, input.plate, now, settings);
      if (admission.kind === 'duplicate') return { state, effects };
      if (admission.tailgating) {
        effects.push({
          kind: 'alarm',
          alarm: 'tailgating',
          detail: `${input.display} was read while the boom was up for ${state.vehicle?.display ?? 'another vehicle'}`,
          plate: input.plate,
        });
      }
      const vehicle: Vehicle = {
        plate: input.plate,
        display: input.display,
        pairedPlate: input.pairedPlate,
        decisionId: input.decisionId,
        arrivedAt: state.vehicle?.plate === null ? state.vehicle.arrivedAt : now,
      };
      const hold: Hold = {
        holdId: input.decisionId,
        plate: input.plate,
        display: input.display,
        reason: input.reason,
        detail: input.detail,
        createdAt: input.at,
      };
      if (admission.busy) {
        // The decider already turned an open into a `lane-busy` hold; a deny's alarm is in its decision.
        return { state: input.action === 'hold' ? { ...state, holds: [...state.holds, hold] } : state, effects };
      }
      switch (input.action) {
        case 'open':
          return { state: actuate('decision', vehicle, null), effects };
        case 'hold':
          return { state: to('held', { vehicle, holds: [hold, ...state.holds] }), effects };
        case 'deny':
          return { state: to('denied', { vehicle }), effects };
      }
      return { state, effects };
    }

    case 'actuated': {
      if (state.phase !== 'opening') return { state, effects };
      if (input.ok) return { state: to('open', { barrier: state.barrier }), effects };
      const v = state.vehicle;
      effects.push({ kind: 'alarm', alarm: 'barrier-not-opened', detail: input.detail, plate: v?.plate ?? null });
      const hold: Hold = {
        holdId: input.eventId,
        plate: v?.plate ?? null,
        display: v?.display ?? null,
        reason: 'barrier-not-opened',
        detail: input.detail,
        createdAt: input.at,
      };
      return { state: to('held', { holds: [hold, ...state.holds] }), effects };
    }

    case 'confirm': {
      const index = state.holds.findIndex((h) => h.holdId === input.holdId);
      if (index < 0) return refuse('no-such-hold', `no pending hold ${input.holdId} on this lane`);
      if (index > 0 || state.phase !== 'held') {
        return refuse(
          'not-at-barrier',
          `hold ${input.holdId} is not the vehicle at the barrier${state.vehicle?.display ? ` (${state.vehicle.display} is)` : ''}: resolve that one first`,
        );
      }
      return {
        state: actuate(input.cause ?? 'confirm', state.vehicle, input.holdId, { holds: state.holds.slice(1) }),
        effects,
      };
    }

    case 'refuse': {
      const index = state.holds.findIndex((h) => h.holdId === input.holdId);
      if (index < 0) return refuse('no-such-hold', `no pending hold ${input.holdId} on this lane`);
      const holds = state.holds.filter((_, i) => i !== index);
      if (index === 0 && state.phase === 'held')
        return { state: endVisit('refused', { ...state, holds }, input.holdId), effects };
      const h = state.holds[index]!;
      effects.push({
        kind: 'vehicle',
        outcome: 'refused',
        plate: h.plate,
        decisionId: h.holdId,
        holdId: h.holdId,
        durationMs: 0,
      });
      return { state: { ...state, holds }, effects };
    }

    case 'manual-open': {
      if (state.phase === 'opening') return refuse('busy', 'the barrier is already being opened');
      const atBarrier = state.phase === 'held' ? state.holds[0] : undefined;
      const vehicle = state.phase === 'idle' || state.phase === 'passed' ? newVehicle(now) : state.vehicle;
      return {
        state: actuate('manual-open', vehicle, atBarrier?.holdId ?? null, {
          holds: atBarrier ? state.holds.slice(1) : state.holds,
        }),
        effects,
      };
    }

    case 'tick':
      return tick(state, now, settings, effects, endVisit);
  }
}

function tick(
  state: LaneMachineState,
  now: number,
  settings: LaneFlowSettings,
  effects: LaneEffect[],
  endVisit: (outcome: VehicleOutcome) => LaneMachineState,
): LaneStep {
  const age = now - state.since;
  switch (state.phase) {
    case 'denied':
      // Without a loop nothing shows the refused vehicle leaving: its visit ends by time.
      if (state.loop === null && age >= Math.min(settings.passTimeoutMs, settings.waitAlarmMs))
        return { state: endVisit('left'), effects };
    // falls through
    case 'present':
    case 'held':
      if (state.waitAlarmed || age < settings.waitAlarmMs) return { state, effects };
      effects.push({
        kind: 'alarm',
        alarm: 'vehicle-waiting',
        detail: `${state.vehicle?.display ?? 'a vehicle'} has waited ${Math.round(age / 1000)} s (${state.phase === 'present' ? 'no plate read' : state.phase})`,
        plate: state.vehicle?.plate ?? null,
      });
      return { state: { ...state, waitAlarmed: true }, effects };
    case 'opening':
      if (age < settings.openingTimeoutMs) return { state, effects };
      effects.push({
        kind: 'abandon-actuation',
        detail: `no answer from the barrier within ${settings.openingTimeoutMs} ms`,
      });
      return { state, effects };
    case 'open': {
      if (age < settings.passTimeoutMs) return { state, effects };
      // A barrier state other than unknown means limits are wired; with those or a loop the
      // passage could have been seen, and was not.
      const observable = state.loop !== null || state.barrier !== 'unknown';
      return { state: endVisit(observable ? 'not-passed' : 'passed-unconfirmed'), effects };
    }
    case 'passed':
      if (age < passedWindow(state, settings)) return { state, effects };
      return { state: nextUp(state, now), effects };
    default:
      return { state, effects };
  }
}

/**
 * "next": the oldest pending hold comes to the barrier (phase `held`), else the lane is idle.
 * Every way a visit ends goes through here, so a hold queued behind is never left stranded.
 */
function nextUp(from: LaneMachineState, now: number): LaneMachineState {
  const next = from.holds[0];
  const vehicle: Vehicle | null = next
    ? { plate: next.plate, display: next.display, pairedPlate: null, decisionId: next.holdId, arrivedAt: now }
    : null;
  return {
    ...from,
    phase: next ? 'held' : 'idle',
    since: now,
    vehicle,
    waitAlarmed: false,
    loopSeen: false,
    openSeen: false,
  };
}

/** How long `passed` waits for the boom: for the closed limit when one is wired, else boomCloseMs. */
function passedWindow(state: LaneMachineState, settings: LaneFlowSettings): number {
  return state.barrier === 'unknown' ? Math.min(settings.boomCloseMs, settings.passTimeoutMs) : settings.passTimeoutMs;
}

function newVehicle(now: number): Vehicle {
  return { plate: null, display: null, pairedPlate: null, decisionId: null, arrivedAt: now };
}

function vehicleEffect(outcome: VehicleOutcome, state: LaneMachineState, now: number): LaneEffect {
  const v = state.vehicle;
  return {
    kind: 'vehicle',
    outcome,
    plate: v?.plate ?? null,
    decisionId: v?.decisionId ?? null,
    holdId: null,
    durationMs: v ? Math.max(0, now - v.arrivedAt) : 0,
  };
}
