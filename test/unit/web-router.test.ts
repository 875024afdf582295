import { Readable } from 'node:stream';
import type { IncomingMessage } from 'node:http';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { parseCookies } from '../../src/web/auth-middleware.js';
import { HttpError, readJsonBody, Router } from '../../src/web/router.js';

const noop = () => {};

function body(text: string, headers: Record<string, string> = { 'content-type': 'application/json' }): IncomingMessage {
  return Object.assign(Readable.from([Buffer.from(text)]), { headers }) as unknown as IncomingMessage;
}

async function rejection(p: Promise<unknown>): Promise<HttpError> {
  try {
    await p;
  } catch (err) {
    if (err instanceof HttpError) return err;
    throw err;
  }
  throw new Error('expected a rejection');
}

describe('Router', () => {
  const router = new Router()
    .get('/api/lanes', 'viewer', noop)
    .post('/api/lanes/:laneId/holds/:holdId/confirm', 'operator', noop)
    .post('/api/login', null, noop);

  it.each([
    ['GET', '/api/lanes', {}],
    ['POST', '/api/lanes/entry-1/holds/01ABC/confirm', { laneId: 'entry-1', holdId: '01ABC' }],
    ['POST', '/api/lanes/l%C3%A0n%201/holds/h/confirm', { laneId: 'làn 1', holdId: 'h' }],
  ])('%s %s → params %j', (method, path, params) => {
    const m = router.match(method, path);
    expect(m && 'route' in m ? m.params : m).toEqual(params);
  });

  it('tells the allowed methods of a path that exists for others only', () => {
    expect(router.match('GET', '/api/login')).toEqual({ allowed: ['POST'] });
  });

  it.each(['/api/lanes/', '/api/lanes/x', '/api/lanes//holds/h/confirm', '/nope'])('does not match %s', (path) => {
    expect(router.match('GET', path) ?? router.match('POST', path)).toBeNull();
  });

  it('refuses malformed percent-encoding in a parameter with 400 invalid', () => {
    expect(() => router.match('POST', '/api/lanes/%E0%A4%A/holds/h/confirm')).toThrow(HttpError);
  });
});

describe('readJsonBody', () => {
  const schema = z.object({ reason: z.string().min(3), nested: z.object({ n: z.number() }).optional() });

  it('returns the validated body', async () => {
    await expect(readJsonBody(body('{"reason":"checked"}'), schema)).resolves.toEqual({ reason: 'checked' });
  });

  it.each([
    ['{"reason":"no"}', 'reason:'],
    ['{"reason":"fine","nested":{"n":"x"}}', 'nested.n:'],
    ['{}', 'reason:'],
    ['not json', 'body: not valid JSON'],
  ])('400 invalid naming the field for %s', async (text, field) => {
    const err = await rejection(readJsonBody(body(text), schema));
    expect(err).toMatchObject({ status: 400, code: 'invalid' });
    expect(err.message.startsWith(field)).toBe(true);
  });

  it('413 over the size limit, 415 without a JSON content type', async () => {
    expect(await rejection(readJsonBody(body(`{"reason":"${'x'.repeat(100)}"}`), schema, 64))).toMatchObject({
      status: 413,
    });
    expect(await rejection(readJsonBody(body('{}', { 'content-type': 'text/plain' }), schema))).toMatchObject({
      status: 415,
    });
  });
});

describe('parseCookies', () => {
  it('reads pairs, trims, unquotes and keeps the first of a repeated name', () => {
    const c = parseCookies('a=1; sg_session=abc ; b="q"; a=2; junk');
    expect([...c]).toEqual([
      ['a', '1'],
      ['sg_session', 'abc'],
      ['b', 'q'],
    ]);
    expect(parseCookies(undefined).size).toBe(0);
  });
});
