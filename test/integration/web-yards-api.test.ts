import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { YardsResponse } from '../../src/web/api-contract.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { settle } from '../helpers/fake-serial-port.js';
import { useTempDirs } from '../helpers/store-fixtures.js';
import { OPERATOR, startYardGate, VIEWER, YARD_ID, type YardGate } from '../helpers/yard-gate.js';
import { voted } from '../helpers/voted.js';

/** The smallest JPEG the crop route serves. */
const JPEG = Buffer.from([0xff, 0xd8, 0xff, 0xd9]);
import type { Store } from '../../src/store/store.js';

// The yard's page API on a real web server, YardService, lanes and store: who may do what,
// what each request records, and how bad input, refusals and a failing store are answered.

const temp = useTempDirs();
const NOW = Date.UTC(2026, 10, 25, 3, 0, 0);
const HOUR = 3600_000;
let clock: FakeClock;
let store: Store;
let gate: YardGate;

beforeEach(async () => {
  clock = new FakeClock(NOW);
  store = temp.open(temp.make(), {}, clock);
  gate = await startYardGate(store, clock, { allow: ['29C12345', '29H55555'] });
});

afterEach(async () => {
  await gate.stop();
});

async function login({ username, password }: { username: string; password: string }) {
  const res = await fetch(`${gate.url}/api/login`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ username, password }),
  });
  expect(res.status).toBe(200);
  const { csrfToken } = (await res.json()) as { csrfToken: string };
  return { cookie: res.headers.get('set-cookie')!.split(';')[0]!, csrf: csrfToken };
}

type Auth = { cookie: string; csrf: string };
type Answer = { status: number; body: { eventId?: string; error?: { code: string; message: string } } };

async function post(auth: Auth, path: string, body: unknown): Promise<Answer> {
  const res = await fetch(`${gate.url}${path}`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Cookie: auth.cookie, 'X-CSRF-Token': auth.csrf },
    body: JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as Answer['body'] };
}

async function yards(auth: Auth): Promise<YardsResponse['yards']> {
  const res = await fetch(`${gate.url}/api/yards`, { headers: { Cookie: auth.cookie } });
  expect(res.status).toBe(200);
  return ((await res.json()) as YardsResponse).yards;
}

const payloadOf = (eventId: string) => store.events.get(eventId)!.event;
const add = (auth: Auth, plate: string, extra: Record<string, unknown> = {}) =>
  post(auth, `/api/yards/${YARD_ID}/corrections`, { action: 'add', plate, reason: 'lane 1 camera down', ...extra });

describe('GET /api/yards', () => {
  it('shows a viewer the yard: occupancy per class, vehicles longest dwell first, held vehicles and calls', async () => {
    expect((await fetch(`${gate.url}/api/yards`)).status).toBe(401);
    const op = await login(OPERATOR);
    expect((await add(op, '29C-123.45', { enteredAt: NOW - HOUR })).status).toBe(200);
    expect((await add(op, '29H-555.55', { enteredAt: NOW - 5 * HOUR, vehicleClass: 'truck' })).status).toBe(200);
    expect((await add(op, '云A·12345')).status).toBe(200);
    expect((await post(op, `/api/yards/${YARD_ID}/calls`, { plate: '29C12345', reason: 'papers ready' })).status).toBe(
      200,
    );
    // Full: an allowed vehicle at the entry is held for room.
    gate.entry.onRead(voted('29H55555', { crop: JPEG }));
    await settle();

    const [yard, ...others] = await yards(await login(VIEWER));
    expect(others).toEqual([]);
    expect(yard).toMatchObject({
      yardId: YARD_ID,
      name: 'Bãi chờ Kim Thành',
      capacity: 3,
      occupancy: 3,
      full: true,
      classes: [{ id: 'truck', capacity: 2, occupancy: 1 }],
      overstayMinutes: [240],
    });
    expect(yard!.vehicles.map((v) => [v.plate, v.display, v.dwellMs, v.overstay, v.called])).toEqual([
      ['29H55555', '29H-555.55', 5 * HOUR, 1, false],
      ['29C12345', '29C-123.45', HOUR, 0, true],
      ['云A12345', '云A·12345', 0, 0, false],
    ]);
    expect(yard!.vehicles[0]!.entryLaneId).toBe('gate');
    expect(yard!.holds).toEqual([expect.objectContaining({ laneId: 'entry-1', plate: '29H55555', offered: false })]);
    expect(yard!.calls).toEqual([expect.objectContaining({ plate: '29C12345', calledBy: OPERATOR.username })]);
  });
});

