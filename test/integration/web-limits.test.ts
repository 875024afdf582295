import { execFile } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { connect, type Socket } from 'node:net';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import type { GroupProcess } from '../../src/camera/process-group.js';
import { EventBus } from '../../src/core/bus.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { silentLogger } from '../../src/core/log.js';
import type { GateEvents } from '../../src/gate/build-gate.js';
import type { Store } from '../../src/store/store.js';
import { EventAuthAudit } from '../../src/web/auth/audit.js';
import { SlidingWindowLoginLimiter } from '../../src/web/auth/login-limiter.js';
import { MemorySessionStore } from '../../src/web/auth/sessions.js';
import type { GateView } from '../../src/web/gate-view.js';
import { WebServer, type WebServerOptions } from '../../src/web/http-server.js';
import { liveStreams } from '../../src/camera/live-stream.js';
import { LiveVideoServer } from '../../src/web/live-video.js';
import type { Role, User, UserDirectory, VerifiedUser } from '../../src/web/types.js';
import { builtCli } from '../helpers/demo-clip.js';
import { waitFor } from '../helpers/processes.js';
import { useTempDirs } from '../helpers/store-fixtures.js';
import { makeTestPki } from '../helpers/test-pki.js';

// The page's server under abuse, on loopback: parallel password guesses, connection floods,
// slow clients, streams outliving their session, and HTTPS. Real limiter, sessions, live-video
// server and event store; the accounts are a directory that counts its password checks and can
// hold them, so "how many were checked" is counted rather than timed.

const PASSWORD = 'the right passphrase';

/** Accounts whose password checks are counted, and held while `hold()` is on. */
class CountingUsers implements UserDirectory {
  checks = 0;
  pending = 0;
  private gate: Promise<void> | null = null;
  private open: () => void = () => {};
  constructor(private readonly accounts: Record<string, Role>) {}
  hold(): void {
    this.gate = new Promise((resolve) => (this.open = resolve));
  }
  release(): void {
    this.open();
    this.gate = null;
  }
  async verify(username: string, password: string): Promise<VerifiedUser | null> {
    this.checks++;
    this.pending++;
    try {
      if (this.gate) await this.gate;
    } finally {
      this.pending--;
    }
    const role = this.accounts[username];
    return role && password === PASSWORD ? { username, role, accountVersion: 'v1' } : null;
  }
  get(username: string): User | undefined {
    const role = this.accounts[username];
    return role && { username, role };
  }
  count(): number {
    return Object.keys(this.accounts).length;
  }
  accountVersion(username: string): string | undefined {
    return this.accounts[username] && 'v1';
  }
}

/** ffmpeg that never writes: a viewer's socket opens at once, and no process is started. */
function idleFfmpeg(): GroupProcess {
  let ended: ((end: { code: number | null; signal: string | null }) => void) | null = null;
  return {
    pid: undefined,
    onStdout: () => {},
    onStderr: () => {},
    onEnd: (fn) => void (ended = fn as typeof ended),
    signalGroup: (signal) => queueMicrotask(() => ended?.({ code: null, signal })),
  };
}

const temp = useTempDirs();
const stops: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const stop of stops.splice(0).reverse()) await stop();
});

interface Harness {
  server: WebServer;
  url: string;
  clock: FakeClock;
  store: Store;
  users: CountingUsers;
}

