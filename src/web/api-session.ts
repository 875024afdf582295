import { z } from 'zod';
import { clearedSessionCookie, clientAddress, sessionCookie, SESSION_COOKIE, parseCookies } from './auth-middleware.js';
import { HttpError, readJsonBody, sendJson, type Router } from './router.js';
import type { LoginLimiter, SessionStore, UserDirectory } from './types.js';

export interface SessionApiDeps {
  users: UserDirectory;
  sessions: SessionStore;
  limiter: LoginLimiter;
}

const loginBody = z.object({
  username: z.string().trim().min(1).max(64),
  // Capped so a huge "password" cannot make scrypt's input costly.
  password: z.string().min(1).max(1024),
});

/** POST /api/login, POST /api/logout, GET /api/session. */
export function sessionRoutes(router: Router, deps: SessionApiDeps): void {
  router.post('/api/login', null, async ({ req, res }) => {
    const { username, password } = await readJsonBody(req, loginBody);
    if (deps.users.count() === 0) {
      throw new HttpError(401, 'no-users', 'no account exists yet: create one with `npx smartgate user add --data-dir DIR --username NAME --role operator`');
    }
    const ip = clientAddress(req);
    const check = deps.limiter.check(ip, username);
    if (!check.allowed) {
      const seconds = Math.max(1, Math.ceil(check.retryAfterMs / 1000));
      throw new HttpError(429, 'rate-limited', `too many failed logins: try again in ${seconds} s`, { 'Retry-After': String(seconds) });
    }
    const user = await deps.users.verify(username, password);
    if (!user) {
      deps.limiter.failure(ip, username);
      throw new HttpError(401, 'bad-credentials', 'wrong username or password');
    }
    deps.limiter.success(ip, username);
    // A login replaces the session the browser had, if any.
    const previous = parseCookies(req.headers.cookie).get(SESSION_COOKIE);
    if (previous) deps.sessions.destroy(previous);
    const session = deps.sessions.create(user);
    sendJson(res, 200, { user: { username: user.username, role: user.role }, csrfToken: session.csrfToken }, { 'Set-Cookie': sessionCookie(session.id) });
  });

  router.post('/api/logout', 'viewer', ({ res, session }) => {
    deps.sessions.destroy(session!.id);
    res.writeHead(204, { 'Set-Cookie': clearedSessionCookie() });
    res.end();
  });

  router.get('/api/session', 'viewer', ({ res, session }) => {
    const { user, csrfToken } = session!;
    sendJson(res, 200, { user: { username: user.username, role: user.role }, csrfToken });
  });
}
