import type { OpenResult } from '../../barrier/types.js';
import type { ActuationCause } from './lane-state.js';

/**
 * The payloads of `barrier.actuation` events (docs/lanes.md, Events), for the lane controller
 * and `smartgate barrier`, which record an open the same way.
 */

/** Recorded before anything is sent. `source: 'cli'`: asked for by `smartgate barrier`, not by a lane. */
export function requestedPayload(request: {
  cause: ActuationCause;
  holdId: string | null;
  decisionId: string | null;
  plate: string | null;
  driver: string;
  deadlineMs: number;
  source?: 'cli';
}): Record<string, unknown> {
  return { phase: 'requested', ...request };
}

/** The lane stopped waiting for the driver's answer (opening deadline): recorded as this failure. */
export type NoAnswer = { ok: false; reason: 'no-answer'; error: string; sent: string[] };

export interface ActuationOutcome {
  ok: boolean;
  /** For the machine's hold and alarm. */
  detail: string;
  payload: Record<string, unknown>;
}

/** The barrier's answer as the `result` event. `result` null: the lane has no barrier driver. */
export function resultPayload(
  result: OpenResult | NoAnswer | null,
  common: { requestId: string; cause: unknown; driver: string; durationMs: number },
): ActuationOutcome {
  const base = { phase: 'result', ...common };
  if (result === null) {
    return {
      ok: true,
      detail: 'no barrier driver configured: nothing sent',
      payload: { ...base, ok: true, outcome: 'no-barrier', sent: [], confirmed: false },
    };
  }
  if (result.ok) {
    const outcome = result.confirmed ? 'opened' : 'sent';
    const detail = result.confirmed ? 'open limit reached' : 'open sent (no open limit wired)';
    return {
      ok: true,
      detail,
      payload: { ...base, ok: true, outcome, sent: result.sent, confirmed: result.confirmed },
    };
  }
  return {
    ok: false,
    detail: `${result.reason}: ${result.error}`,
    payload: { ...base, ok: false, outcome: result.reason, error: result.error, sent: result.sent, confirmed: false },
  };
}
