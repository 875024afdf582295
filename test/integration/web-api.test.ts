import { request as httpRequest } from 'node:http';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { createBarrier, openingTimeoutMs } from '../../src/barrier/factory.js';
import { barrierSchema } from '../../src/config/barrier.js';
import { laneDecisionsSchema } from '../../src/config/decisions.js';
import { flowSchema } from '../../src/config/flow.js';
import { EventBus } from '../../src/core/bus.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { silentLogger } from '../../src/core/log.js';
import type { GateEvents } from '../../src/gate/build-gate.js';
import { LaneController } from '../../src/lane/flow/lane-controller.js';
import { LaneDecider } from '../../src/lane/deciding/decider.js';
import type { Store } from '../../src/store/store.js';
import type { GateSnapshot } from '../../src/uplink/contract.js';
import { pageView } from '../../src/gate/page-view.js';
import { WebServer } from '../../src/web/http-server.js';
import { SlidingWindowLoginLimiter } from '../../src/web/auth/login-limiter.js';
import type { LiveVideo, Session, SessionStore, User } from '../../src/web/types.js';
import { useTempDirs } from '../helpers/store-fixtures.js';
import { FakeUsers } from '../helpers/fake-users.js';
import { voted } from '../helpers/voted.js';

// A real WebServer on 127.0.0.1 with a real store and lane controller; the auth parts and the
// live video are small fakes of the interfaces in src/web/types.ts.

class FakeSessions implements SessionStore {
  private readonly sessions = new Map<string, Session>();
  private n = 0;
  create(user: User): Session {
    const s = { id: `session-${++this.n}`, user, csrfToken: `csrf-${this.n}`, createdAt: 0, lastSeenAt: 0 };
    this.sessions.set(s.id, s);
    return s;
  }
  get(id: string) {
    return this.sessions.get(id);
  }
  destroy(id: string) {
    this.sessions.delete(id);
  }
  destroyUser(username: string) {
    for (const [id, s] of this.sessions) if (s.user.username === username) this.sessions.delete(id);
  }
  prune() {
    return 0;
  }
  onEnd() {
    return () => {};
  }
}

class FakeLiveVideo implements LiveVideo {
  readonly upgrades: string[] = [];
  stopped = false;
  handleUpgrade(_req: IncomingMessage, socket: Duplex, _head: Buffer, laneId: string, sessionId: string) {
    this.upgrades.push(`${laneId} ${sessionId}`);
    socket.end('HTTP/1.1 418 Teapot\r\nContent-Length: 0\r\n\r\n');
  }
  closeSession() {}
  async stop() {
    this.stopped = true;
  }
  stats() {
    return { lanes: [] };
  }
}

const temp = useTempDirs();

interface Harness {
  server: WebServer;
  url: string;
  store: Store;
  bus: EventBus<GateEvents>;
  controller: LaneController;
  limiter: SlidingWindowLoginLimiter;
  liveVideo: FakeLiveVideo;
}

let h: Harness;

