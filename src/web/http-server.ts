import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerOptions, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import type { Logger } from '../core/log.js';
import { SetupError } from '../core/setup-error.js';
import type { Service } from '../core/service.js';
import { HTTP_LIMIT_DEFAULTS } from '../config/http.js';
import { eventRoutes } from './api-events.js';
import { healthRoutes, healthView } from './api-health.js';
import { laneRoutes } from './api-lanes.js';
import { operatorRoutes } from './api-operator.js';
import { postcheckRoutes } from './api-postcheck.js';
import { sessionRoutes } from './api-session.js';
import { yardRoutes } from './api-yards.js';
import type { AuthAudit, AuthRecord } from './auth/audit.js';
import { CheckSlots } from './auth/check-slots.js';
import { ConnectionLimiter } from './connection-limits.js';
import { originMatchesHost, requireSession, sessionOf } from './auth-middleware.js';
import { contentSecurityPolicy, cspHash, injectedStylesheet } from './csp.js';
import type { GateView } from './gate-view.js';
import { HttpError, Router, sendError } from './router.js';
import { EventStreamHub, type EventStreamOptions } from './sse.js';
import { defaultStaticDir, jsmpegPlayerPath, sendFile, StaticFiles } from './static-files.js';
import type { TlsFiles } from './tls-files.js';
import type { AnnotatedFrames, LiveVideo, LoginLimiter, SessionStore, UserDirectory } from './types.js';
import { WebCounters, type WebMetrics } from './web-counters.js';

/** The parts the web server is built from; the daemon gives the real ones, tests small fakes. */
export interface WebServerDeps {
  gate: GateView;
  users: UserDirectory;
  sessions: SessionStore;
  limiter: LoginLimiter;
  liveVideo?: LiveVideo;
  frames?: AnnotatedFrames;
  /** Where logins, failed logins, lock-outs and logouts are recorded (they are counted in /metrics either way). */
  audit?: AuthAudit;
}

export interface WebServerOptions {
  host: string;
  /** 0 picks a free port (see `url` after start). */
  port: number;
  /** When the port is taken, listen on a free one instead of failing (the demo: its default port may be in use). */
  freePortIfBusy?: boolean;
  /** Default: src/web/static. */
  staticDir?: string;
  stream?: Omit<EventStreamOptions, 'health'>;
  /** Certificate and key (PEM): the page is served over HTTPS, and its cookie is `Secure`. */
  tls?: TlsFiles;
  /** Defaults as in the config (HTTP_LIMIT_DEFAULTS). */
  maxConnections?: number;
  maxConnectionsPerAddress?: number;
  /** A request's headers and body must have arrived within this (ms); for HTTPS, the handshake too. */
  requestTimeoutMs?: number;
  /** Password checks at once, over all clients. */
  maxConcurrentLogins?: number;
  /** How often ended sessions are looked for, so their streams and videos are closed. Default 10 s. */
  sessionSweepMs?: number;
}

/** On every answer, beside the Content-Security-Policy: the page is never framed nor sniffed. */
const SECURITY_HEADERS: Record<string, string> = {
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'X-Frame-Options': 'DENY',
};

function listen(server: Server, port: number, host: string): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
}

/** The hashes of the stylesheet the JSMpeg bundle injects, so the policy lets that one through. */
function vendorStyleHashes(log: Logger): string[] {
  let stylesheet: string | undefined;
  try {
    stylesheet = injectedStylesheet(readFileSync(jsmpegPlayerPath(), 'utf8'));
  } catch (err) {
    log.warn({ err: (err as Error).message }, 'the JSMpeg player could not be read: live video will not play');
    return [];
  }
  if (stylesheet === undefined) {
    log.debug({}, 'the JSMpeg bundle injects no stylesheet this version knows of');
    return [];
  }
  // The bundle inserts the <style> empty and fills it after: the browser checks it both times.
  return [cspHash(''), cspHash(stylesheet)];
}

const VIDEO_PATH = /^\/api\/lanes\/([^/]+)\/video$/;

/** The operators' status page and its API (docs/web.md) on node:http. */
export class WebServer implements Service {
  readonly name = 'web';
  private server: Server | null = null;
  private readonly router = new Router();
  private readonly stream: EventStreamHub;
  private readonly files: StaticFiles;
  private readonly policy: string;
  private readonly counters = new WebCounters();
  private readonly connections: ConnectionLimiter;
  private readonly requestTimeoutMs: number;
  private boundUrl: string | null = null;
  private sweep: NodeJS.Timeout | null = null;
  private unsubscribe: (() => void) | null = null;