async function start(options: Partial<WebServerOptions> = {}): Promise<Harness> {
  const clock = new FakeClock(Date.UTC(2026, 10, 25, 3, 0, 0));
  const store = temp.open(temp.make(), {}, clock);
  const bus = new EventBus<GateEvents>(silentLogger);
  const gate: GateView = {
    site: { id: 'mlt-kth', name: 'Ma Lù Thàng' },
    bus,
    events: store.events,
    lanes: [
      {
        id: 'lane-1',
        name: 'Làn 1',
        direction: 'entry',
        confirm: () => ({ ok: true, eventId: 'e-1' }),
        refuse: () => ({ ok: true, eventId: 'e-2' }),
        open: () => ({ ok: true, eventId: 'e-3' }),
      },
    ],
    snapshot: () => ({
      health: {
        bootId: store.bootId,
        version: 'test',
        ts: clock.now(),
        uptimeMs: 1,
        outboxPending: 0,
        store: { usedBytes: null, quotaBytes: 1, quotaExceeded: false },
        lanes: [],
      },
      lanes: [],
    }),
    controllers: () => [],
    link: () => ({ configured: false, connected: false, outboxPending: 0, oldestPendingAgeMs: null }),
    lists: () => [],
  };
  const staticDir = join(temp.make(), 'static');
  mkdirSync(staticDir, { recursive: true });
  writeFileSync(join(staticDir, 'index.html'), '<!doctype html><title>smartgate</title>');
  const users = new CountingUsers({ 'tran.thi.b': 'operator', 'le.van.c': 'viewer', 'pham.d': 'viewer' });
  const streams = liveStreams(
    [{ laneId: 'lane-1', url: 'rtsp://127.0.0.1:9/stream', width: 640, height: 360, loop: false }],
    { clock, log: silentLogger, spawn: idleFfmpeg },
  );
  const liveVideo = new LiveVideoServer(streams, { clock, log: silentLogger });
  const server = new WebServer(
    { log: silentLogger },
    {
      gate,
      users,
      sessions: new MemorySessionStore(clock, { idleTimeoutMs: 3_600_000 }),
      limiter: new SlidingWindowLoginLimiter(clock),
      liveVideo,
      audit: new EventAuthAudit(store.events, silentLogger),
    },
    { host: '127.0.0.1', port: 0, staticDir, sessionSweepMs: 50, ...options },
  );
  await server.start();
  stops.push(() => server.stop());
  return { server, url: server.url, clock, store, users };
}

