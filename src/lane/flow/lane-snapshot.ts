import type { BarrierStatus } from '../../barrier/types.js';
import type { Hold, LaneMachineState, LanePhase } from './lane-state.js';

/** The lane as the page, the MQTT lane state and the `lane.holds` command show it. */
export interface LaneSnapshot {
  phase: LanePhase;
  /** How long the lane has been in this phase, ms. */
  phaseAgeMs: number;
  /** The vehicle being handled (plate null: on the loop, not read yet). */
  vehicle: { plate: string | null; display: string | null } | null;
  /** Pending holds, oldest first; the first is at the barrier when phase is `held`. */
  holds: Hold[];
  /** The loop detector; null when none is wired. */
  loop: boolean | null;
  /** Null when the lane has no barrier driver (`driver: none`). */
  barrier: (BarrierStatus & { driver: string }) | null;
  /**
   * Why the lane's last write to the event store failed, while it has not worked since: what the
   * lane did meanwhile is not recorded (and an alarm about it may not be either). Null: it works.
   */
  storeError: string | null;
}

export function laneSnapshot(
  state: LaneMachineState,
  monotonicNow: number,
  barrier: LaneSnapshot['barrier'],
  storeError: string | null = null,
): LaneSnapshot {
  const v = state.vehicle;
  return {
    phase: state.phase,
    phaseAgeMs: Math.max(0, Math.round(monotonicNow - state.since)),
    vehicle: v ? { plate: v.plate, display: v.display } : null,
    holds: state.holds.map((h) => ({ ...h })),
    loop: state.loop,
    barrier,
    storeError,
  };
}
