import { readFileSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { z } from 'zod';
import { laneDecisionsSchema } from '../../src/config/decisions.js';
import { flowSchema } from '../../src/config/flow.js';
import { EventBus } from '../../src/core/bus.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { silentLogger } from '../../src/core/log.js';
import type { GateEvents } from '../../src/gate/build-gate.js';
import { LaneController } from '../../src/lane/flow/lane-controller.js';
import { LaneDecider } from '../../src/lane/deciding/decider.js';
import { PlateReadRecorder } from '../../src/lane/reading/plate-read-recorder.js';
import { parsePlate } from '../../src/plates/parse.js';
import type { VotedPlateRead } from '../../src/plates/voter.js';
import type { Store } from '../../src/store/store.js';
import type { GateSnapshot } from '../../src/uplink/contract.js';
import { pageView } from '../../src/gate/page-view.js';
import { postcheckDays } from '../../src/gate/postcheck-days.js';
import { PostcheckService } from '../../src/postcheck/postcheck-service.js';
import {
  errorResponseSchema,
  eventDetailResponseSchema,
  eventPayloadSchemas,
  eventsResponseSchema,
  healthResponseSchema,
  healthzResponseSchema,
  lanesResponseSchema,
  operatorActionResponseSchema,
  postcheckResponseSchema,
  sessionResponseSchema,
  streamMessageSchemas,
  yardsResponseSchema,
  type ApiEvent,
  type StreamEventName,
} from '../../src/web/api-contract.js';
import { MemorySessionStore } from '../../src/web/auth/sessions.js';
import { SlidingWindowLoginLimiter } from '../../src/web/auth/login-limiter.js';
import { WebServer } from '../../src/web/http-server.js';
import { FakeBarrier } from '../helpers/fake-barrier.js';
import { settle } from '../helpers/fake-serial-port.js';
import { useTempDirs } from '../helpers/store-fixtures.js';
import { FakeUsers } from '../helpers/fake-users.js';
import { yardSchema } from '../../src/config/yards.js';
import { YardService } from '../../src/yard/yard-service.js';
import { declaration } from '../helpers/postcheck-gate.js';

// The page is type-checked against src/web/api-contract.ts, and the handlers build their answers
// as its types; this test parses what a real server sends, on a real lane and store, with the
// same schemas. An answer with a field the contract does not name, or a value not of its type
// (what the type-check cannot see: JSON.stringify, casts, recorded payloads), fails here.

const LANE = 'entry-1';
const ALLOWED = '29C12345';
const NEAR_ALLOWED = '29C12346';
const DENIED = '51F99999';
const YARD = 'kth-yard';

function voted(text: string): VotedPlateRead {
  return {
    plate: parsePlate([text], { countries: ['VN', 'CN'] }),
    confidence: 0.93,
    votes: 3,
    reads: 4,
    box: { x: 4, y: 8, w: 120, h: 40 },
    frameAt: Date.UTC(2026, 10, 25, 3, 0, 0),
    firstSeenAt: 0,
    lastSeenAt: 0,
    trigger: 'agreed',
    crop: Buffer.from([0xff, 0xd8, 0xff, 0xd9]),
  };
}

/** Parses `body` with `schema` and checks nothing was dropped: the contract names every field sent. */
function expectExactly<S extends z.ZodType>(schema: S, body: unknown, what: string): z.infer<S> {
  const result = schema.safeParse(body);
  if (!result.success)
    throw new Error(
      `${what}: ${result.error.issues
        .slice(0, 3)
        .map((i) => `${i.path.join('.') || '(body)'}: ${i.message}`)
        .join('; ')}`,
    );
  expect(result.data, what).toEqual(body);
  return result.data;
}

const temp = useTempDirs();
let clock: FakeClock;
let store: Store;
let bus: EventBus<GateEvents>;
let controller: LaneController;
let recorder: PlateReadRecorder;
let yards: YardService;
let postcheck: PostcheckService;
let server: WebServer;

beforeEach(async () => {
  clock = new FakeClock(Date.UTC(2026, 10, 25, 3, 0, 0));
  store = temp.open(temp.make(), {}, clock);
  store.lists.applyFull('allow', 3, [{ key: ALLOWED, reason: 'resident' }]);
  store.lists.applyFull('deny', 2, [{ key: DENIED, reason: 'stolen', source: 'border-guard' }]);
  store.lists.applyFull('watch', 1, []);
  // The lane requires a fee declaration: the allowed vehicle has one, the near miss none (held, let through, flagged).
  store.lists.applyFull('declarations', 1, [declaration('D-1', ALLOWED, clock.now())]);
  bus = new EventBus<GateEvents>(silentLogger);
  recorder = new PlateReadRecorder({ bus, log: silentLogger }, store.events);
  await recorder.start();
  // The lane is the entry of a yard, whose overstay comes after a minute.
  yards = new YardService(
    { bus, log: silentLogger, clock },
    { sink: store.events, records: store.yards, lanes: () => [controller] },
    [yardSchema.parse({ id: YARD, capacity: 5, entryLanes: [LANE], overstayMinutes: [1] })],
  );
  postcheck = new PostcheckService(
    { bus, log: silentLogger, clock },
    { sink: store.events, records: store.postcheck },
    { modes: new Map([[LANE, 'required']]), timeZone: 'Asia/Ho_Chi_Minh', retentionDays: 90 },
  );
  const decider = new LaneDecider(
    { bus, log: silentLogger, clock },
    { sink: store.events, lists: store.lists, guard: yards, declarationUses: (id) => postcheck.usesOf(id) },
  );
  controller = new LaneController(
    { bus, log: silentLogger, clock },
    { decider, sink: store.events, barrier: new FakeBarrier() },
    {
      lane: { id: LANE, direction: 'entry', rules: laneDecisionsSchema.parse({ declarations: 'required' }) },
      flow: flowSchema.parse({ passTimeoutMs: 4000, cooldownMs: 1000 }),
      barrierDriver: 'lcus',
      loopWired: false,
      commandDeadlineMs: 2000,
      openingTimeoutMs: 10_000,
    },
  );
  await controller.start();
  await yards.start();
  await postcheck.start();
  const snapshot = (): GateSnapshot => {
    const { barrier, ...flow } = controller.snapshot();
    return {
      health: {
        bootId: store.bootId,
        version: 'test',
        ts: clock.now(),
        uptimeMs: 1000,
        outboxPending: store.events.pendingCount(),
        store: { usedBytes: 4096, quotaBytes: 1 << 20, quotaExceeded: false },
        lanes: [LANE],
      },
      lanes: [
        {
          laneId: LANE,
          ts: clock.now(),
          camera: {
            state: 'streaming',
            fpsIn: 25,
            fpsProcessed: 5,
            framesDropped: 2,
            lastFrameAgeMs: 40,
            restarts: 0,
            lastError: null,
          },
          reader: {
            framesProcessed: 10,
            framesSkippedNoMotion: 3,
            inferences: 7,
            lastInferenceMs: 84.5,
            platesEmitted: 4,
          },
          flow,
          barrier,
        },
      ],
    };
  };
  const gate = pageView({
    site: { id: 'mlt-kth', name: 'Ma Lù Thàng' },
    bus,
    store,
    lanes: [{ id: LANE, name: 'Làn vào 1', direction: 'entry', declarations: 'required', controller }],
    snapshot,
    link: () => ({ configured: true, connected: false }),
    listsMaxAgeMs: 24 * 3600_000,
    clock,
    yards,
    postcheck: { days: postcheckDays(store, 'Asia/Ho_Chi_Minh', clock), stats: () => postcheck.stats() },
  });
  server = new WebServer(
    { log: silentLogger },
    {
      gate,
      users: new FakeUsers({ 'tran.thi.b': { password: 'operator-pass', role: 'operator' } }),
      sessions: new MemorySessionStore(clock),
      limiter: new SlidingWindowLoginLimiter(clock),
    },
    { host: '127.0.0.1', port: 0 },
  );
  await server.start();
});

afterEach(async () => {
  await server.stop();
  await postcheck.stop();
  await yards.stop();
  await controller.stop();
  await recorder.stop();
});

async function call(
  method: 'GET' | 'POST',
  path: string,
  auth: { cookie?: string; csrf?: string } = {},
  body?: unknown,
): Promise<{ status: number; body: unknown }> {
  const headers: Record<string, string> = {};
  if (auth.cookie) headers.Cookie = auth.cookie;
  if (auth.csrf) headers['X-CSRF-Token'] = auth.csrf;
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  const res = await fetch(`${server.url}${path}`, {
    method,
    headers,
    ...(body !== undefined && { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : null };
}

/** The stream's messages as they arrive, until `stop`. */
function openStream(cookie: string) {
  const abort = new AbortController();
  const messages: { event: string; data: string }[] = [];
  let buffered = '';
  const done = (async () => {
    const res = await fetch(`${server.url}/api/stream`, { headers: { Cookie: cookie }, signal: abort.signal });
    expect(res.status).toBe(200);
    const reader = res.body!.getReader();
    const decoder = new TextDecoder();
    for (;;) {
      const chunk = await reader.read();
      if (chunk.done) return;
      buffered += decoder.decode(chunk.value, { stream: true });
      let end: number;
      while ((end = buffered.indexOf('\n\n')) >= 0) {
        const block = buffered.slice(0, end);
        buffered = buffered.slice(end + 2);
        const event = /^event: (.*)$/m.exec(block)?.[1];
        const data = /^data: (.*)$/m.exec(block)?.[1];
        if (event !== undefined && data !== undefined) messages.push({ event, data });
      }
    }
  })().catch((err: unknown) => {
    if ((err as Error).name !== 'AbortError') throw err;
  });
  return {
    messages,
    /** Waits (bounded) for `seen`. */
    async until(seen: () => boolean): Promise<void> {
      for (let i = 0; i < 200 && !seen(); i++) await new Promise((r) => setTimeout(r, 50));
    },
    async stop(): Promise<void> {
      abort.abort();
      await done;
    },
  };
}

/** Lets the lane's timers run: the open's answer, the pass timeout, the cooldown. */
async function tick(ms: number): Promise<void> {
  for (let t = 0; t < ms; t += 100) {
    clock.advance(100);
    await settle();
  }
}

describe('the page API contract (src/web/api-contract.ts)', () => {
  it('describes exactly what the server sends: sessions, lanes, yards, the post-check, events and their payloads, health, the stream, operator actions and errors', async () => {
    const login = await fetch(`${server.url}/api/login`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ username: 'tran.thi.b', password: 'operator-pass' }),
    });
    expect(login.status).toBe(200);
    const session = expectExactly(sessionResponseSchema, await login.json(), 'POST /api/login');
    expect(session.user).toEqual({ username: 'tran.thi.b', role: 'operator' });
    const cookie = login.headers.get('set-cookie')!.split(';')[0]!;
    const csrf = session.csrfToken;
    expectExactly(sessionResponseSchema, (await call('GET', '/api/session', { cookie })).body, 'GET /api/session');

    const stream = openStream(cookie);
    const count = (event: string) => stream.messages.filter((m) => m.event === event).length;
    // The first message, on attaching: from then on the stream gets everything.
    await stream.until(() => count('health') > 0);
    const read = (text: string) => bus.emit('plate.read', { laneId: LANE, read: voted(text) });
    // An allowed vehicle opens and passes; a near miss of it is held, confirmed and passes; a
    // denied one raises an alarm; an unreadable one is held with its raw text.
    read(ALLOWED);
    await tick(8000);
    read(NEAR_ALLOWED);
    await settle();
    const hold = controller.snapshot().holds[0]!;
    const confirm = await call(
      'POST',
      `/api/lanes/${LANE}/holds/${hold.holdId}/confirm`,
      { cookie, csrf },
      { reason: 'documents checked' },
    );
    expect(confirm.status).toBe(200);
    expectExactly(operatorActionResponseSchema, confirm.body, 'POST confirm');
    await tick(8000);
    read(DENIED);
    await tick(3000);
    read('ZZ');
    await tick(3000);
    // The yard: a call forward, a vehicle added by hand that overstays, a call cancelled, a vehicle marked as left.
    const post = async (path: string, body: unknown) => {
      const answer = await call('POST', `/api/yards/${YARD}${path}`, { cookie, csrf }, body);
      expect(answer.status, path).toBe(200);
      return expectExactly(operatorActionResponseSchema, answer.body, `POST ${path}`);
    };
    const called = await post('/calls', { plate: ALLOWED, reason: 'papers ready' });
    await post('/corrections', {
      action: 'add',
      plate: '云A·12345',
      enteredAt: clock.now() - 120_000,
      reason: 'lane was down',
    });
    await tick(6000);
    const yard = expectExactly(
      yardsResponseSchema,
      (await call('GET', '/api/yards', { cookie })).body,
      'GET /api/yards',
    );
    expect(yard.yards[0]!.vehicles.map((v) => [v.plate, v.overstay])).toEqual([
      ['云A12345', 1],
      [ALLOWED, 0],
      [NEAR_ALLOWED, 0],
    ]);
    await post(`/calls/${called.eventId}/cancel`, { reason: 'driver not ready' });
    await post('/corrections', {
      action: 'mark-left',
      visitId: yard.yards[0]!.vehicles[0]!.visitId,
      reason: 'seen leaving',
    });
    await stream.until(() => count('read') === 4 && count('yard') > 0 && count('postcheck') > 0);
    await stream.stop();

    // Every message of the stream.
    for (const { event, data } of stream.messages) {
      expect(Object.keys(streamMessageSchemas), event).toContain(event);
      expectExactly(streamMessageSchemas[event as StreamEventName], JSON.parse(data), `stream ${event}`);
    }
    expect(new Set(stream.messages.map((m) => m.event))).toEqual(new Set(Object.keys(streamMessageSchemas)));
    expect(count('read')).toBe(4);
    expect(stream.messages.filter((m) => m.event === 'read').map((m) => JSON.parse(m.data).read)).toContainEqual(
      expect.objectContaining({ valid: false, raw: 'ZZ' }),
    );

    // Events, and the payload fields the page reads of each type it shows.
    const listed = expectExactly(
      eventsResponseSchema,
      (await call('GET', '/api/events?limit=200', { cookie })).body,
      'GET /api/events',
    );
    const byType = new Map<string, ApiEvent[]>();
    for (const e of listed.events) byType.set(e.type, [...(byType.get(e.type) ?? []), e]);
    expect([...byType.keys()].sort()).toEqual(expect.arrayContaining(Object.keys(eventPayloadSchemas).sort()));
    for (const [type, schema] of Object.entries(eventPayloadSchemas)) {
      for (const e of byType.get(type) ?? []) {
        const result = schema.safeParse(e.payload);
        expect(result.success ? null : result.error.issues, `${type} payload ${JSON.stringify(e.payload)}`).toBeNull();
      }
    }
    const reads = byType.get('plate.read')!.map((e) => e.payload);
    expect(reads).toContainEqual(expect.objectContaining({ valid: false, raw: expect.any(String) }));
    expect(byType.get('decision')!.map((e) => e.payload)).toContainEqual(
      expect.objectContaining({ nearMiss: [expect.objectContaining({ plate: ALLOWED })] }),
    );
    const decision = byType.get('decision')!.at(-1)!;
    expectExactly(
      eventDetailResponseSchema,
      (await call('GET', `/api/events/${decision.eventId}`, { cookie })).body,
      'GET /api/events/:eventId',
    );

    expectExactly(lanesResponseSchema, (await call('GET', '/api/lanes', { cookie })).body, 'GET /api/lanes');
    // The post-check: the allowed vehicle passed on its declaration, the near miss was let through without one.
    const day = expectExactly(
      postcheckResponseSchema,
      (await call('GET', '/api/postcheck', { cookie })).body,
      'GET /api/postcheck',
    );
    expect(day.totals).toMatchObject({ passages: 2, declared: 1, undeclared: 1, flagged: 1 });
    expect(day.flagged).toEqual([expect.objectContaining({ plate: NEAR_ALLOWED, flagEventId: expect.any(String) })]);
    expectExactly(healthResponseSchema, (await call('GET', '/api/health', { cookie })).body, 'GET /api/health');
    expectExactly(healthzResponseSchema, (await call('GET', '/healthz')).body, 'GET /healthz');

    // Errors: every one in the one envelope, with a code of the contract.
    const errors = [
      { status: 401, answer: await call('GET', '/api/lanes') },
      { status: 403, answer: await call('POST', '/api/logout', { cookie }, {}) },
      { status: 404, answer: await call('GET', '/api/events/nope', { cookie }) },
      {
        status: 404,
        answer: await call(
          'POST',
          '/api/yards/nope/calls',
          { cookie, csrf },
          { plate: ALLOWED, reason: 'papers ready' },
        ),
      },
      { status: 405, answer: await call('POST', '/api/lanes', { cookie, csrf }, {}) },
      { status: 400, answer: await call('GET', '/api/postcheck?day=2026-13-01', { cookie }) },
      { status: 400, answer: await call('POST', `/api/lanes/${LANE}/open`, { cookie, csrf }, { reason: 'x' }) },
      {
        status: 409,
        answer: await call(
          'POST',
          `/api/lanes/${LANE}/holds/${hold.holdId}/confirm`,
          { cookie, csrf },
          { reason: 'documents checked' },
        ),
      },
      { status: 401, answer: await call('POST', '/api/login', {}, { username: 'tran.thi.b', password: 'wrong' }) },
    ];
    for (const { status, answer } of errors) {
      expect(answer.status).toBe(status);
      expectExactly(errorResponseSchema, answer.body, `error ${status}`);
    }
  });

  it('is checked against the page by npm run typecheck and npm test (tsconfig.page.json)', () => {
    const { scripts } = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
      scripts: Record<string, string>;
    };
    expect(scripts.typecheck).toContain('tsc -p tsconfig.page.json');
    expect(scripts.test).toContain('tsc -p tsconfig.page.json');
    const page = readFileSync(new URL('../../tsconfig.page.json', import.meta.url), 'utf8');
    expect(page).toContain('"checkJs": true');
    expect(page).toContain('src/web/static/js');
  });
});
