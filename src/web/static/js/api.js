// The HTTP side of docs/web.md: JSON in and out, the CSRF header on POST, 401 → login.

let csrfToken = null;
let onUnauthenticated = () => {};

export class ApiError extends Error {
  constructor(status, code, message, retryAfter) {
    super(message || code || `HTTP ${status}`);
    this.status = status;
    this.code = code;
    this.retryAfter = retryAfter;
  }
}

export function setCsrfToken(token) {
  csrfToken = token || null;
}

export function setUnauthenticatedHandler(fn) {
  onUnauthenticated = fn;
}

/**
 * request('GET', '/api/lanes') → parsed JSON (null for 204).
 * Throws ApiError; status 0 means the network failed. A 401 (other than on /api/login) also
 * calls the unauthenticated handler.
 */
export async function request(method, path, body, { quiet401 = false } = {}) {
  const headers = { Accept: 'application/json' };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  if (method !== 'GET' && csrfToken) headers['X-CSRF-Token'] = csrfToken;
  let res;
  try {
    res = await fetch(path, { method, headers, credentials: 'same-origin', body: body !== undefined ? JSON.stringify(body) : undefined });
  } catch (err) {
    throw new ApiError(0, 'network', err && err.message);
  }
  if (res.status === 204) return null;
  let data = null;
  const text = await res.text();
  if (text) {
    try {
      data = JSON.parse(text);
    } catch {
      data = null;
    }
  }
  if (!res.ok) {
    const err = (data && data.error) || {};
    const retry = Number(res.headers.get('Retry-After'));
    const e = new ApiError(res.status, err.code || `http-${res.status}`, err.message || res.statusText, Number.isFinite(retry) ? retry : undefined);
    if (res.status === 401 && path !== '/api/login' && !quiet401) onUnauthenticated(e);
    throw e;
  }
  return data;
}

export const get = (path, opts) => request('GET', path, undefined, opts);
export const post = (path, body, opts) => request('POST', path, body ?? {}, opts);

/** Query string from an object, leaving out empty values. */
export function qs(params) {
  const u = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== '') u.set(k, String(v));
  const s = u.toString();
  return s ? `?${s}` : '';
}
