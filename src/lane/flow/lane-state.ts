import type { BarrierState } from '../../barrier/types.js';
import type { DecisionAction } from '../deciding/decision-reasons.js';

/**
 * What the lane's state machine (lane-machine.ts) works on: its state, what goes in (the loop,
 * the barrier, decisions, actuation results, operators' actions, ticks) and what comes out (the
 * effects the controller carries out). Types only.
 */
export type LanePhase = 'idle' | 'present' | 'held' | 'denied' | 'opening' | 'open' | 'passed';

export interface LaneFlowSettings {
  /** A vehicle present, held or denied this long (ms) raises `vehicle-waiting`, once. */
  waitAlarmMs: number;
  /** After an open, no passage seen this long (ms) ends the vehicle's visit anyway. */
  passTimeoutMs: number;
  /** The plate of the vehicle just handled, read again within this long (ms), is not a new vehicle. */
  cooldownMs: number;
  /**
   * Without a closed limit, the boom counts as down this long (ms) after the vehicle passed:
   * another vehicle within it is tailgating, after it a new arrival.
   */
  boomCloseMs: number;
  /**
   * `opening` lasts at most this long (ms): longer than the driver can take to answer (see
   * openingTimeoutMs in src/barrier/factory.ts), so an answer lost on the way ends in a hold
   * with an alarm, never in a lane that refuses every open as busy for ever.
   */
  openingTimeoutMs: number;
}

/** A held vehicle waiting for the operator. (A type, not an interface: it goes on the wire as is.) */
export type Hold = {
  /** The event that created the hold (a `decision`, or a failed `barrier.actuation`). */
  holdId: string;
  plate: string | null;
  display: string | null;
  reason: string;
  detail: string;
  /** Wall time the hold was created. */
  createdAt: number;
};

export interface Vehicle {
  plate: string | null;
  display: string | null;
  /** The allow entry's paired plate (the other country's plate of the same truck). */
  pairedPlate: string | null;
  decisionId: string | null;
  /** Monotonic ms when the lane first knew of it. */
  arrivedAt: number;
}

export interface LaneMachineState {
  phase: LanePhase;
  /** Monotonic ms the phase was entered. */
  since: number;
  vehicle: Vehicle | null;
  /** Pending holds, oldest first; in phase `held`, holds[0] is the vehicle at the barrier. */
  holds: readonly Hold[];
  /** Last loop input; null when no loop is wired. */
  loop: boolean | null;
  barrier: BarrierState;
  /** Since the open: the vehicle was on the loop / the open limit was reached. */
  loopSeen: boolean;
  openSeen: boolean;
  waitAlarmed: boolean;
  /** The last vehicle whose visit ended, for the cooldown. */
  last: { plate: string | null; pairedPlate: string | null; endedAt: number } | null;
}

export type VehicleOutcome =
  /** Seen leaving: the loop cleared, or the boom went up and down again. */
  | 'passed'
  /** Opened, and nothing wired to see the vehicle pass: assumed after passTimeoutMs. */
  | 'passed-unconfirmed'
  /** Opened, and the inputs did not show a passage within passTimeoutMs. */
  | 'not-passed'
  /** Held or denied, and the loop cleared: the vehicle turned back (or, without a loop, the deny timed out). */
  | 'left'
  /** The operator refused the hold. */
  | 'refused';

export type LaneAlarm = 'tailgating' | 'barrier-not-opened' | 'vehicle-waiting';

/**
 * Why the barrier was opened: the lane's own decision, an operator's confirm or manual open, or
 * the gate releasing a held vehicle (`yard-room`: a place in the yard freed up; `yard-call`: the
 * vehicle was called forward).
 */
export type ActuationCause = 'decision' | 'confirm' | 'manual-open' | 'yard-room' | 'yard-call';

export type LaneEffect =
  | { kind: 'actuate'; cause: ActuationCause; holdId: string | null; decisionId: string | null; plate: string | null }
  /**
   * No answer to the open within openingTimeoutMs: the controller records the open as failed and
   * feeds that back as `actuated`, so the hold is named after a recorded event like any failed open.
   */
  | { kind: 'abandon-actuation'; detail: string }
  | { kind: 'alarm'; alarm: LaneAlarm; detail: string; plate: string | null }
  | {
      kind: 'vehicle';
      outcome: VehicleOutcome;
      plate: string | null;
      decisionId: string | null;
      holdId: string | null;
      /** Monotonic ms the lane dealt with the vehicle. */
      durationMs: number;
    };

export type LaneInput =
  | { type: 'loop'; occupied: boolean }
  | { type: 'barrier'; state: BarrierState }
  | {
      type: 'decided';
      /** The recorded decision event. */
      decisionId: string;
      action: DecisionAction;
      reason: string;
      detail: string;
      plate: string;
      display: string;
      pairedPlate: string | null;
      /** Wall time, for the hold. */
      at: number;
    }
  /** The barrier's answer to the last actuate; `eventId` is the recorded result. */
  | { type: 'actuated'; ok: boolean; detail: string; eventId: string; at: number }
  /** The held vehicle at the barrier goes through: an operator's confirm, or the gate's release (`cause`). */
  | { type: 'confirm'; holdId: string; cause?: 'confirm' | 'yard-room' | 'yard-call' }
  | { type: 'refuse'; holdId: string }
  | { type: 'manual-open' }
  | { type: 'tick' };

/** Why an operator's action was not taken; the lane is unchanged. */
export interface LaneRefusal {
  code: 'no-such-hold' | 'not-at-barrier' | 'busy';
  message: string;
}

export interface LaneStep {
  state: LaneMachineState;
  effects: LaneEffect[];
  refusal?: LaneRefusal;
}

/** How a new read fits the lane now. */
export type Admission =
  /** The vehicle already being handled (or just handled): not decided again. */
  | { kind: 'duplicate' }
  /** A new vehicle; `busy`: another one is at the barrier, so it must not open by itself. */
  | { kind: 'new'; busy: boolean; tailgating: boolean };
