import { LaneStoreError, type OperatorRequest, type OperatorResult } from '../lane/lane-controller.js';
import { operatorActionRequestSchema, type OperatorActionResponse } from './api-contract.js';
import { laneOf } from './api-lanes.js';
import type { GateView } from './gate-view.js';
import { HttpError, readJsonBody, sendJson, type RequestContext, type Router } from './router.js';

/**
 * POST holds/:holdId/confirm, holds/:holdId/refuse and open: recorded as the logged-in operator,
 * source `page`. 409 when the lane's state does not allow it, 503 when the store could not
 * record it (then nothing was done).
 */
export function operatorRoutes(router: Router, gate: Pick<GateView, 'lanes'>): void {
  const handle =
    (run: (params: Record<string, string>, request: OperatorRequest) => OperatorResult) =>
    async ({ req, res, params, session }: RequestContext) => {
      laneOf(gate, params.laneId!); // 404 before the body is read
      const { reason } = await readJsonBody(req, operatorActionRequestSchema);
      let result: OperatorResult;
      try {
        result = run(params, { operator: session!.user.username, reason, source: 'page' });
      } catch (err) {
        // Not the operator's fault and nothing was done: say so, so they can try again or radio.
        if (err instanceof LaneStoreError) throw new HttpError(503, 'store-failed', err.message);
        throw err;
      }
      if (!result.ok) throw new HttpError(409, 'conflict', result.refusal.message);
      sendJson(res, 200, { eventId: result.event.eventId } satisfies OperatorActionResponse);
    };

  router.post(
    '/api/lanes/:laneId/holds/:holdId/confirm',
    'operator',
    handle((p, request) => laneOf(gate, p.laneId!).controller.confirm(p.holdId!, request)),
  );
  router.post(
    '/api/lanes/:laneId/holds/:holdId/refuse',
    'operator',
    handle((p, request) => laneOf(gate, p.laneId!).controller.refuse(p.holdId!, request)),
  );
  router.post(
    '/api/lanes/:laneId/open',
    'operator',
    handle((p, request) => laneOf(gate, p.laneId!).controller.manualOpen(request)),
  );
}
