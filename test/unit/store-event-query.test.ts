import { describe, expect, it } from 'vitest';
import { FakeClock } from '../helpers/fake-clock.js';
import type { Store } from '../../src/store/store.js';
import type { NewEvent } from '../../src/store/types.js';
import { useTempDirs } from '../helpers/store-fixtures.js';

// The status page's event list on a real SQLite store: the plate lives in a different place per event type.

const T0 = Date.UTC(2026, 10, 25, 3, 0, 0);

function seed(store: Store, clock: FakeClock) {
  const at = (ms: number, event: NewEvent) => {
    clock.advance(ms);
    return store.events.append(event);
  };
  const read = at(0, {
    type: 'plate.read',
    laneId: 'entry-1',
    payload: { text: '29C12345', display: '29C-123.45' },
    crop: Buffer.from([0xff, 0xd8]),
  });
  const decision = at(10, {
    type: 'decision',
    laneId: 'entry-1',
    payload: { action: 'hold', reason: 'unknown-plate', plate: { text: '29C12345', display: '29C-123.45' } },
  });
  const op = at(1000, {
    type: 'operator.action',
    laneId: 'entry-1',
    payload: { action: 'confirm', holdId: decision.eventId, plate: '29C12345', operator: 'a', source: 'page' },
  });
  const other = at(1000, {
    type: 'decision',
    laneId: 'exit-1',
    payload: { action: 'open', reason: 'allowed', plate: { text: '云A12345' } },
  });
  const alarm = at(1000, {
    type: 'alarm',
    laneId: 'entry-1',
    payload: { alarm: 'lane.wait', detail: 'x', plate: null },
  });
  const late = at(20 * 60_000, {
    type: 'vehicle',
    laneId: 'entry-1',
    payload: { outcome: 'passed', plate: '29C12345' },
  });
  return { read, decision, op, other, alarm, late };
}

describe('EventStore.query', () => {
  const temp = useTempDirs();
  const setUp = () => {
    const clock = new FakeClock(T0);
    const store = temp.open(temp.make(), {}, clock);
    return { store, clock, e: seed(store, clock) };
  };
  const ids = (events: { eventId: string }[]) => events.map((e) => e.eventId);

  it('lists newest first with delivered and hasCrop', () => {
    const { store, e } = setUp();
    store.events.markDelivered([1]);
    const { events, next } = store.events.query();
    expect(ids(events)).toEqual(ids([e.late, e.alarm, e.other, e.op, e.decision, e.read]));
    expect(next).toBeNull();
    expect(events.at(-1)).toMatchObject({ type: 'plate.read', hasCrop: true, delivered: true });
    expect(events[0]).toMatchObject({ delivered: false, hasCrop: false });
  });

  it.each([
    ['lane', { laneId: 'exit-1' }, ['other']],
    ['type', { type: 'operator.action' as const }, ['op']],
    ['action', { action: 'hold' as const }, ['decision']],
    ['action open', { action: 'open' as const }, ['other']],
    ['plate in decision, read, string payloads', { plate: '29C123' }, ['late', 'op', 'decision', 'read']],
    ['plate in Chinese', { plate: '云A' }, ['other']],
    ['plate with no match', { plate: '51G' }, []],
    ['from/to', { from: T0 + 1010, to: T0 + 3010 }, ['alarm', 'other', 'op']],
    ['lane + plate', { laneId: 'exit-1', plate: '29C' }, []],
  ])('filters by %s', (_name, filter, expected) => {
    const { store, e } = setUp();
    const byName = e as Record<string, { eventId: string }>;
    expect(ids(store.events.query(filter).events)).toEqual(expected.map((n) => byName[n]!.eventId));
  });

  it('pages with the before cursor until next is null', () => {
    const { store } = setUp();
    const seen: string[] = [];
    let before: string | undefined;
    let pages = 0;
    do {
      const page = store.events.query({ limit: 4, ...(before && { before }) });
      seen.push(...ids(page.events));
      before = page.next ?? undefined;
      pages++;
    } while (before);
    expect(pages).toBe(2);
    expect(seen).toEqual(ids(store.events.query({ limit: 200 }).events));
  });

  it('caps limit at 200', () => {
    const clock = new FakeClock(T0);
    const store = temp.open(temp.make(), {}, clock);
    for (let i = 0; i < 230; i++) store.events.append({ type: 'alarm', laneId: 'entry-1', payload: { i } });
    const page = store.events.query({ limit: 1000 });
    expect(page.events).toHaveLength(200);
    expect(page.next).toBe(page.events[199]!.eventId);
  });

  it('finds the events of the same vehicle: same lane, same plate or linked ids, within 10 minutes, oldest first', () => {
    const { store, e } = setUp();
    expect(ids(store.events.related(e.decision.eventId))).toEqual(ids([e.read, e.op]));
    expect(ids(store.events.related(e.read.eventId))).toEqual(ids([e.decision, e.op]));
    expect(store.events.related('01NOSUCHEVENT')).toEqual([]);
  });

  it('tells the age of the oldest undelivered event', () => {
    const { store, e } = setUp();
    expect(store.events.oldestPendingTs()).toBe(e.read.ts);
    store.events.markDelivered([1, 2, 3, 4, 5, 6]);
    expect(store.events.oldestPendingTs()).toBeNull();
  });
});
