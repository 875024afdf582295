import {
  operatorActionRequestSchema,
  yardCallRequestSchema,
  yardCorrectionRequestSchema,
  type OperatorActionResponse,
  type YardsResponse,
} from './api-contract.js';
import { canonicalPlateQuery } from './api-events.js';
import type { GateView, PageYards, YardActionResult } from './gate-view.js';
import { HttpError, readJsonBody, sendJson, type RequestContext, type Router } from './router.js';

/**
 * GET /api/yards, and an operator's calls forward and corrections: recorded as the logged-in
 * operator, source `page`. 404 for an unknown yard (before the body is read), 400 naming the
 * field, 409 when the yard's state does not allow it, 503 when the store could not record it
 * (then nothing was done).
 */
export function yardRoutes(router: Router, gate: Pick<GateView, 'yards'>): void {
  router.get('/api/yards', 'viewer', ({ res }) => {
    sendJson(res, 200, { yards: gate.yards?.states() ?? [] } satisfies YardsResponse);
  });

  router.post('/api/yards/:yardId/calls', 'operator', async (ctx) => {
    const yards = yardsOf(gate, ctx.params.yardId!);
    const body = await readJsonBody(ctx.req, yardCallRequestSchema);
    reply(ctx, yards.call(ctx.params.yardId!, plateOf(body.plate), actionOf(ctx, body.reason)));
  });

  router.post('/api/yards/:yardId/calls/:callId/cancel', 'operator', async (ctx) => {
    const yards = yardsOf(gate, ctx.params.yardId!);
    const { reason } = await readJsonBody(ctx.req, operatorActionRequestSchema);
    reply(ctx, yards.cancelCall(ctx.params.yardId!, ctx.params.callId!, actionOf(ctx, reason)));
  });

  router.post('/api/yards/:yardId/corrections', 'operator', async (ctx) => {
    const yardId = ctx.params.yardId!;
    const yards = yardsOf(gate, yardId);
    const body = await readJsonBody(ctx.req, yardCorrectionRequestSchema);
    const action = actionOf(ctx, body.reason);
    reply(
      ctx,
      body.action === 'mark-left'
        ? yards.markLeft(yardId, body.visitId, action)
        : yards.addVehicle(
            yardId,
            {
              plate: plateOf(body.plate),
              ...(body.pairedPlate !== undefined && { pairedPlate: plateOf(body.pairedPlate) }),
              vehicleClass: body.vehicleClass,
              enteredAt: body.enteredAt,
            },
            action,
          ),
    );
  });
}

/** The gate's yards when `yardId` is one of them, or 404. */
function yardsOf(gate: Pick<GateView, 'yards'>, yardId: string): PageYards {
  const yards = gate.yards;
  if (!yards) throw new HttpError(404, 'not-found', `no yard ${yardId}: this gate has no yards`);
  if (!yards.has(yardId)) throw new HttpError(404, 'not-found', `no yard ${yardId}`);
  return yards;
}

/** Plates are kept canonical (letters and digits, upper case): `29c-123.45` is `29C12345`. */
function plateOf(typed: string): string {
  const plate = canonicalPlateQuery(typed);
  if (plate.length < 2) throw new HttpError(400, 'invalid', 'plate: at least 2 letters or digits');
  return plate;
}

function actionOf({ session }: RequestContext, reason: string) {
  return { operator: session!.user.username, reason };
}

const STATUS = { invalid: 400, 'not-found': 404, conflict: 409, 'store-failed': 503 } as const;

function reply({ res }: RequestContext, result: YardActionResult): void {
  if (result.ok) return sendJson(res, 200, { eventId: result.eventId } satisfies OperatorActionResponse);
  // Not the operator's fault when the store failed, and nothing was done: they may try again.
  throw new HttpError(STATUS[result.code], result.code, result.message);
}
