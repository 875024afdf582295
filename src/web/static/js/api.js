// The HTTP side of docs/web.md: JSON in and out, the CSRF header on POST, 401 → login.
// Answers are typed by the server's API contract (src/web/api-contract.ts): a caller names the
// route's type where it reads the answer, e.g. `/** @type {LanesResponse} */ (await get('/api/lanes'))`.

/**
 * @typedef {import('../../api-contract.js').ApiErrorCode} ApiErrorCode
 * @typedef {import('../../api-contract.js').ErrorResponse} ErrorResponse
 * @typedef {ApiErrorCode | 'network' | 'script' | `http-${number}`} ErrorCode the server's code; `network`: no answer came; `script`: the page's own failure; `http-NNN`: an answer without the envelope
 * @typedef {{ quiet401?: boolean }} RequestOptions
 */

/** @type {string | null} */
let csrfToken = null;
/** @type {(err: ApiError) => void} */
let onUnauthenticated = () => {};

export class ApiError extends Error {
  /**
   * @param {number} status 0: the network failed; -1: not a request's failure (a bug in the page)
   * @param {ErrorCode} code
   * @param {string} [message]
   * @param {number} [retryAfter] seconds, from Retry-After
   */
  constructor(status, code, message, retryAfter) {
    super(message || code || `HTTP ${status}`);
    this.status = status;
    this.code = code;
    this.retryAfter = retryAfter;
  }
}

/**
 * What a `catch` caught, as an ApiError: anything else than a request's failure is a bug in the
 * page (status -1), shown with its message.
 * @param {unknown} err
 * @returns {ApiError}
 */
export function apiError(err) {
  return err instanceof ApiError ? err : new ApiError(-1, 'script', err instanceof Error ? err.message : String(err));
}

/**
 * The event with its payload typed by its `type` (the contract's payload schemas).
 * @param {import('../../api-contract.js').ApiEvent} event
 * @returns {import('../../api-contract.js').PageEvent}
 */
export function pageEvent(event) {
  return /** @type {import('../../api-contract.js').PageEvent} */ (event);
}

/** @param {string | null | undefined} token */
export function setCsrfToken(token) {
  csrfToken = token || null;
}

/** @param {(err: ApiError) => void} fn */
export function setUnauthenticatedHandler(fn) {
  onUnauthenticated = fn;
}

/**
 * request('GET', '/api/lanes') → parsed JSON (null for 204), of the type the route's caller names.
 * Throws ApiError; status 0 means the network failed. A 401 (other than on /api/login) also
 * calls the unauthenticated handler.
 * @param {'GET' | 'POST'} method
 * @param {string} path
 * @param {unknown} [body]
 * @param {RequestOptions} [options]
 * @returns {Promise<unknown>}
 */
export async function request(method, path, body, { quiet401 = false } = {}) {
  /** @type {Record<string, string>} */
  const headers = { Accept: 'application/json' };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  if (method !== 'GET' && csrfToken) headers['X-CSRF-Token'] = csrfToken;
  let res;
  try {
    res = await fetch(path, {
      method,
      headers,
      credentials: 'same-origin',
      body: body !== undefined ? JSON.stringify(body) : undefined,
    });
  } catch (err) {
    throw new ApiError(0, 'network', err instanceof Error ? err.message : undefined);
  }
  if (res.status === 204) return null;
  /** @type {unknown} */
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
    const error = /** @type {Partial<ErrorResponse> | null} */ (data)?.error;
    const retryHeader = res.headers.get('Retry-After');
    const retry = retryHeader === null ? NaN : Number(retryHeader);
    const e = new ApiError(
      res.status,
      error?.code || `http-${res.status}`,
      error?.message || res.statusText,
      Number.isFinite(retry) ? retry : undefined,
    );
    if (res.status === 401 && path !== '/api/login' && !quiet401) onUnauthenticated(e);
    throw e;
  }
  return data;
}

/**
 * @param {string} path
 * @param {RequestOptions} [opts]
 */
export const get = (path, opts) => request('GET', path, undefined, opts);

/**
 * @param {string} path
 * @param {unknown} [body]
 * @param {RequestOptions} [opts]
 */
export const post = (path, body, opts) => request('POST', path, body ?? {}, opts);

/**
 * Query string from an object, leaving out empty values.
 * @param {Record<string, string | number | null | undefined>} params
 */
export function qs(params) {
  const u = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== '') u.set(k, String(v));
  const s = u.toString();
  return s ? `?${s}` : '';
}