beforeEach(async () => {
  const clock = new FakeClock(Date.UTC(2026, 10, 25, 3, 0, 0));
  const store = temp.open(temp.make(), {}, clock);
  const bus = new EventBus<GateEvents>(silentLogger);
  const decider = new LaneDecider({ bus, log: silentLogger, clock }, { sink: store.events, lists: store.lists });
  const barrierConfig = barrierSchema.parse({ driver: 'none' });
  const built = createBarrier(barrierConfig, { clock, log: silentLogger, onStatus: () => {} });
  const controller = new LaneController(
    { bus, log: silentLogger, clock },
    { decider, sink: store.events, barrier: built?.driver ?? null },
    {
      lane: { id: 'entry-1', direction: 'entry', rules: laneDecisionsSchema.parse({}) },
      flow: flowSchema.parse({}),
      barrierDriver: barrierConfig.driver,
      loopWired: false,
      commandDeadlineMs: barrierConfig.commandDeadlineMs,
      openingTimeoutMs: openingTimeoutMs(barrierConfig),
    },
  );
  await controller.start();
  const snapshot = (): GateSnapshot => {
    const { barrier, ...flow } = controller.snapshot();
    return {
      health: {
        bootId: store.bootId,
        version: 'test',
        ts: clock.now(),
        uptimeMs: 1000,
        outboxPending: store.events.pendingCount(),
        store: { usedBytes: null, quotaBytes: 1 << 20, quotaExceeded: false },
        lanes: ['entry-1'],
      },
      lanes: [
        {
          laneId: 'entry-1',
          ts: clock.now(),
          camera: {
            state: 'streaming',
            fpsIn: 5,
            fpsProcessed: 5,
            framesDropped: 0,
            lastFrameAgeMs: 100,
            restarts: 0,
            lastError: null,
          },
          reader: {
            framesProcessed: 0,
            framesSkippedNoMotion: 0,
            inferences: 0,
            lastInferenceMs: null,
            platesEmitted: 0,
          },
          flow,
          barrier,
        },
      ],
    };
  };
  // The page's view as the gate builds it, over a real lane controller and store.
  const gate = pageView({
    site: { id: 'mlt-kth', name: 'Ma Lù Thàng' },
    bus,
    store,
    lanes: [{ id: 'entry-1', name: 'Làn vào 1', direction: 'entry', controller }],
    snapshot,
    link: () => ({ configured: false, connected: false }),
    listsMaxAgeMs: 24 * 3600_000,
    clock,
  });
  const staticDir = join(temp.make(), 'static');
  mkdirSync(join(staticDir, 'i18n'), { recursive: true });
  writeFileSync(join(staticDir, 'index.html'), '<!doctype html><title>smartgate</title>');
  writeFileSync(join(staticDir, 'i18n', 'vi.json'), '{"hello":"xin chào"}');
  const limiter = new SlidingWindowLoginLimiter(clock);
  const liveVideo = new FakeLiveVideo();
  const server = new WebServer(
    { log: silentLogger },
    {
      gate,
      users: new FakeUsers({
        'tran.thi.b': { password: 'operator-pass', role: 'operator' },
        viewer: { password: 'viewer-pass', role: 'viewer' },
      }),
      sessions: new FakeSessions(),
      limiter,
      liveVideo,
    },
    { host: '127.0.0.1', port: 0, staticDir },
  );
  await server.start();
  h = { server, url: server.url, store, bus, controller, limiter, liveVideo };
});

afterEach(async () => {
  await h.server.stop();
  await h.controller.stop();
});

async function login(username = 'tran.thi.b', password = 'operator-pass') {
  const res = await fetch(`${h.url}/api/login`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ username, password }),
  });
  const body = (await res.json()) as { csrfToken: string; user: User };
  const cookie = res.headers.get('set-cookie')?.split(';')[0] ?? '';
  return { res, body, cookie, csrf: body.csrfToken };
}

function post(path: string, cookie: string, csrf: string | null, body: unknown) {
  return fetch(`${h.url}${path}`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Cookie: cookie, ...(csrf !== null && { 'X-CSRF-Token': csrf }) },
    body: JSON.stringify(body),
  });
}

/** A raw request, so the path reaches the server exactly as written (fetch would normalise `..`). */
function rawGet(path: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(`${h.url}${path}`, { path }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode!, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('web API: sessions', () => {
  it('401 without a session, a HttpOnly SameSite=Strict cookie on login, 200 with it', async () => {
    const anonymous = await fetch(`${h.url}/api/events`);
    expect(anonymous.status).toBe(401);
    expect(await anonymous.json()).toEqual({ error: { code: 'unauthenticated', message: expect.any(String) } });
    expect(anonymous.headers.get('cache-control')).toBe('no-store');

    const { res, body, cookie } = await login();
    expect(res.status).toBe(200);
    expect(body).toEqual({ user: { username: 'tran.thi.b', role: 'operator' }, csrfToken: expect.any(String) });
    expect(res.headers.get('set-cookie')).toMatch(/^sg_session=[^;]+; HttpOnly; SameSite=Strict; Path=\/$/);

    const events = await fetch(`${h.url}/api/events`, { headers: { Cookie: cookie } });
    expect(events.status).toBe(200);
    expect(await events.json()).toEqual({ events: [], next: null });
    const session = await fetch(`${h.url}/api/session`, { headers: { Cookie: cookie } });
    expect(await session.json()).toEqual(body);
  });

  it('refuses a POST without the X-CSRF-Token (403 csrf), logs out with it', async () => {
    const { cookie, csrf } = await login();
    const noToken = await post('/api/logout', cookie, null, {});
    expect(noToken.status).toBe(403);
    expect(((await noToken.json()) as { error: { code: string } }).error.code).toBe('csrf');
    expect((await post('/api/logout', cookie, 'wrong', {})).status).toBe(403);
    const out = await post('/api/logout', cookie, csrf, {});
    expect(out.status).toBe(204);
    expect(out.headers.get('set-cookie')).toContain('Max-Age=0');
    expect((await fetch(`${h.url}/api/session`, { headers: { Cookie: cookie } })).status).toBe(401);
  });

  it('answers bad-credentials, then 429 with Retry-After after 5 failures', async () => {
    const statuses: number[] = [];
    let last: Response | undefined;
    for (let i = 0; i < 6; i++) {
      last = (await login('tran.thi.b', 'wrong-password')).res;
      statuses.push(last.status);
    }
    expect(statuses).toEqual([401, 401, 401, 401, 401, 429]);
    expect(last!.headers.get('retry-after')).toBe('900');
    const locked = await fetch(`${h.url}/api/login`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ username: 'tran.thi.b', password: 'operator-pass' }),
    });
    expect(locked.status).toBe(429);
    expect(((await locked.json()) as { error: { code: string } }).error.code).toBe('rate-limited');
    expect(h.limiter.tracked()).toEqual({ ips: 1, usernames: 1 });
  });

  it('400 invalid naming the field for a malformed login', async () => {
    const res = await fetch(`${h.url}/api/login`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ username: 'x' }),
    });
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({ error: { code: 'invalid', message: expect.stringMatching(/^password:/) } });
  });
});

