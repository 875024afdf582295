import type { LANE_DIRECTIONS } from '../../config/lane.js';
import type { ParsedPlate } from '../../plates/types.js';
import type { Decision } from './decide.js';

/**
 * The payload of a store event of type `decision` (src/store/types.ts): what was decided, why,
 * on which read (and the vehicle's other plates, as given to decide) and which list versions, so central can audit a decision without the gate.
 * Pure; the lane id rides in the event envelope.
 */
export function decisionEvent(
  result: Decision,
  read: { plate: ParsedPlate; confidence: number; votes: number },
  lane: { id: string; direction: (typeof LANE_DIRECTIONS)[number] },
  otherReads: readonly ParsedPlate[] = [],
): Record<string, unknown> {
  const { plate } = read;
  return {
    action: result.action,
    reason: result.reason,
    alarm: result.alarm,
    detail: result.detail,
    direction: lane.direction,
    plate: {
      text: plate.text,
      display: plate.display,
      country: plate.country,
      kind: plate.kind,
      valid: plate.valid,
      ...(plate.reason !== undefined ? { reason: plate.reason } : {}),
    },
    confidence: read.confidence,
    votes: read.votes,
    ...(otherReads.length > 0 ? { otherPlates: otherReads.map((p) => p.text) } : {}),
    ...(result.matched ? { matched: { list: result.matched.list, ...result.matched.entry } } : {}),
    ...(result.declaration
      ? {
          declaration: {
            id: result.declaration.id,
            plate: result.declaration.plate,
            vehicleClass: result.declaration.vehicleClass,
            passages: result.declaration.passages,
            validUntil: result.declaration.validUntil,
            feeRef: result.declaration.feeRef,
          },
        }
      : {}),
    ...(result.postcheck ? { postcheck: result.postcheck } : {}),
    ...(result.hints.nearMiss ? { nearMiss: result.hints.nearMiss } : {}),
    listVersions: result.listVersions,
    staleLists: result.staleLists,
  };
}
