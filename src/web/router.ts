import type { IncomingMessage, ServerResponse } from 'node:http';
import type { z } from 'zod';
import type { ApiErrorCode, ErrorResponse } from './api-contract.js';
import type { Role, Session } from './types.js';

/** JSON bodies the API accepts are small: a reason, a username and password. */
export const MAX_JSON_BODY_BYTES = 16 * 1024;

/** An answer other than success: the status, the envelope's code and message, and any headers. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: ApiErrorCode,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
    this.name = 'HttpError';
  }
}

export interface RequestContext {
  req: IncomingMessage;
  res: ServerResponse;
  url: URL;
  /** The path pattern's `:name` parts, decoded. */
  params: Record<string, string>;
  /** Present on routes that need a role (the server checked it before calling the handler). */
  session: Session | undefined;
}

export type Handler = (ctx: RequestContext) => void | Promise<void>;

export interface Route {
  method: 'GET' | 'POST';
  pattern: string;
  /** The least role the route needs; null: no session needed. */
  role: Role | null;
  handler: Handler;
}

export type RouteMatch = { route: Route; params: Record<string, string> } | { allowed: string[] } | null;

interface CompiledRoute extends Route {
  segments: string[];
}

/** Method + path pattern (`/api/lanes/:laneId/open`) → handler. Nothing more. */
export class Router {
  private readonly routes: CompiledRoute[] = [];

  get(pattern: string, role: Role | null, handler: Handler): this {
    return this.add({ method: 'GET', pattern, role, handler });
  }

  post(pattern: string, role: Role | null, handler: Handler): this {
    return this.add({ method: 'POST', pattern, role, handler });
  }

  add(route: Route): this {
    this.routes.push({ ...route, segments: route.pattern.split('/') });
    return this;
  }

  /** The route and its params; `{allowed}` when the path exists for other methods only; null when no route has the path. */
  match(method: string, pathname: string): RouteMatch {
    const parts = pathname.split('/');
    const allowed: string[] = [];
    for (const route of this.routes) {
      const params = matchSegments(route.segments, parts);
      if (!params) continue;
      if (route.method === method) return { route, params };
      allowed.push(route.method);
    }
    return allowed.length ? { allowed } : null;
  }
}

function matchSegments(pattern: string[], parts: string[]): Record<string, string> | null {
  if (pattern.length !== parts.length) return null;
  const params: Record<string, string> = {};
  for (let i = 0; i < pattern.length; i++) {
    const want = pattern[i]!;
    const got = parts[i]!;
    if (want.startsWith(':')) {
      if (got === '') return null;
      let value: string;
      try {
        value = decodeURIComponent(got);
      } catch {
        throw new HttpError(400, 'invalid', `${want.slice(1)}: not valid percent-encoding`);
      }
      params[want.slice(1)] = value;
    } else if (want !== got) {
      return null;
    }
  }
  return params;
}

/** Reads a JSON body of at most `limit` bytes and validates it; 400 `invalid` naming the field, 413 when too large, 415 when not JSON. */
export async function readJsonBody<S extends z.ZodType>(
  req: IncomingMessage,
  schema: S,
  limit = MAX_JSON_BODY_BYTES,
): Promise<z.infer<S>> {
  const type = req.headers['content-type'] ?? '';
  if (!/^application\/json\b/i.test(type))
    throw new HttpError(415, 'unsupported-media-type', 'expected Content-Type: application/json');
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > limit) throw new HttpError(413, 'too-large', `body over ${limit} bytes`);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) throw new HttpError(413, 'too-large', `body over ${limit} bytes`);
    chunks.push(chunk);
  }
  let body: unknown;
  try {
    body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    throw new HttpError(400, 'invalid', 'body: not valid JSON');
  }
  return parseOrInvalid(schema, body, 'body');
}

/** Validates with zod; the 400 `invalid` message names the first offending field. */
export function parseOrInvalid<S extends z.ZodType>(schema: S, value: unknown, what: string): z.infer<S> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issue = result.error.issues[0]!;
  const field = issue.path.length ? issue.path.join('.') : what;
  throw new HttpError(400, 'invalid', `${field}: ${issue.message}`);
}

export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    ...headers,
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': Buffer.byteLength(text),
  });
  res.end(text);
}

export function sendError(res: ServerResponse, err: HttpError): void {
  sendJson(res, err.status, { error: { code: err.code, message: err.message } } satisfies ErrorResponse, err.headers);
}

export function sendBytes(
  res: ServerResponse,
  status: number,
  type: string,
  body: Buffer | string,
  headers: Record<string, string> = {},
): void {
  res.writeHead(status, { ...headers, 'Content-Type': type, 'Content-Length': Buffer.byteLength(body) });
  res.end(body);
}
