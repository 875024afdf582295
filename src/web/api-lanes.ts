import type { LaneState } from '../uplink/contract.js';
import type { LanesResponse, LaneView } from './api-contract.js';
import type { GateView, PageLane } from './gate-view.js';
import { HttpError, sendBytes, sendJson, type Router } from './router.js';
import type { AnnotatedFrames } from './types.js';

/** One lane as GET /api/lanes shows it: its name and direction with the MQTT lane state's parts. */
export function laneView(
  lane: Pick<PageLane, 'id' | 'name' | 'direction' | 'declarations'>,
  state: LaneState | undefined,
): LaneView {
  return {
    laneId: lane.id,
    name: lane.name,
    direction: lane.direction,
    declarations: lane.declarations ?? 'off',
    flow: state?.flow ?? null,
    barrier: state?.barrier ?? null,
    camera: state?.camera ?? null,
    reader: state?.reader ?? null,
  };
}

/** The lane named by the path, or 404. */
export function laneOf(gate: Pick<GateView, 'lanes'>, laneId: string): PageLane {
  const lane = gate.lanes.find((l) => l.id === laneId);
  if (!lane) throw new HttpError(404, 'not-found', `no lane ${laneId}`);
  return lane;
}

/** GET /api/lanes and GET /api/lanes/:laneId/frame. */
export function laneRoutes(router: Router, gate: GateView, frames: AnnotatedFrames | undefined): void {
  router.get('/api/lanes', 'viewer', ({ res }) => {
    const states = new Map(gate.snapshot().lanes.map((s) => [s.laneId, s]));
    sendJson(res, 200, { lanes: gate.lanes.map((l) => laneView(l, states.get(l.id))) } satisfies LanesResponse);
  });

  router.get('/api/lanes/:laneId/frame', 'viewer', async ({ params, res }) => {
    const lane = laneOf(gate, params.laneId!);
    const jpeg = frames ? await frames.latestJpeg(lane.id) : null;
    if (!jpeg) throw new HttpError(404, 'not-found', `no frame from ${lane.id} yet`);
    sendBytes(res, 200, 'image/jpeg', jpeg);
  });
}