describe('POST /api/yards/:yardId/calls and .../cancel', () => {
  it('calls a vehicle forward as the logged-in operator, source page; a viewer may not; a second call conflicts', async () => {
    const viewer = await login(VIEWER);
    const refused = await post(viewer, `/api/yards/${YARD_ID}/calls`, { plate: '云A12345', reason: 'next in line' });
    expect(refused.status).toBe(403);
    expect(refused.body.error!.code).toBe('forbidden');

    const op = await login(OPERATOR);
    const path = `/api/yards/${YARD_ID}/calls`;
    const bad = [
      [{ reason: 'next in line' }, /^plate:/],
      [{ plate: '-·-', reason: 'next in line' }, /^plate:/],
      [{ plate: '云A12345', reason: 'ok' }, /^reason:/],
      [{ plate: '云A12345', reason: 'next in line', extra: 1 }, null],
    ] as const;
    for (const [body, message] of bad) {
      const answer = await post(op, path, body);
      if (message === null) continue; // unknown fields are dropped, as elsewhere in the API
      expect(answer.status, JSON.stringify(body)).toBe(400);
      expect(answer.body.error, JSON.stringify(body)).toEqual({
        code: 'invalid',
        message: expect.stringMatching(message),
      });
    }
    expect((await post(op, '/api/yards/nope/calls', { plate: '云A12345', reason: 'next in line' })).status).toBe(404);

    const again = await post(op, path, { plate: '云A·12345', reason: 'next in line' });
    expect(again).toEqual({
      status: 409,
      body: { error: { code: 'conflict', message: expect.stringContaining('already called') } },
    });
    const [yard] = await yards(op);
    const call = yard!.calls[0]!;
    expect(call).toMatchObject({ plate: '云A12345', calledBy: OPERATOR.username });
    expect(payloadOf(call.callId)).toMatchObject({
      type: 'yard.call',
      laneId: 'gate',
      payload: {
        action: 'called',
        plate: '云A12345',
        operator: OPERATOR.username,
        source: 'page',
        reason: 'next in line',
      },
    });

    const cancel = `/api/yards/${YARD_ID}/calls/${call.callId}/cancel`;
    expect((await post(viewer, cancel, { reason: 'driver not ready' })).status).toBe(403);
    expect((await post(op, cancel, {})).body.error!.message).toMatch(/^reason:/);
    const cancelled = await post(op, cancel, { reason: 'driver not ready' });
    expect(cancelled.status).toBe(200);
    expect(payloadOf(cancelled.body.eventId!).payload).toMatchObject({
      action: 'cancelled',
      callId: call.callId,
      operator: OPERATOR.username,
      source: 'page',
    });
    expect((await yards(op))[0]!.calls).toEqual([]);
    const twice = await post(op, cancel, { reason: 'driver not ready' });
    expect(twice.status).toBe(409);
    expect(twice.body.error!.code).toBe('conflict');
  });
});

