import { operatorActionRequestSchema, type OperatorActionResponse } from './api-contract.js';
import { laneOf } from './api-lanes.js';
import type { GateView, OperatorAction, OperatorActionResult, PageLane } from './gate-view.js';
import { HttpError, readJsonBody, sendJson, type RequestContext, type Router } from './router.js';

/**
 * POST holds/:holdId/confirm, holds/:holdId/refuse and open: recorded as the logged-in operator,
 * source `page`. 409 when the lane's state does not allow it, 503 when the store could not
 * record it (then nothing was done).
 */
export function operatorRoutes(router: Router, gate: Pick<GateView, 'lanes'>): void {
  const handle =
    (run: (lane: PageLane, params: Record<string, string>, action: OperatorAction) => OperatorActionResult) =>
    async ({ req, res, params, session }: RequestContext) => {
      const lane = laneOf(gate, params.laneId!); // 404 before the body is read
      const { reason } = await readJsonBody(req, operatorActionRequestSchema);
      const result = run(lane, params, { operator: session!.user.username, reason });
      if (result.ok) return sendJson(res, 200, { eventId: result.eventId } satisfies OperatorActionResponse);
      // Not the operator's fault when the store failed, and nothing was done: they may try again.
      throw result.code === 'store-failed'
        ? new HttpError(503, 'store-failed', result.message)
        : new HttpError(409, 'conflict', result.message);
    };

  router.post(
    '/api/lanes/:laneId/holds/:holdId/confirm',
    'operator',
    handle((lane, p, action) => lane.confirm(p.holdId!, action)),
  );
  router.post(
    '/api/lanes/:laneId/holds/:holdId/refuse',
    'operator',
    handle((lane, p, action) => lane.refuse(p.holdId!, action)),
  );
  router.post(
    '/api/lanes/:laneId/open',
    'operator',
    handle((lane, _p, action) => lane.open(action)),
  );
}