describe('web API: operator actions', () => {
  it('confirms a hold as the logged-in operator, source page; a viewer is forbidden; a repeat conflicts', async () => {
    h.controller.onRead(voted('29C99999')); // no lists yet: held
    const hold = h.controller.snapshot().holds[0]!;
    expect(hold).toBeDefined();
    const path = `/api/lanes/entry-1/holds/${hold.holdId}/confirm`;

    const viewer = await login('viewer', 'viewer-pass');
    const forbidden = await post(path, viewer.cookie, viewer.csrf, { reason: 'documents checked' });
    expect(forbidden.status).toBe(403);
    expect(((await forbidden.json()) as { error: { code: string } }).error.code).toBe('forbidden');

    const op = await login();
    const short = await post(path, op.cookie, op.csrf, { reason: 'ok' });
    expect(short.status).toBe(400);
    expect(((await short.json()) as { error: { message: string } }).error.message).toMatch(/^reason:/);

    const ok = await post(path, op.cookie, op.csrf, { reason: 'documents checked' });
    expect(ok.status).toBe(200);
    const { eventId } = (await ok.json()) as { eventId: string };
    const event = h.store.events.get(eventId)!.event;
    expect(event.type).toBe('operator.action');
    expect(event.payload).toMatchObject({
      action: 'confirm',
      holdId: hold.holdId,
      operator: 'tran.thi.b',
      source: 'page',
      reason: 'documents checked',
    });

    const again = await post(path, op.cookie, op.csrf, { reason: 'documents checked' });
    expect(again.status).toBe(409);
    expect(((await again.json()) as { error: { code: string } }).error.code).toBe('conflict');
    expect((await post('/api/lanes/nope/open', op.cookie, op.csrf, { reason: 'test open' })).status).toBe(404);

    // The decision and the operator's action, in the list and as one vehicle.
    const list = (await (
      await fetch(`${h.url}/api/events?lane=entry-1&plate=29c-999`, { headers: { Cookie: op.cookie } })
    ).json()) as { events: { eventId: string; type: string; delivered: boolean }[] };
    // Newest first: the open the confirm asked for, the action, the decision.
    expect(list.events.map((e) => e.type)).toEqual(['barrier.actuation', 'operator.action', 'decision']);
    const detail = (await (
      await fetch(`${h.url}/api/events/${eventId}`, { headers: { Cookie: op.cookie } })
    ).json()) as { event: { eventId: string }; related: { type: string }[] };
    expect(detail.event.eventId).toBe(eventId);
    expect(detail.related.map((e) => e.type)).toContain('decision');
    expect((await fetch(`${h.url}/api/events?limit=500`, { headers: { Cookie: op.cookie } })).status).toBe(400);
  });
});

