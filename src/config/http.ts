import { z } from 'zod';
import { integer, nonEmptyString, positiveMs } from './fields.js';

/** The page's limits when the config leaves them out (and for a WebServer built without a config). */
export const HTTP_LIMIT_DEFAULTS = {
  maxConnections: 256,
  maxConnectionsPerAddress: 32,
  requestTimeoutMs: 15_000,
  maxConcurrentLogins: 2,
} as const;

export const httpTlsSchema = z
  .strictObject({
    cert: nonEmptyString().describe(
      "PEM file of the page's certificate (with any intermediate certificates after it), read at start.",
    ),
    key: nonEmptyString().describe('PEM file of the private key of `cert` (not encrypted), read at start.'),
  })
  .describe(
    'Serve the page over HTTPS with this certificate; the session cookie is then `Secure`. Leave out for plain HTTP (fine on 127.0.0.1 only).',
  );

export const httpSchema = z
  .strictObject({
    // Optional rather than defaulted: a config that leaves it out reads back unchanged.
    enabled: z
      .boolean()
      .optional()
      .describe('Serve the status page (and /metrics, /healthz); false turns it off. Default: true.'),
    port: integer().min(0).max(65535).default(8080).describe('TCP port of the status page; 0 picks a free port.'),
    host: nonEmptyString()
      .default('127.0.0.1')
      .describe(
        'Address to listen on. The default serves this computer only; use 0.0.0.0 to serve the gate network (then set `tls`).',
      ),
    tls: httpTlsSchema.optional(),
    maxConnections: integer()
      .min(1)
      .max(65_535)
      .default(HTTP_LIMIT_DEFAULTS.maxConnections)
      .describe('Open connections to the page at most, over all clients; more are closed at once.'),
    maxConnectionsPerAddress: integer()
      .min(1)
      .max(65_535)
      .default(HTTP_LIMIT_DEFAULTS.maxConnectionsPerAddress)
      .describe(
        'Open connections from one client address at most (a browser tab uses up to 6, plus its event stream and one per live video).',
      ),
    requestTimeoutMs: positiveMs()
      .min(1000)
      .default(HTTP_LIMIT_DEFAULTS.requestTimeoutMs)
      .describe(
        'A request (and, with `tls`, the handshake before it) must arrive whole within this many ms, or the connection is closed.',
      ),
    maxConcurrentLogins: integer()
      .min(1)
      .max(16)
      .default(HTTP_LIMIT_DEFAULTS.maxConcurrentLogins)
      .describe(
        'Passwords checked at once, at most; each check takes 128 MiB and about 0.3 s of a core. A login beyond them is answered 503 at once.',
      ),
  })
  .prefault({})
  .describe('The local status page.');

export type HttpConfig = z.infer<typeof httpSchema>;