interface Answer {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

/** One request on a connection of its own, from `localAddress` (any 127.x address reaches the server). */
function send(
  url: string,
  path: string,
  opts: { method?: string; body?: unknown; headers?: Record<string, string>; localAddress?: string; ca?: Buffer } = {},
): Promise<Answer> {
  const body = opts.body === undefined ? undefined : JSON.stringify(opts.body);
  const headers = { ...(body !== undefined && { 'Content-Type': 'application/json' }), ...opts.headers };
  const request = url.startsWith('https:') ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const req = request(
      `${url}${path}`,
      { method: opts.method ?? 'GET', headers, agent: false, localAddress: opts.localAddress, ca: opts.ca },
      (res) => {
        let text = '';
        res.on('data', (c: Buffer) => (text += c.toString()));
        res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: text }));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

const login = (
  url: string,
  username: string,
  password: string,
  opts: { localAddress?: string; headers?: Record<string, string>; ca?: Buffer } = {},
) => send(url, '/api/login', { method: 'POST', body: { username, password }, ...opts });

/** Fires the requests at once with the checks held; once every one is answered or being checked, lets the checks finish. */
async function burst(h: Harness, requests: (() => Promise<Answer>)[]): Promise<Answer[]> {
  h.users.hold();
  let answered = 0;
  const answers = requests.map((r) => r().finally(() => answered++));
  await waitFor(() => answered + h.users.pending === requests.length, 10_000, 'every login answered or being checked');
  h.users.release();
  return Promise.all(answers);
}

const statuses = (answers: Answer[]) => answers.map((a) => a.status).sort();
const authEvents = (store: Store) =>
  (
    store.db.prepare("SELECT payload FROM events WHERE type = 'auth' ORDER BY event_id").all() as { payload: string }[]
  ).map((r) => JSON.parse(r.payload) as Record<string, unknown>);

async function metrics(url: string, localAddress = '127.0.0.9'): Promise<string[]> {
  return (await send(url, '/metrics', { localAddress })).body.split('\n');
}

describe('logins under a burst of parallel guesses', () => {
  it('checks at most 5 of 20 parallel wrong passwords from one address; the rest are 429 with Retry-After', async () => {
    const h = await start();
    const answers = await burst(
      h,
      Array.from({ length: 20 }, (_, i) => () => login(h.url, 'tran.thi.b', `guess number ${i}`)),
    );
    expect(h.users.checks).toBeLessThanOrEqual(5);
    expect(answers.filter((a) => a.status === 401)).toHaveLength(h.users.checks);
    for (const refused of answers.filter((a) => a.status !== 401)) {
      expect(refused.status).toBe(429);
      expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
      expect(JSON.parse(refused.body)).toMatchObject({ error: { code: 'rate-limited' } });
    }
    // And one after the other, the fifth failure locks the address: never more than 5 checks.
    for (let i = 0; i < 10; i++) await login(h.url, 'tran.thi.b', `later guess ${i}`);
    expect(h.users.checks).toBe(5);
    expect((await login(h.url, 'tran.thi.b', PASSWORD)).status).toBe(429);
    expect(h.users.checks).toBe(5);
  });

  it('checks one username one guess at a time, whatever the number of addresses, and believes no X-Forwarded-For', async () => {
    const h = await start();
    const answers = await burst(
      h,
      Array.from(
        { length: 10 },
        (_, i) => () => login(h.url, 'le.van.c', `guess ${i}`, { localAddress: `127.0.0.${i + 2}` }),
      ),
    );
    expect(h.users.checks).toBe(1);
    expect(statuses(answers)).toEqual([401, ...Array(9).fill(429)]);

    // From one socket address, a forged header does not make the guesses come from elsewhere.
    for (let i = 0; i < 8; i++)
      await login(h.url, `nobody${i}`, 'a guess', {
        localAddress: '127.0.1.1',
        headers: { 'X-Forwarded-For': `10.0.0.${i}` },
      });
    expect(h.users.checks).toBe(1 + 5);
  });

  it('checks at most maxConcurrentLogins passwords at once over all addresses; one more is refused at once (503 busy)', async () => {
    const h = await start({ maxConcurrentLogins: 2 });
    const who = [
      ['tran.thi.b', '127.0.0.2'],
      ['le.van.c', '127.0.0.3'],
      ['pham.d', '127.0.0.4'],
    ] as const;
    const answers = await burst(
      h,
      who.map(
        ([username, localAddress]) =>
          () =>
            login(h.url, username, 'wrong guess', { localAddress }),
      ),
    );
    expect(h.users.checks).toBe(2);
    expect(statuses(answers)).toEqual([401, 401, 503]);
    const busy = answers.find((a) => a.status === 503)!;
    expect(busy.headers['retry-after']).toBe('1');
    expect(JSON.parse(busy.body)).toMatchObject({ error: { code: 'busy' } });
    // Refused before any check: it does not count against the address.
    const [username, localAddress] = who[answers.indexOf(busy)]!;
    for (let i = 0; i < 4; i++) expect((await login(h.url, username, `guess ${i}`, { localAddress })).status).toBe(401);
    expect((await login(h.url, username, PASSWORD, { localAddress })).status).toBe(200);
  });
});

describe('auth events', () => {
  it('records logins, failures, the lock-out and the logout on lane gate, never a password, and counts them in /metrics', async () => {
    const h = await start();
    const ok = await login(h.url, 'tran.thi.b', PASSWORD, { localAddress: '127.0.0.2' });
    expect(ok.status).toBe(200);
    const cookie = ok.headers['set-cookie']![0]!.split(';')[0]!;
    const { csrfToken } = JSON.parse(ok.body) as { csrfToken: string };
    expect(
      (
        await send(h.url, '/api/logout', {
          method: 'POST',
          body: {},
          headers: { Cookie: cookie, 'X-CSRF-Token': csrfToken },
        })
      ).status,
    ).toBe(204);
    await login(h.url, 'tran.thi.b', 'my secret guess 1', { localAddress: '127.0.0.3' });
    // A password typed into the username field is not recorded either.
    await login(h.url, 'my secret guess 2', 'x', { localAddress: '127.0.0.3' });
    for (let i = 3; i <= 5; i++) await login(h.url, 'le.van.c', `my secret guess ${i}`, { localAddress: '127.0.0.3' });
    expect((await login(h.url, 'le.van.c', PASSWORD, { localAddress: '127.0.0.3' })).status).toBe(429);

    const events = authEvents(h.store);
    expect(events).toEqual([
      { action: 'login', username: 'tran.thi.b', role: 'operator', source: 'page', address: '127.0.0.2' },
      { action: 'logout', username: 'tran.thi.b', source: 'page', address: '127.0.0.1' },
      { action: 'login-failed', username: 'tran.thi.b', source: 'page', address: '127.0.0.3' },
      { action: 'login-failed', username: null, source: 'page', address: '127.0.0.3' },
      { action: 'login-failed', username: 'le.van.c', source: 'page', address: '127.0.0.3' },
      { action: 'login-failed', username: 'le.van.c', source: 'page', address: '127.0.0.3' },
      { action: 'login-failed', username: 'le.van.c', source: 'page', address: '127.0.0.3' },
      {
        action: 'locked-out',
        username: 'le.van.c',
        source: 'page',
        address: '127.0.0.3',
        locked: ['address'],
        retryAfterMs: 900_000,
      },
    ]);
    const stored = JSON.stringify(h.store.db.prepare("SELECT * FROM events WHERE type = 'auth'").all());
    expect(stored).not.toMatch(/secret guess|the right passphrase/);
    expect(
      (
        h.store.db.prepare("SELECT DISTINCT lane_id FROM events WHERE type = 'auth'").all() as { lane_id: string }[]
      ).map((r) => r.lane_id),
    ).toEqual(['gate']);

    const lines = await metrics(h.url);
    for (const line of [
      'smartgate_logins_total{result="success"} 1',
      'smartgate_logins_total{result="failure"} 5',
      'smartgate_logins_total{result="rate-limited"} 1',
      'smartgate_logins_total{result="busy"} 0',
      'smartgate_auth_events_total{action="login-failed"} 5',
      'smartgate_auth_events_total{action="locked-out"} 1',
      'smartgate_auth_events_total{action="logout"} 1',
    ]) {
      expect(lines).toContain(line);
    }
  });
});

describe('connections', () => {
  /** Opens `n` TCP connections from `localAddress`; `closed` counts those the server has closed. */
  async function open(url: string, n: number, localAddress: string) {
    const { hostname, port } = new URL(url);
    const sockets: Socket[] = [];
    let closed = 0;
    for (let i = 0; i < n; i++) {
      const socket = connect({ host: hostname, port: Number(port), localAddress });
      socket.on('error', () => {});
      socket.on('close', () => closed++);
      sockets.push(socket);
      stops.push(async () => void socket.destroy());
    }
    await waitFor(() => sockets.every((s) => !s.connecting), 5_000, 'connected');
    return { sockets, closed: () => closed };
  }

  it('closes connections over the per-address cap at once; other addresses still get in', async () => {
    const h = await start({ maxConnectionsPerAddress: 3 });
    const flood = await open(h.url, 8, '127.0.0.2');
    await waitFor(() => flood.closed() === 5, 5_000, 'the 5 over the cap closed');
    expect((await send(h.url, '/healthz', { localAddress: '127.0.0.3' })).status).toBe(200);
    await waitFor(() => h.server.metrics().connections.open === 3, 5_000, 'the other address gone');
    expect(h.server.metrics().connections.refused).toEqual({ total: 0, 'per-address': 5 });
    const lines = await metrics(h.url);
    expect(lines).toContain('smartgate_http_connections_refused_total{reason="per-address"} 5');
    expect(lines).toContain('smartgate_http_connections 4'); // the 3 held, and this one
    expect(flood.closed()).toBe(5);
  });

  it('closes connections over maxConnections at once', async () => {
    const h = await start({ maxConnections: 4 });
    const flood = await open(h.url, 7, '127.0.0.2');
    await waitFor(() => flood.closed() === 3, 5_000, 'the 3 over the cap closed');
    expect(h.server.metrics().connections).toEqual({ open: 4, refused: { total: 3, 'per-address': 0 } });
    for (const s of flood.sockets) s.destroy();
    await waitFor(() => h.server.metrics().connections.open === 0, 5_000, 'the flood gone');
    // Then the page answers again.
    expect(await metrics(h.url)).toContain('smartgate_http_connections_refused_total{reason="total"} 3');
  });

  it('cuts off a client that sends its request too slowly', async () => {
    const h = await start({ requestTimeoutMs: 1000 });
    const { hostname, port } = new URL(h.url);
    const socket = connect({ host: hostname, port: Number(port) });
    stops.push(async () => void socket.destroy());
    socket.on('error', () => {});
    let closed = false;
    socket.on('close', () => (closed = true));
    // Slowloris: a request line and one header, and then nothing.
    socket.write('GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n');
    await waitFor(() => closed, 15_000, 'the server to close the slow connection');
  });
});

describe('streams end with their session', () => {
  async function loggedIn(h: Harness) {
    const res = await login(h.url, 'tran.thi.b', PASSWORD);
    const cookie = res.headers['set-cookie']![0]!.split(';')[0]!;
    const { csrfToken } = JSON.parse(res.body) as { csrfToken: string };
    const stream = await fetch(`${h.url}/api/stream`, { headers: { Cookie: cookie } });
    expect(stream.status).toBe(200);
    const reader = stream.body!.getReader();
    let streamEnded = false;
    void (async () => {
      try {
        while (!(await reader.read()).done);
      } catch {
        /* ended by the server either way */
      }
      streamEnded = true;
    })();
    const ws = new WebSocket(`${h.url.replace('http', 'ws')}/api/lanes/lane-1/video`, { headers: { Cookie: cookie } });
    stops.push(async () => ws.terminate());
    let closeCode: number | null = null;
    ws.on('close', (code) => (closeCode = code));
    ws.on('error', () => {});
    await new Promise<void>((resolve, reject) => {
      ws.once('open', resolve);
      ws.once('unexpected-response', (_req, r) => reject(new Error(`HTTP ${r.statusCode}`)));
    });
    return { cookie, csrfToken, ended: () => streamEnded, closeCode: () => closeCode };
  }

  it('closes the event stream and the live video at logout', async () => {
    const h = await start();
    const a = await loggedIn(h);
    const b = await loggedIn(h);
    expect(
      (
        await send(h.url, '/api/logout', {
          method: 'POST',
          body: {},
          headers: { Cookie: a.cookie, 'X-CSRF-Token': a.csrfToken },
        })
      ).status,
    ).toBe(204);
    await waitFor(() => a.ended() && a.closeCode() !== null, 5_000, 'the stream and the video of the session ended');
    expect(a.closeCode()).toBe(1008);
    // The other session's stay open.
    expect(b.ended()).toBe(false);
    expect(b.closeCode()).toBeNull();
  });

  it('closes them when the session expires, without another request', async () => {
    const h = await start();
    const a = await loggedIn(h);
    h.clock.advance(3_600_000);
    await waitFor(
      () => a.ended() && a.closeCode() !== null,
      5_000,
      'the stream and the video of the expired session ended',
    );
    expect(a.closeCode()).toBe(1008);
  });
});

describe('HTTPS', () => {
  it('serves the page over TLS with the Secure flag on the session cookie', async () => {
    const dir = temp.make();
    const pki = await makeTestPki(dir, []);
    const h = await start({ tls: { cert: readFileSync(pki.server.cert), key: readFileSync(pki.server.key) } });
    expect(h.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    const ca = readFileSync(pki.ca.cert);
    const res = await login(h.url, 'tran.thi.b', PASSWORD, { ca });
    expect(res.status).toBe(200);
    expect(res.headers['set-cookie']![0]).toMatch(/^sg_session=[^;]+; HttpOnly; SameSite=Strict; Path=\/; Secure$/);
    const cookie = res.headers['set-cookie']![0]!.split(';')[0]!;
    const { csrfToken } = JSON.parse(res.body) as { csrfToken: string };
    const out = await send(h.url, '/api/logout', {
      method: 'POST',
      body: {},
      headers: { Cookie: cookie, 'X-CSRF-Token': csrfToken },
      ca,
    });
    expect(out.headers['set-cookie']![0]).toMatch(/; Secure; Max-Age=0$/);
    // Plain HTTP on the TLS port gets no page.
    await expect(send(h.url.replace('https:', 'http:'), '/healthz')).rejects.toThrow();
  });
});

describe('smartgate run with http.tls', () => {
  it('refuses to start when a file cannot be used, naming the field (exit 2)', async () => {
    const dir = temp.make();
    const pki = await makeTestPki(dir, ['other']);
    const config = (tls: string) =>
      [
        'site: { id: test, name: Test gate }',
        `dataDir: ${JSON.stringify(join(dir, 'data'))}`,
        `http: { host: 127.0.0.1, port: 0, tls: ${tls} }`,
        'lanes: [{ id: lane-1, direction: entry, camera: { url: "rtsp://127.0.0.1:9/stream" } }]',
      ].join('\n') + '\n';
    const run = (name: string, tls: string) => {
      const file = join(dir, name);
      writeFileSync(file, config(tls));
      return new Promise<{ code: number | null; stderr: string }>((resolve) => {
        execFile(process.execPath, [builtCli(), 'run', '--config', file], { timeout: 30_000 }, (err, _stdout, stderr) =>
          resolve({ code: err ? ((err as { code?: number }).code ?? null) : 0, stderr }),
        );
      });
    };
    const missing = await run(
      'missing.yaml',
      `{ cert: ${JSON.stringify(join(dir, 'nope.crt'))}, key: ${JSON.stringify(pki.server.key)} }`,
    );
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/^http\.tls\.cert: cannot read .*nope\.crt: file not found$/m);
    const mismatched = await run(
      'mismatched.yaml',
      `{ cert: ${JSON.stringify(pki.server.cert)}, key: ${JSON.stringify(pki.clients.other!.key)} }`,
    );
    expect(mismatched.code).toBe(2);
    expect(mismatched.stderr).toMatch(/^http\.tls\.key: does not go with the certificate/m);
  });
});
