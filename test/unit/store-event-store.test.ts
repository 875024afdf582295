import { sha256Hex } from '../../src/evidence/chain.js';
import { describe, expect, it } from 'vitest';
import { FakeClock } from '../helpers/fake-clock.js';
import type { NewEvent } from '../../src/store/types.js';
import { decodeTime, isUlid } from '../../src/store/ulid.js';
import { useTempDirs } from '../helpers/store-fixtures.js';

const read = (laneId: string, plate: string, crop?: Buffer): NewEvent => ({
  type: 'plate.read',
  laneId,
  payload: { plate },
  ...(crop && { crop }),
});

describe('EventStore', () => {
  const temp = useTempDirs();

  it('records the envelope: ULID, boot id, seq per lane, site, clock times, payload', () => {
    const clock = new FakeClock(Date.UTC(2026, 2, 3));
    clock.advance(1500);
    const store = temp.open(temp.make(), { bootId: 'boot-a' }, clock);
    const stored = store.events.append(read('entry-1', '29C12345'));
    expect(isUlid(stored.eventId)).toBe(true);
    expect(decodeTime(stored.eventId)).toBe(clock.now());
    expect(stored).toEqual({
      eventId: stored.eventId,
      bootId: 'boot-a',
      seq: 1,
      siteId: 'mlt-kth',
      laneId: 'entry-1',
      type: 'plate.read',
      ts: Date.UTC(2026, 2, 3) + 1500,
      monoAt: 1500,
      payload: { plate: '29C12345' },
      hasCrop: false,
      chain: {
        v: 1,
        payloadHash: sha256Hex('{"plate":"29C12345"}'),
        cropHash: null,
        prevHash: null,
        chainHash: stored.chain!.chainHash,
      },
    });
    expect(stored.chain!.chainHash).toMatch(/^[0-9a-f]{64}$/);
    expect(store.events.get(stored.eventId)).toEqual({ outboxId: 1, event: stored });
  });

  it('numbers each lane on its own', () => {
    const store = temp.open(temp.make());
    const lanes = ['entry-1', 'exit-1', 'entry-1', 'entry-1', 'exit-1'];
    expect(lanes.map((lane) => store.events.append(read(lane, 'X')).seq)).toEqual([1, 1, 2, 3, 2]);
  });

  it('hands out pending entries oldest first, in pages after a position', () => {
    const store = temp.open(temp.make());
    const ids = ['A', 'B', 'C', 'D', 'E'].map((p) => store.events.append(read('entry-1', p)).eventId);
    const page1 = store.events.pending(2);
    expect(page1.map((e) => e.event.eventId)).toEqual(ids.slice(0, 2));
    const page2 = store.events.pending(2, page1.at(-1)!.outboxId);
    expect(page2.map((e) => e.event.eventId)).toEqual(ids.slice(2, 4));
    expect(store.events.pending(10, page2.at(-1)!.outboxId).map((e) => e.event.payload.plate)).toEqual(['E']);
    const outboxIds = store.events.pending(10).map((e) => e.outboxId);
    expect([...outboxIds].sort((a, b) => a - b)).toEqual(outboxIds);
  });

  it('marks delivered idempotently, skipping delivered entries in pending and the count', () => {
    const clock = new FakeClock();
    const store = temp.open(temp.make(), {}, clock);
    for (const p of ['A', 'B', 'C', 'D']) store.events.append(read('entry-1', p));
    const [a, b, c, d] = store.events.pending(10);
    expect(store.events.pendingCount()).toBe(4);
    expect(store.events.markDelivered([b!.outboxId, d!.outboxId])).toBe(2);
    expect(store.events.markDelivered([b!.outboxId, d!.outboxId, 999])).toBe(0); // repeats and unknown ids
    expect(store.events.markDelivered([])).toBe(0);
    expect(store.events.pendingCount()).toBe(2);
    expect(store.events.pending(10)).toEqual([a, c]);
    // The first delivery time stays: a repeated acknowledgement does not move it.
    clock.advance(5000);
    store.events.markDelivered([b!.outboxId]);
    const deliveredAt = store.db
      .prepare('SELECT delivered_at FROM outbox WHERE outbox_id = ?')
      .pluck()
      .get(b!.outboxId);
    expect(deliveredAt).toBe(clock.now() - 5000);
  });

  it('keeps the crop beside the event, out of the outbox entries', () => {
    const store = temp.open(temp.make());
    const crop = Buffer.from([0xff, 0xd8, 0xff, 0xe0, 1, 2, 3]);
    const withCrop = store.events.append(read('entry-1', 'A', crop));
    const without = store.events.append(read('entry-1', 'B'));
    expect(withCrop.hasCrop).toBe(true);
    expect(store.events.getCrop(withCrop.eventId)).toEqual(crop);
    expect(store.events.getCrop(without.eventId)).toBeUndefined();
    expect(store.events.getCrop('01ARZ3NDEKTSV4RRFFQ69G5FAV')).toBeUndefined();
    expect(store.events.pending(10).map((e) => [e.event.hasCrop, 'crop' in e.event])).toEqual([
      [true, false],
      [false, false],
    ]);
  });

  it('continues each lane’s seq after a restart, under a new boot id', () => {
    const dir = temp.make();
    const first = temp.open(dir);
    for (const lane of ['entry-1', 'entry-1', 'exit-1']) first.events.append(read(lane, 'X'));
    first.close();
    const second = temp.open(dir);
    expect(second.bootId).not.toBe(first.bootId);
    expect(isUlid(second.bootId)).toBe(true);
    const next = second.events.append(read('entry-1', 'Y'));
    expect([next.seq, next.bootId]).toEqual([3, second.bootId]);
    expect(second.events.append(read('exit-1', 'Y')).seq).toBe(2);
    expect(second.events.append(read('exit-2', 'Y')).seq).toBe(1);
    expect(second.events.pending(10).map((e) => e.event.bootId)).toEqual([
      first.bootId,
      first.bootId,
      first.bootId,
      second.bootId,
      second.bootId,
      second.bootId,
    ]);
  });

  it('keeps seq going after a lane’s events are all gone', () => {
    const store = temp.open(temp.make());
    store.events.append(read('entry-1', 'A'));
    store.events.markDelivered(store.events.pending(10).map((e) => e.outboxId));
    store.db.exec('DELETE FROM events');
    expect(store.events.append(read('entry-1', 'B')).seq).toBe(2);
  });

  it('writes nothing, and uses no seq, when the append fails part-way', () => {
    const store = temp.open(temp.make());
    store.events.append(read('entry-1', 'A'));
    // A crop SQLite cannot bind fails after the seq was taken, inside the transaction.
    expect(() => store.events.append({ ...read('entry-1', 'B'), crop: {} as Buffer })).toThrow();
    expect(store.events.pendingCount()).toBe(1);
    expect(store.events.append(read('entry-1', 'C')).seq).toBe(2);
  });

  it('refuses payloads that are not JSON objects, naming the event', () => {
    const store = temp.open(temp.make());
    const circular: Record<string, unknown> = {};
    circular.self = circular;
    expect(() => store.events.append({ type: 'decision', laneId: 'exit-1', payload: circular })).toThrow(
      /^decision event for lane exit-1: payload is not JSON-serialisable/,
    );
    expect(() =>
      store.events.append({ type: 'decision', laneId: 'exit-1', payload: [] as unknown as Record<string, unknown> }),
    ).toThrow('decision event for lane exit-1: payload must be an object');
    expect(() => store.events.append({ type: 'decision', laneId: '', payload: {} })).toThrow(
      'event of type decision has no laneId',
    );
    expect(store.events.pendingCount()).toBe(0);
  });

  it('returns the payload as stored (JSON), not the caller’s object', () => {
    const store = temp.open(temp.make());
    const stored = store.events.append({
      type: 'alarm',
      laneId: 'entry-1',
      payload: { at: new Date(0), gone: undefined },
    });
    expect(stored.payload).toEqual({ at: '1970-01-01T00:00:00.000Z' });
    expect(store.events.pending(1)[0]!.event.payload).toEqual(stored.payload);
  });

  it('tells listeners after each append; a failing listener is logged, not fatal; unsubscribe stops it', () => {
    const store = temp.open(temp.make());
    const calls: string[] = [];
    const off = store.events.onAppend(() => calls.push('a'));
    store.events.onAppend(() => {
      throw new Error('listener bug');
    });
    store.events.onAppend(() => calls.push(`b${store.events.pendingCount()}`)); // sees the committed row
    store.events.append(read('entry-1', 'A'));
    off();
    store.events.append(read('entry-1', 'B'));
    expect(calls).toEqual(['a', 'b1', 'b2']);
  });

  it('refuses to delete an undelivered event, whoever tries', () => {
    const store = temp.open(temp.make());
    const kept = store.events.append(read('entry-1', 'A'));
    const gone = store.events.append(read('entry-1', 'B'));
    store.events.markDelivered([store.events.get(gone.eventId)!.outboxId]);
    expect(() => store.db.exec('DELETE FROM events')).toThrow(
      'refusing to delete an event that has not been delivered',
    );
    store.db.prepare('DELETE FROM events WHERE event_id = ?').run(gone.eventId);
    expect(store.events.get(gone.eventId)).toBeUndefined();
    expect(store.events.get(kept.eventId)?.event.payload).toEqual({ plate: 'A' });
    expect(store.db.prepare('SELECT COUNT(*) FROM outbox').pluck().get()).toBe(1); // its outbox row went with it
  });

  it.each([0, -1, 1.5])('refuses pending(limit = %d)', (limit) => {
    const store = temp.open(temp.make());
    expect(() => store.events.pending(limit)).toThrow(/limit must be a whole number/);
  });

  it("laneHistory: one lane's events of the asked types from a time on, oldest first, delivered or not", () => {
    const clock = new FakeClock(Date.UTC(2026, 2, 3));
    const store = temp.open(temp.make(), {}, clock);
    const append = (laneId: string, type: NewEvent['type'], tag: string) => {
      clock.advance(1000);
      return store.events.append({ type, laneId, payload: { tag } });
    };
    append('entry-1', 'decision', 'too old');
    const from = clock.now() + 1;
    const first = append('entry-1', 'decision', 'a');
    append('exit-1', 'decision', 'other lane');
    append('entry-1', 'plate.read', 'other type');
    append('entry-1', 'vehicle', 'b');
    append('entry-1', 'operator.action', 'c');
    store.events.markDelivered([store.events.get(first.eventId)!.outboxId]);
    const tags = (types: NewEvent['type'][]) =>
      store.events.laneHistory('entry-1', types, from).map((e) => e.payload.tag);
    expect(tags(['decision', 'vehicle', 'operator.action'])).toEqual(['a', 'b', 'c']);
    expect(tags(['vehicle'])).toEqual(['b']);
    expect(tags([])).toEqual([]);
    expect(store.events.laneHistory('entry-1', ['decision'], 0).map((e) => e.payload.tag)).toEqual(['too old', 'a']);
  });
});
