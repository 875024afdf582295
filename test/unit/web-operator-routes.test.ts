import { Readable } from 'node:stream';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { describe, expect, it } from 'vitest';
import { LaneStoreError, type LaneController, type OperatorResult } from '../../src/lane/flow/lane-controller.js';
import { pageView } from '../../src/gate/page-view.js';
import { operatorRoutes } from '../../src/web/api-operator.js';
import type { GateView } from '../../src/web/gate-view.js';
import { HttpError, Router, type RequestContext } from '../../src/web/router.js';
import { FakeClock } from '../helpers/fake-clock.js';

/** The page's view of a lane whose controller answers every operator action with `answer`. */
function gateWith(answer: () => OperatorResult): Pick<GateView, 'lanes'> {
  const controller = { confirm: answer, refuse: answer, manualOpen: answer } as unknown as LaneController;
  return pageView({
    site: { id: 's', name: 'S' },
    bus: null as never,
    store: {} as never,
    lanes: [{ id: 'entry-1', name: 'Entry 1', direction: 'entry', controller }],
    link: () => ({ configured: false, connected: false }),
    snapshot: () => null as never,
    listsMaxAgeMs: 1,
    clock: new FakeClock(),
  });
}

async function post(
  gate: Pick<GateView, 'lanes'>,
  path: string,
): Promise<{ status: number; body: unknown } | HttpError> {
  const router = new Router();
  operatorRoutes(router, gate);
  const match = router.match('POST', path);
  if (!match || !('route' in match)) throw new Error(`no route ${path}`);
  const req = Object.assign(Readable.from([Buffer.from('{"reason":"ambulance"}')]), {
    headers: { 'content-type': 'application/json' },
  }) as unknown as IncomingMessage;
  let sent: { status: number; body: unknown } | null = null;
  const res = {
    writeHead(status: number) {
      sent = { status, body: null };
      return this;
    },
    setHeader() {},
    end(text: string) {
      sent!.body = JSON.parse(text);
    },
  } as unknown as ServerResponse;
  const ctx = {
    req,
    res,
    url: new URL(`http://x${path}`),
    params: match.params,
    session: { user: { username: 'op-1', role: 'operator' } },
  } as unknown as RequestContext;
  try {
    await match.route.handler(ctx);
  } catch (err) {
    if (err instanceof HttpError) return err;
    throw err;
  }
  return sent!;
}

describe('operator routes over the page view', () => {
  it.each(['/api/lanes/entry-1/open', '/api/lanes/entry-1/holds/h-1/confirm', '/api/lanes/entry-1/holds/h-1/refuse'])(
    '%s: a store that cannot record the action is 503 store-failed, not a 500',
    async (path) => {
      const gate = gateWith(() => {
        throw new LaneStoreError(new Error('database or disk is full'));
      });
      const answer = await post(gate, path);
      expect(answer).toBeInstanceOf(HttpError);
      expect(answer).toMatchObject({
        status: 503,
        code: 'store-failed',
        message: expect.stringContaining('database or disk is full'),
      });
    },
  );

  it('any other failure is left to the server (a 500)', async () => {
    const gate = gateWith(() => {
      throw new Error('a bug');
    });
    await expect(post(gate, '/api/lanes/entry-1/open')).rejects.toThrow('a bug');
  });

  it('a refusal of the lane is 409 conflict', async () => {
    const gate = gateWith(() => ({
      ok: false,
      refusal: { code: 'busy', message: 'the barrier is already being opened' },
    }));
    expect(await post(gate, '/api/lanes/entry-1/open')).toMatchObject({
      status: 409,
      code: 'conflict',
      message: 'the barrier is already being opened',
    });
  });

  it('an action done answers with its event, recorded with source page and the logged-in operator', async () => {
    const requests: unknown[] = [];
    const gate = gateWith(((request: unknown) => {
      requests.push(request);
      return { ok: true, event: { eventId: 'ev-1' } };
    }) as never);
    expect(await post(gate, '/api/lanes/entry-1/open')).toEqual({ status: 200, body: { eventId: 'ev-1' } });
    expect(requests).toEqual([{ operator: 'op-1', reason: 'ambulance', source: 'page' }]);
  });
});
