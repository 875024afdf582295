import type { HealthResponse, HealthzResponse } from './api-contract.js';
import type { GateView } from './gate-view.js';
import { METRICS_CONTENT_TYPE, renderMetrics } from './metrics.js';
import { sendBytes, sendJson, type Router } from './router.js';
import type { WebMetrics } from './web-counters.js';

/** GET /api/health's body (and the stream's `health` message). */
export function healthView(gate: Pick<GateView, 'site' | 'snapshot' | 'link' | 'lists'>): HealthResponse {
  const snapshot = gate.snapshot();
  return {
    site: gate.site,
    health: snapshot.health,
    link: gate.link(),
    lists: gate.lists(),
    lanes: snapshot.lanes.map((l) => ({
      laneId: l.laneId,
      camera: l.camera,
      barrier: l.barrier,
      inferenceMs: l.reader.lastInferenceMs,
    })),
  };
}

/** What makes /healthz answer 503: a camera not streaming, a barrier in fault, the store over quota. */
export function healthProblems(gate: Pick<GateView, 'snapshot'>): string[] {
  const { health, lanes } = gate.snapshot();
  const problems: string[] = [];
  for (const l of lanes) {
    if (l.camera.state !== 'streaming') problems.push(`${l.laneId}: camera ${l.camera.state}`);
    if (l.barrier?.state === 'fault')
      problems.push(`${l.laneId}: barrier fault${l.barrier.lastError ? `: ${l.barrier.lastError}` : ''}`);
  }
  if (health.store.quotaExceeded) problems.push('store over quota');
  return problems;
}

/** GET /api/health (viewer), GET /healthz and GET /metrics (no login). */
export function healthRoutes(router: Router, gate: GateView, web?: () => WebMetrics): void {
  router.get('/api/health', 'viewer', ({ res }) => sendJson(res, 200, healthView(gate)));

  router.get('/healthz', null, ({ res }) => {
    const problems = healthProblems(gate);
    if (problems.length === 0) sendJson(res, 200, { status: 'ok' } satisfies HealthzResponse);
    else sendJson(res, 503, { status: 'degraded', problems } satisfies HealthzResponse);
  });

  router.get('/metrics', null, ({ res }) => {
    const text = renderMetrics({
      snapshot: gate.snapshot(),
      controllers: gate.controllers(),
      uplinkConnected: gate.link().connected,
      web: web?.(),
      yards: gate.yardMetrics?.() ?? null,
      postcheck: gate.postcheckMetrics?.() ?? null,
    });
    sendBytes(res, 200, METRICS_CONTENT_TYPE, text);
  });
}