describe('web API: a gate without yards', () => {
  it('lists no yard, and has none to call from or correct (404)', async () => {
    const viewer = await login('viewer', 'viewer-pass');
    const res = await fetch(`${h.url}/api/yards`, { headers: { Cookie: viewer.cookie } });
    expect(await res.json()).toEqual({ yards: [] });
    const op = await login();
    for (const [path, body] of [
      ['/api/yards/kth-yard/calls', { plate: '29C12345', reason: 'papers ready' }],
      ['/api/yards/kth-yard/corrections', { action: 'add', plate: '29C12345', reason: 'lane was down' }],
    ] as const) {
      const answer = await post(path, op.cookie, op.csrf, body);
      expect(answer.status, path).toBe(404);
      expect(await answer.json(), path).toEqual({
        error: { code: 'not-found', message: 'no yard kth-yard: this gate has no yards' },
      });
    }
  });
});

describe('web API: evidence frames', () => {
  it('serves a decision’s frame as image/jpeg and marks it in the listing; 404 without one', async () => {
    h.controller.onRead(voted('29C88888'));
    const viewer = await login('viewer', 'viewer-pass');
    const auth = { headers: { Cookie: viewer.cookie } };
    const listed = async () =>
      (
        (await (await fetch(`${h.url}/api/events?lane=entry-1&type=decision`, auth)).json()) as {
          events: { eventId: string; hasFrame: boolean }[];
        }
      ).events[0]!;
    const decision = await listed();
    expect(decision.hasFrame).toBe(false);
    expect((await fetch(`${h.url}/api/events/${decision.eventId}/frame`, auth)).status).toBe(404);
    expect((await fetch(`${h.url}/api/events/${decision.eventId}/frame`)).status).toBe(401);

    const jpeg = Buffer.from([0xff, 0xd8, 0xff, 0xe0, 1, 2, 3, 0xff, 0xd9]);
    await h.store.frames.write(decision.eventId, jpeg);
    expect((await listed()).hasFrame).toBe(true);
    const detail = (await (await fetch(`${h.url}/api/events/${decision.eventId}`, auth)).json()) as {
      event: { hasFrame: boolean };
    };
    expect(detail.event.hasFrame).toBe(true);
    const res = await fetch(`${h.url}/api/events/${decision.eventId}/frame`, auth);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('image/jpeg');
    expect(Buffer.from(await res.arrayBuffer())).toEqual(jpeg);
  });
});

