/**
 * Every reason a lane decides as it does, in the order decide() checks them (see
 * docs/decisions.md), with the action and alarm each one carries.
 */
import type { DecisionAction } from '../../domain/decisions.js';

export type { DecisionAction } from '../../domain/decisions.js';

export const DECISION_REASONS = [
  'deny-list',
  'watch-list',
  'unreadable',
  'low-confidence',
  'lists-stale',
  'kind-not-allowed',
  'outside-hours',
  'unknown-plate',
  'permit-not-yet-valid',
  'permit-expired',
  'wrong-lane',
  'wrong-direction',
  'pairing-mismatch',
  'not-declared',
  'declaration-used',
  'declared',
  'undeclared',
  'allowed',
] as const;
export type ReasonCode = (typeof DECISION_REASONS)[number];

/**
 * Not decide()'s: the lane turns an `allowed` open into this hold when another vehicle is at the
 * barrier, since opening then would let whoever is in front through.
 */
export const LANE_BUSY = 'lane-busy' as const;
/**
 * Not decide()'s either: the gate's yard (src/yard) turns an `allowed` open into one of these
 * holds: at an entry lane when the yard has no place for the vehicle, at an exit lane that lets
 * out only vehicles called forward when it was not called, or not yet its turn.
 */
export const GATE_HOLD_REASONS = ['yard-full', 'not-called'] as const;
export type GateHoldReason = (typeof GATE_HOLD_REASONS)[number];
export type LaneReasonCode = ReasonCode | typeof LANE_BUSY | GateHoldReason;

/** Only a plate on the deny or watch list raises an alarm; a hold waits for the operator. An open may still be flagged for the post-check. */
export const REASON_OUTCOME: Readonly<Record<ReasonCode, { action: DecisionAction; alarm: boolean }>> = {
  'deny-list': { action: 'deny', alarm: true },
  'watch-list': { action: 'deny', alarm: true },
  unreadable: { action: 'hold', alarm: false },
  'low-confidence': { action: 'hold', alarm: false },
  'lists-stale': { action: 'hold', alarm: false },
  'kind-not-allowed': { action: 'hold', alarm: false },
  'outside-hours': { action: 'hold', alarm: false },
  'unknown-plate': { action: 'hold', alarm: false },
  'permit-not-yet-valid': { action: 'hold', alarm: false },
  'permit-expired': { action: 'hold', alarm: false },
  'wrong-lane': { action: 'hold', alarm: false },
  'wrong-direction': { action: 'hold', alarm: false },
  'pairing-mismatch': { action: 'hold', alarm: false },
  'not-declared': { action: 'hold', alarm: false },
  'declaration-used': { action: 'hold', alarm: false },
  declared: { action: 'open', alarm: false },
  // Post-check: let through, and flagged for the check afterwards (docs/postcheck.md).
  undeclared: { action: 'open', alarm: false },
  allowed: { action: 'open', alarm: false },
};
