import { z } from 'zod';
import { isDay } from '../postcheck/site-day.js';
import type { GateView, PagePostcheck } from './gate-view.js';
import { HttpError, parseOrInvalid, sendBytes, sendJson, type RequestContext, type Router } from './router.js';

const postcheckQuery = z.object({
  day: z.string().refine(isDay, 'expected a date YYYY-MM-DD, e.g. 2026-12-04').optional(),
});

/**
 * GET /api/postcheck (a day's reconciliation of fee declarations) and GET /api/postcheck.csv
 * (its flagged passages, for a spreadsheet), for viewers: `day` is the site's local date,
 * today by default. 404 when no lane decides on fee declarations.
 */
export function postcheckRoutes(router: Router, gate: Pick<GateView, 'postcheck' | 'site'>): void {
  router.get('/api/postcheck', 'viewer', (ctx) => {
    const { postcheck, day } = dayOf(gate, ctx);
    sendJson(ctx.res, 200, postcheck.report(day));
  });

  router.get('/api/postcheck.csv', 'viewer', (ctx) => {
    const { postcheck, day } = dayOf(gate, ctx);
    // A byte-order mark, so a spreadsheet opens the file as UTF-8 (Vietnamese and Chinese plates and details).
    sendBytes(ctx.res, 200, 'text/csv; charset=utf-8', `\uFEFF${postcheck.csv(day)}`, {
      'Content-Disposition': `attachment; filename="postcheck-${gate.site.id}-${day}.csv"`,
    });
  });
}

function dayOf(gate: Pick<GateView, 'postcheck'>, { url }: RequestContext): { postcheck: PagePostcheck; day: string } {
  const postcheck = gate.postcheck;
  if (!postcheck)
    throw new HttpError(404, 'not-found', 'no post-check: no lane of this gate decides on fee declarations');
  // An empty `day=` is "today", as a form sends it.
  const raw = Object.fromEntries([...url.searchParams].filter(([k, v]) => k === 'day' && v !== ''));
  const q = parseOrInvalid(postcheckQuery, raw, 'query');
  return { postcheck, day: q.day ?? postcheck.today() };
}