describe('POST /api/yards/:yardId/corrections', () => {
  it('adds a vehicle that came in unseen and marks one as left; refuses what the yard cannot take', async () => {
    const op = await login(OPERATOR);
    const path = `/api/yards/${YARD_ID}/corrections`;
    const invalid = async (body: unknown, field: RegExp) => {
      const answer = await post(op, path, body);
      expect(answer.status, JSON.stringify(body)).toBe(400);
      expect(answer.body.error, JSON.stringify(body)).toEqual({
        code: 'invalid',
        message: expect.stringMatching(field),
      });
    };
    await invalid({ plate: '29C12345', reason: 'lane 1 camera down' }, /^action:/);
    await invalid({ action: 'remove', plate: '29C12345', reason: 'lane 1 camera down' }, /^action:/);
    await invalid({ action: 'add', reason: 'lane 1 camera down' }, /^plate:/);
    await invalid({ action: 'add', plate: '29C12345', reason: 'x' }, /^reason:/);
    await invalid({ action: 'add', plate: '29C12345', reason: 'lane down', enteredAt: 'yesterday' }, /^enteredAt:/);
    await invalid(
      { action: 'add', plate: '29C12345', reason: 'lane down', enteredAt: NOW + 60_000 },
      /^enteredAt: must not be in the future/,
    );
    await invalid(
      { action: 'add', plate: '29C12345', reason: 'lane down', vehicleClass: 'bus' },
      /^vehicleClass: .*truck/,
    );
    await invalid({ action: 'mark-left', reason: 'seen leaving' }, /^visitId:/);
    expect((await yards(op))[0]!.vehicles).toEqual([]);

    const added = await add(op, '29c-123.45', { enteredAt: NOW - 2 * HOUR, vehicleClass: 'truck' });
    expect(added.status).toBe(200);
    expect(payloadOf(added.body.eventId!)).toMatchObject({
      type: 'operator.action',
      laneId: 'gate',
      payload: { action: 'yard.add', yardId: YARD_ID, plate: '29C12345', operator: OPERATOR.username, source: 'page' },
    });
    const [vehicle] = (await yards(op))[0]!.vehicles;
    expect(vehicle).toMatchObject({ plate: '29C12345', vehicleClass: 'truck', enteredAt: NOW - 2 * HOUR });
    expect(payloadOf(vehicle!.visitId)).toMatchObject({
      type: 'yard.entered',
      payload: { how: 'correction', operatorEventId: added.body.eventId },
    });
    const twice = await add(op, '29C12345');
    expect(twice.status).toBe(409);
    expect(twice.body.error!.message).toContain('inside');

    const viewer = await login(VIEWER);
    const markLeft = { action: 'mark-left', visitId: vehicle!.visitId, reason: 'seen leaving on foot' };
    expect((await post(viewer, path, markLeft)).status).toBe(403);
    const left = await post(op, path, markLeft);
    expect(left.status).toBe(200);
    expect(payloadOf(left.body.eventId!).payload).toMatchObject({
      action: 'yard.mark-left',
      visitId: vehicle!.visitId,
      operator: OPERATOR.username,
      source: 'page',
    });
    const recorded = store.events.query({ type: 'yard.left' }).events;
    expect(recorded.map((e) => e.payload)).toEqual([
      expect.objectContaining({ visitId: vehicle!.visitId, how: 'correction', dwellMs: 2 * HOUR }),
    ]);
    expect((await yards(op))[0]!.vehicles).toEqual([]);
    const gone = await post(op, path, markLeft);
    expect(gone.status).toBe(409);
    expect(gone.body.error!.message).toContain(vehicle!.visitId);
    expect((await post(op, `/api/yards/nope/corrections`, markLeft)).status).toBe(404);
  });

  it('answers 503 store-failed when the store cannot record it, and nothing is done', async () => {
    const op = await login(OPERATOR);
    gate.storeFails.now = true;
    const answer = await add(op, '29C12345');
    expect(answer).toEqual({
      status: 503,
      body: { error: { code: 'store-failed', message: expect.stringContaining('database or disk is full') } },
    });
    const call = await post(op, `/api/yards/${YARD_ID}/calls`, { plate: '29C12345', reason: 'papers ready' });
    expect(call.status).toBe(503);
    gate.storeFails.now = false;
    expect((await yards(op))[0]).toMatchObject({ occupancy: 0, vehicles: [], calls: [] });
    expect((await add(op, '29C12345')).status).toBe(200);
  });
});

describe('GET /api/stream', () => {
  it('tells the page which yard changed, at most once a second, the last change included', async () => {
    const op = await login(OPERATOR);
    const abort = new AbortController();
    const res = await fetch(`${gate.url}/api/stream`, { headers: { Cookie: op.cookie }, signal: abort.signal });
    const reader = res.body!.getReader();
    const decoder = new TextDecoder();
    let text = '';
    let pending: ReturnType<typeof reader.read> | null = null;
    const yardMessages = () => [...text.matchAll(/event: yard\ndata: (.*)\n\n/g)].map((m) => JSON.parse(m[1]!));
    /** Reads (bounded) until `seen`; a read not answered yet is kept for the next round, so no chunk is lost. */
    const readUntil = async (seen: () => boolean) => {
      for (let i = 0; i < 100 && !seen(); i++) {
        pending ??= reader.read();
        const chunk = await Promise.race([pending, new Promise<null>((r) => setTimeout(() => r(null), 100))]);
        if (!chunk) continue;
        pending = null;
        if (!chunk.done) text += decoder.decode(chunk.value, { stream: true });
      }
    };
    await readUntil(() => text.includes('event: health'));
    // Three changes at once: one message now, one for the other two when the second is up.
    for (let i = 0; i < 3; i++) gate.bus.emit('yard.changed', { yardId: YARD_ID });
    await readUntil(() => yardMessages().length >= 2);
    expect(yardMessages()).toEqual([{ yardId: YARD_ID }, { yardId: YARD_ID }]);
    // A real change is told too.
    expect((await add(op, '29C12345')).status).toBe(200);
    await readUntil(() => yardMessages().length >= 3);
    abort.abort();
    expect(yardMessages()).toEqual([{ yardId: YARD_ID }, { yardId: YARD_ID }, { yardId: YARD_ID }]);
  });
});