  constructor(
    private readonly ctx: { log: Logger },
    private readonly deps: WebServerDeps,
    private readonly opts: WebServerOptions,
  ) {
    this.files = new StaticFiles(opts.staticDir ?? defaultStaticDir());
    this.policy = contentSecurityPolicy(vendorStyleHashes(ctx.log));
    this.stream = new EventStreamHub(
      { bus: deps.gate.bus, log: ctx.log },
      { ...opts.stream, health: () => healthView(deps.gate) },
    );
    const limits = { ...HTTP_LIMIT_DEFAULTS, ...stripUndefined(opts) };
    this.requestTimeoutMs = limits.requestTimeoutMs;
    const { maxConnections, maxConnectionsPerAddress } = limits;
    this.connections = new ConnectionLimiter(
      { maxConnections, maxConnectionsPerAddress },
      (reason) => this.counters.refused[reason]++,
      ctx.log,
    );
    sessionRoutes(this.router, {
      users: deps.users,
      sessions: deps.sessions,
      limiter: deps.limiter,
      checks: new CheckSlots(limits.maxConcurrentLogins),
      audit: (entry) => this.audit(entry),
      countLogin: (result) => this.counters.logins[result]++,
      cookies: { secure: opts.tls !== undefined },
    });
    laneRoutes(this.router, deps.gate, deps.frames);
    operatorRoutes(this.router, deps.gate);
    yardRoutes(this.router, deps.gate);
    postcheckRoutes(this.router, deps.gate);
    eventRoutes(this.router, deps.gate);
    healthRoutes(this.router, deps.gate, () => this.metrics());
    this.router.get('/api/stream', 'viewer', ({ res, session }) => this.stream.attach(res, session!.id));
    this.router.get('/', null, ({ res }) => this.files.serve(res, '/index.html'));
    this.router.get('/vendor/jsmpeg-player.umd.min.js', null, ({ res }) => sendFile(res, jsmpegPlayerPath()));
  }

  /** `http://host:port` once started (with the bound port when 0 was asked for). */
  get url(): string {
    if (!this.boundUrl) throw new Error('web server not started');
    return this.boundUrl;
  }

  /** What the server counted since start, for /metrics. */
  metrics(): WebMetrics {
    return this.counters.snapshot(this.connections.openConnections);
  }

  async start(): Promise<void> {
    const handler = (req: IncomingMessage, res: ServerResponse) => void this.handle(req, res);
    // A client that sends its request slowly (slowloris) is cut off after the timeout; the
    // check runs every quarter of it.
    const timeouts: ServerOptions = {
      requestTimeout: this.requestTimeoutMs,
      headersTimeout: this.requestTimeoutMs,
      connectionsCheckingInterval: Math.max(100, Math.min(30_000, Math.round(this.requestTimeoutMs / 4))),
    };
    const { tls } = this.opts;
    const server: Server = tls
      ? createHttpsServer(
          { ...timeouts, cert: tls.cert, key: tls.key, handshakeTimeout: this.requestTimeoutMs },
          handler,
        )
      : createServer(timeouts, handler);
    this.connections.attach(server);
    server.on('upgrade', (req, socket, head) => this.upgrade(req, socket, head));
    server.on('clientError', (_err, socket) => socket.destroy());
    if (tls) server.on('tlsClientError', (_err: Error, socket: Duplex) => socket.destroy());
    try {
      await listen(server, this.opts.port, this.opts.host);
    } catch (err) {
      if (!(this.opts.freePortIfBusy && (err as NodeJS.ErrnoException).code === 'EADDRINUSE'))
        throw listenProblem(err, this.opts.host, this.opts.port);
      this.ctx.log.warn({ port: this.opts.port }, 'port in use: the status page takes a free one');
      await listen(server, 0, this.opts.host);
    }
    this.server = server;
    const { port } = server.address() as AddressInfo;
    const host = this.opts.host.includes(':') ? `[${this.opts.host}]` : this.opts.host;
    this.boundUrl = `${tls ? 'https' : 'http'}://${host}:${port}`;
    this.stream.start();
    // What was opened with a session ends with it: logout, expiry, the user changed.
    this.unsubscribe = this.deps.sessions.onEnd((id) => {
      this.stream.closeSession(id);
      this.deps.liveVideo?.closeSession(id);
    });
    // Expiry is otherwise noticed only when the session is used again.
    this.sweep = setInterval(() => this.deps.sessions.prune(), this.opts.sessionSweepMs ?? 10_000);
    this.sweep.unref();
    this.ctx.log.info({ url: this.boundUrl }, 'status page listening');
  }

