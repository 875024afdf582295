import { loginRequestSchema, type SessionResponse } from './api-contract.js';
import type { AuthRecord } from './auth/audit.js';
import type { CheckSlots } from './auth/check-slots.js';
import {
  clearedSessionCookie,
  clientAddress,
  sessionCookie,
  SESSION_COOKIE,
  parseCookies,
  type CookieOptions,
} from './auth-middleware.js';
import { HttpError, readJsonBody, sendJson, type Router } from './router.js';
import type { LoginLimiter, SessionStore, UserDirectory, VerifiedUser } from './types.js';
import type { LoginResult } from './web-counters.js';

export interface SessionApiDeps {
  users: UserDirectory;
  sessions: SessionStore;
  limiter: LoginLimiter;
  /** Password checks at once, over all clients. */
  checks: CheckSlots;
  /** Records an `auth` event (and counts it). */
  audit: (entry: AuthRecord) => void;
  /** Counts every login answered, by result. */
  countLogin: (result: LoginResult) => void;
  cookies: CookieOptions;
}

/** POST /api/login, POST /api/logout, GET /api/session. */
export function sessionRoutes(router: Router, deps: SessionApiDeps): void {
  router.post('/api/login', null, async ({ req, res }) => {
    const { username, password } = await readJsonBody(req, loginRequestSchema);
    if (deps.users.count() === 0) {
      throw new HttpError(
        401,
        'no-users',
        'no account exists yet: create one with `npx smartgate user add --data-dir DIR --username NAME --role operator`',
      );
    }
    const address = clientAddress(req);
    const user = await checkPassword(deps, address, username, password);
    // A login replaces the session the browser had, if any.
    const previous = parseCookies(req.headers.cookie).get(SESSION_COOKIE);
    if (previous) deps.sessions.destroy(previous);
    const session = deps.sessions.create({ username: user.username, role: user.role }, user.accountVersion);
    deps.countLogin('success');
    deps.audit({ action: 'login', username: user.username, role: user.role, source: 'page', address });
    sendJson(
      res,
      200,
      { user: { username: user.username, role: user.role }, csrfToken: session.csrfToken } satisfies SessionResponse,
      { 'Set-Cookie': sessionCookie(session.id, deps.cookies) },
    );
  });

  router.post('/api/logout', 'viewer', ({ req, res, session }) => {
    deps.sessions.destroy(session!.id);
    deps.audit({ action: 'logout', username: session!.user.username, source: 'page', address: clientAddress(req) });
    res.writeHead(204, { 'Set-Cookie': clearedSessionCookie(deps.cookies) });
    res.end();
  });

  router.get('/api/session', 'viewer', ({ res, session }) => {
    const { user, csrfToken } = session!;
    sendJson(res, 200, { user: { username: user.username, role: user.role }, csrfToken } satisfies SessionResponse);
  });
}

/**
 * The user, or the HttpError to answer: 429 while the address or username is locked out or has
 * another check under way, 503 when the gate is checking as many passwords as it allows at once,
 * 401 for a wrong username or password. The attempt is counted before the slow hash starts.
 */
async function checkPassword(
  deps: SessionApiDeps,
  address: string,
  username: string,
  password: string,
): Promise<VerifiedUser> {
  const start = deps.limiter.begin(address, username);
  if (!start.allowed) {
    deps.countLogin('rate-limited');
    const seconds = Math.max(1, Math.ceil(start.retryAfterMs / 1000));
    const why =
      start.reason === 'locked'
        ? 'too many failed logins'
        : 'another login for this address or username is being checked';
    throw new HttpError(429, 'rate-limited', `${why}: try again in ${seconds} s`, { 'Retry-After': String(seconds) });
  }
  const { attempt } = start;
  const release = deps.checks.tryAcquire();
  if (!release) {
    attempt.cancel();
    deps.countLogin('busy');
    throw new HttpError(503, 'busy', 'too many logins are being checked right now: try again in a second', {
      'Retry-After': '1',
    });
  }
  let user: VerifiedUser | null;
  try {
    user = await deps.users.verify(username, password);
  } catch (err) {
    attempt.failed();
    throw err;
  } finally {
    release();
  }
  if (user) {
    attempt.succeeded();
    return user;
  }
  const { locked, retryAfterMs } = attempt.failed();
  deps.countLogin('failure');
  // The username only when the account exists: a password typed into the wrong field stays out of the records.
  const named = deps.users.get(username) ? username : null;
  deps.audit({ action: 'login-failed', username: named, source: 'page', address });
  if (locked.length > 0)
    deps.audit({
      action: 'locked-out',
      username: named,
      source: 'page',
      address,
      locked,
      retryAfterMs: Math.round(retryAfterMs),
    });
  throw new HttpError(401, 'bad-credentials', 'wrong username or password');
}
