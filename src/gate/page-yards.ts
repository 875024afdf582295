import type { OperatorAction, PageYards, YardActionResult } from '../web/gate-view.js';
import { YardStoreError, type YardRefusalCode, type YardResult, type YardService } from '../yard/yard-service.js';

/**
 * How the page answers the yard's refusals: an unknown yard is not found; a field the yard
 * cannot take is bad input; the rest depend on what is in the yard now (a vehicle that left
 * meanwhile, a call already used or made), as a lane's refusals do.
 */
const PAGE_CODE: Readonly<Record<YardRefusalCode, 'not-found' | 'conflict' | 'invalid'>> = {
  'no-such-yard': 'not-found',
  'not-inside': 'conflict',
  'already-inside': 'conflict',
  'no-such-call': 'conflict',
  'already-called': 'conflict',
  invalid: 'invalid',
};

/** The page's view of the yards (src/web/gate-view.ts) over the YardService, as the logged-in operator from the page. */
export function pageYards(yards: YardService): PageYards {
  const request = (action: OperatorAction) => ({ ...action, source: 'page' as const });
  return {
    // Type-checks the yard's state against the page's API contract (YardView).
    states: () => yards.states(),
    has: (yardId) => yards.yardIds().includes(yardId),
    call: (yardId, plate, action) => answer(() => yards.call(yardId, plate, request(action))),
    cancelCall: (yardId, callId, action) => {
      const call = yards.state(yardId)?.calls.find((c) => c.callId === callId);
      if (!call) return { ok: false, code: 'conflict', message: `no open call ${callId} in ${yardId}` };
      return answer(() => yards.cancelCall(yardId, call.plate, request(action)));
    },
    markLeft: (yardId, visitId, action) => answer(() => yards.markLeft(yardId, { visitId }, request(action))),
    addVehicle: (yardId, vehicle, action) =>
      answer(() =>
        yards.addVehicle(
          yardId,
          {
            plate: vehicle.plate,
            ...(vehicle.pairedPlate !== undefined && { pairedPlate: vehicle.pairedPlate }),
            ...(vehicle.vehicleClass !== undefined && { vehicleClass: vehicle.vehicleClass }),
            ...(vehicle.enteredAt !== undefined && { enteredAt: vehicle.enteredAt }),
          },
          request(action),
        ),
      ),
  };
}

/** The yard's result as the page's: refusals and store failures are answers, not exceptions. */
function answer(run: () => YardResult): YardActionResult {
  try {
    const result = run();
    return result.ok
      ? { ok: true, eventId: result.event.eventId }
      : { ok: false, code: PAGE_CODE[result.code], message: result.message };
  } catch (err) {
    if (err instanceof YardStoreError) return { ok: false, code: 'store-failed', message: err.message };
    throw err;
  }
}