describe('web API: lanes, health, metrics', () => {
  it('lists the lanes with flow, barrier, camera and reader', async () => {
    const { cookie } = await login('viewer', 'viewer-pass');
    const body = (await (await fetch(`${h.url}/api/lanes`, { headers: { Cookie: cookie } })).json()) as {
      lanes: Record<string, unknown>[];
    };
    expect(body.lanes).toEqual([
      expect.objectContaining({
        laneId: 'entry-1',
        name: 'Làn vào 1',
        direction: 'entry',
        barrier: null,
        flow: expect.objectContaining({ phase: 'idle' }),
        camera: expect.objectContaining({ state: 'streaming' }),
      }),
    ]);
    const health = (await (await fetch(`${h.url}/api/health`, { headers: { Cookie: cookie } })).json()) as Record<
      string,
      unknown
    >;
    expect(Object.keys(health)).toEqual(['site', 'health', 'link', 'lists', 'lanes']);
    expect(health.site).toEqual({ id: 'mlt-kth', name: 'Ma Lù Thàng' });
    expect((await fetch(`${h.url}/api/lanes/entry-1/frame`, { headers: { Cookie: cookie } })).status).toBe(404);
  });

  it('/healthz is ok without a login; /metrics parses', async () => {
    const healthz = await fetch(`${h.url}/healthz`);
    expect(healthz.status).toBe(200);
    expect(await healthz.json()).toEqual({ status: 'ok' });

    const metrics = await fetch(`${h.url}/metrics`);
    expect(metrics.status).toBe(200);
    expect(metrics.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
    const lines = (await metrics.text()).trimEnd().split('\n');
    for (const line of lines)
      expect(line).toMatch(/^(# (HELP|TYPE) \w+ .*|\w+(\{[^}]*\})? [-+\d.eE]+|\w+(\{[^}]*\})? (NaN|[+-]Inf))$/);
    expect(lines).toContain('smartgate_up 1');
    expect(lines).toContain('smartgate_decisions_total{lane="entry-1",action="hold"} 0');
  });

  it('sets the security headers on every answer', async () => {
    for (const path of ['/', '/healthz', '/api/lanes', '/nope']) {
      const res = await fetch(`${h.url}${path}`);
      // Inline styles: only the JSMpeg bundle's, empty and filled (its two hashes).
      expect(res.headers.get('content-security-policy')).toMatch(
        /^default-src 'self'; img-src 'self' data: blob:; connect-src 'self'; style-src 'self' 'sha256-[A-Za-z0-9+/]{43}=' 'sha256-[A-Za-z0-9+/]{43}='; script-src 'self'$/,
      );
      expect(res.headers.get('x-content-type-options')).toBe('nosniff');
      expect(res.headers.get('referrer-policy')).toBe('no-referrer');
      expect(res.headers.get('x-frame-options')).toBe('DENY');
    }
  });
});

describe('web API: live updates', () => {
  it('delivers a lane event on the stream within a second of a bus emit', async () => {
    const { cookie } = await login('viewer', 'viewer-pass');
    const abort = new AbortController();
    const res = await fetch(`${h.url}/api/stream`, { headers: { Cookie: cookie }, signal: abort.signal });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const reader = res.body!.getReader();
    const decoder = new TextDecoder();
    let text = '';
    const started = Date.now();
    h.bus.emit('lane.state', { laneId: 'entry-1', state: h.controller.snapshot() });
    while (!text.includes('event: lane\n') && Date.now() - started < 1000) {
      const chunk = await Promise.race([reader.read(), new Promise<null>((r) => setTimeout(() => r(null), 1000))]);
      if (!chunk || chunk.done) break;
      text += decoder.decode(chunk.value, { stream: true });
    }
    abort.abort();
    expect(text).toContain('event: health\n');
    const lane = /event: lane\ndata: (.*)\n\n/.exec(text);
    expect(lane).not.toBeNull();
    expect(JSON.parse(lane![1]!)).toEqual({
      laneId: 'entry-1',
      state: { flow: expect.objectContaining({ phase: 'idle' }), barrier: null },
    });
  });

  it('removes its bus listeners on stop', async () => {
    expect(h.bus.listenerCount('lane.recorded')).toBe(1);
    await h.server.stop();
    expect(h.bus.listenerCount('lane.recorded')).toBe(0);
    expect(h.liveVideo.stopped).toBe(true);
    await h.server.start(); // for afterEach
  });
});

describe('web API: static files and video', () => {
  it('serves the page and its files, refuses path traversal', async () => {
    const page = await fetch(`${h.url}/`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
    const json = await fetch(`${h.url}/static/i18n/vi.json`);
    expect(json.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(await json.json()).toEqual({ hello: 'xin chào' });
    const vendor = await fetch(`${h.url}/vendor/jsmpeg-player.umd.min.js`);
    expect(vendor.status).toBe(200);
    expect(vendor.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    await vendor.arrayBuffer();
    for (const path of [
      '/static/../../package.json',
      '/static/..%2f..%2fpackage.json',
      '/static/%2e%2e/%2e%2e/package.json',
      '/static/i18n/..%5c..%5cpackage.json',
      '/static/%00',
    ]) {
      const res = await rawGet(path);
      expect(res.status, path).toBe(404);
      expect(res.body).not.toContain('"name": "smartgate"');
    }
  });

  it('refuses a video WebSocket without a session (401) or from another origin (403); hands over one with', async () => {
    const wsUrl = `${h.url.replace('http', 'ws')}/api/lanes/entry-1/video`;
    const status = (headers: Record<string, string>) =>
      new Promise<number>((resolve, reject) => {
        const ws = new WebSocket(wsUrl, { headers });
        ws.on('unexpected-response', (_req, res) => {
          resolve(res.statusCode!);
          ws.terminate();
        });
        ws.on('open', () => reject(new Error('opened')));
        ws.on('error', () => {});
      });
    expect(await status({})).toBe(401);
    expect(h.liveVideo.upgrades).toEqual([]);
    const { cookie } = await login('viewer', 'viewer-pass');
    expect(await status({ Cookie: cookie, Origin: 'http://evil.example' })).toBe(403);
    expect(await status({ Cookie: cookie, Origin: h.url })).toBe(418);
    expect(h.liveVideo.upgrades).toEqual([`entry-1 ${cookie.slice('sg_session='.length)}`]);
  });
});
