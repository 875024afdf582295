import { timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { HttpError } from './router.js';
import { roleAllows, type Role, type Session, type SessionStore } from './types.js';

export const SESSION_COOKIE = 'sg_session';
export const CSRF_HEADER = 'x-csrf-token';

export interface CookieOptions {
  /** Served over HTTPS: the browser sends the cookie back over HTTPS only. */
  secure: boolean;
}

/** The cookie attributes of docs/web.md: never readable by scripts, never sent cross-site; over HTTPS only when the page is. */
function attributes({ secure }: CookieOptions): string {
  return `HttpOnly; SameSite=Strict; Path=/${secure ? '; Secure' : ''}`;
}

export function sessionCookie(sessionId: string, options: CookieOptions): string {
  return `${SESSION_COOKIE}=${sessionId}; ${attributes(options)}`;
}

export function clearedSessionCookie(options: CookieOptions): string {
  return `${SESSION_COOKIE}=; ${attributes(options)}; Max-Age=0`;
}

/** `Cookie: a=1; b=2` → map; a malformed pair is skipped, the first of a repeated name wins. */
export function parseCookies(header: string | undefined): Map<string, string> {
  const cookies = new Map<string, string>();
  if (!header) return cookies;
  for (const pair of header.split(';')) {
    const eq = pair.indexOf('=');
    if (eq < 1) continue;
    const name = pair.slice(0, eq).trim();
    let value = pair.slice(eq + 1).trim();
    if (value.startsWith('"') && value.endsWith('"') && value.length >= 2) value = value.slice(1, -1);
    if (!cookies.has(name)) cookies.set(name, value);
  }
  return cookies;
}

/** The live session named by the request's cookie, if any (looking it up marks it used). */
export function sessionOf(req: IncomingMessage, sessions: SessionStore): Session | undefined {
  const id = parseCookies(req.headers.cookie).get(SESSION_COOKIE);
  return id ? sessions.get(id) : undefined;
}

/**
 * The checks in front of every route that needs a session, in the order docs/web.md gives:
 * 401 `unauthenticated`, then 403 `csrf` for a POST without the session's token, then 403
 * `forbidden` for a role the user lacks.
 */
export function requireSession(req: IncomingMessage, sessions: SessionStore, role: Role): Session {
  const session = sessionOf(req, sessions);
  if (!session) throw new HttpError(401, 'unauthenticated', 'log in first (no session, or it expired)');
  if (req.method !== 'GET' && req.method !== 'HEAD' && !csrfMatches(req.headers[CSRF_HEADER], session.csrfToken)) {
    throw new HttpError(403, 'csrf', 'missing or wrong X-CSRF-Token header');
  }
  if (!roleAllows(session.user.role, role)) {
    throw new HttpError(403, 'forbidden', `needs the ${role} role; ${session.user.username} is ${session.user.role}`);
  }
  return session;
}

function csrfMatches(header: string | string[] | undefined, expected: string): boolean {
  if (typeof header !== 'string') return false;
  const a = Buffer.from(header);
  const b = Buffer.from(expected);
  // Constant time, so the token cannot be guessed a byte at a time.
  return a.length === b.length && timingSafeEqual(a, b);
}

/** The client's address for the login limiter: the socket's, never a header a client can forge. */
export function clientAddress(req: IncomingMessage): string {
  return req.socket.remoteAddress ?? 'unknown';
}

/** Whether a WebSocket upgrade comes from the page's own origin (browsers always send Origin on upgrades). */
export function originMatchesHost(req: IncomingMessage): boolean {
  const origin = req.headers.origin;
  if (origin === undefined) return true;
  try {
    return new URL(origin).host === req.headers.host;
  } catch {
    return false;
  }
}