  async stop(): Promise<void> {
    if (this.sweep) clearInterval(this.sweep);
    this.sweep = null;
    this.unsubscribe?.();
    this.unsubscribe = null;
    this.stream.stop();
    await this.deps.liveVideo?.stop();
    const server = this.server;
    this.server = null;
    if (!server) return;
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeAllConnections();
    await closed;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    res.setHeader('Content-Security-Policy', this.policy);
    for (const [name, value] of Object.entries(SECURITY_HEADERS)) res.setHeader(name, value);
    try {
      const url = new URL(req.url ?? '/', 'http://localhost');
      if (url.pathname.startsWith('/api/') || url.pathname === '/healthz' || url.pathname === '/metrics')
        res.setHeader('Cache-Control', 'no-store');
      const method = req.method === 'HEAD' ? 'GET' : (req.method ?? 'GET');
      if (method === 'GET' && url.pathname.startsWith('/static/')) {
        await this.files.serve(res, url.pathname.slice('/static'.length));
        return;
      }
      const match = this.router.match(method, url.pathname);
      if (!match) throw new HttpError(404, 'not-found', `no route ${url.pathname}`);
      if ('allowed' in match)
        throw new HttpError(405, 'method-not-allowed', `${req.method} not allowed`, {
          Allow: match.allowed.join(', '),
        });
      const { route, params } = match;
      const session = route.role ? requireSession(req, this.deps.sessions, route.role) : undefined;
      await route.handler({ req, res, url, params, session });
    } catch (err) {
      this.fail(req, res, err);
    }
  }

  private fail(req: IncomingMessage, res: ServerResponse, err: unknown): void {
    const httpError =
      err instanceof HttpError ? err : new HttpError(500, 'internal', 'internal error (see the daemon log)');
    if (!(err instanceof HttpError)) this.ctx.log.error({ err, method: req.method, path: req.url }, 'request failed');
    if (res.headersSent) {
      res.destroy();
      return;
    }
    // The body was not read on an early refusal: close rather than leave it in the pipe.
    if (!req.complete) res.setHeader('Connection', 'close');
    sendError(res, httpError);
  }

  /** WebSocket upgrades: only the live video, only with a session, only from the page's own origin. */
  private upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;
    const match = VIDEO_PATH.exec(path);
    const refuse = (status: number, reason: string) => {
      socket.once('finish', () => socket.destroy());
      socket.end(`HTTP/1.1 ${status} ${reason}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
    };
    if (!match) return refuse(404, 'Not Found');
    const session = sessionOf(req, this.deps.sessions);
    if (!session) return refuse(401, 'Unauthorized');
    if (!originMatchesHost(req)) return refuse(403, 'Forbidden');
    let laneId: string;
    try {
      laneId = decodeURIComponent(match[1]!);
    } catch {
      return refuse(400, 'Bad Request');
    }
    if (!this.deps.gate.lanes.some((l) => l.id === laneId)) return refuse(404, 'Not Found');
    if (!this.deps.liveVideo) return refuse(503, 'Service Unavailable');
    this.deps.liveVideo.handleUpgrade(req, socket, head, laneId, session.id);
  }

  /** Counts the auth event, and records it where the daemon keeps them. */
  private audit(entry: AuthRecord): void {
    this.counters.authEvents[entry.action]++;
    this.deps.audit?.record(entry);
  }
}

function stripUndefined<T extends object>(obj: T): Partial<T> {
  return Object.fromEntries(Object.entries(obj).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/** Why the page cannot listen, naming the field to change; other errors as they are. */
function listenProblem(err: unknown, host: string, port: number): unknown {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'EADDRINUSE')
    return new SetupError(
      'http.port',
      `${port} on ${host} is in use (another smartgate, or another program): choose another port, or stop that program`,
    );
  if (code === 'EACCES')
    return new SetupError('http.port', `${port} needs privileges this process does not have: choose a port above 1023`);
  if (code === 'EADDRNOTAVAIL') return new SetupError('http.host', `${host} is not an address of this computer`);
  return err;
}
