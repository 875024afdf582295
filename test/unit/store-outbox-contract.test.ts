import { describe, expect, it } from 'vitest';
import { FakeClock } from '../helpers/fake-clock.js';
import type { EventSink, Outbox } from '../../src/store/types.js';
import { isUlid } from '../../src/store/ulid.js';
import { MemoryOutbox } from '../helpers/memory-outbox.js';
import { useTempDirs } from '../helpers/store-fixtures.js';

/**
 * The Outbox/EventSink contract of src/store/types.ts, run against the SQLite store and the
 * uplink tests' in-memory fake, so the fake cannot drift from the real thing.
 */
describe.each([
  ['EventStore (SQLite)', 'sqlite'],
  ['MemoryOutbox (test fake)', 'memory'],
] as const)('%s obeys the outbox contract', (_, kind) => {
  const temp = useTempDirs();
  const make = (clock = new FakeClock()): Outbox & EventSink =>
    kind === 'sqlite' ? temp.open(temp.make(), {}, clock).events : new MemoryOutbox(clock);
  const append = (outbox: EventSink, laneId: string, n: number) =>
    outbox.append({ type: 'plate.read', laneId, payload: { n } });

  it('stamps each event: ULID id, per-lane seq from 1, clock times, crop flag', () => {
    const clock = new FakeClock(Date.UTC(2026, 0, 1));
    const outbox = make(clock);
    clock.advance(42);
    const a = outbox.append({ type: 'decision', laneId: 'entry-1', payload: { ok: true }, crop: Buffer.from([1]) });
    const b = append(outbox, 'exit-1', 2);
    const c = append(outbox, 'entry-1', 3);
    expect([a.seq, b.seq, c.seq]).toEqual([1, 1, 2]);
    expect([a.eventId, b.eventId, c.eventId].every(isUlid)).toBe(true);
    expect([a.eventId, b.eventId, c.eventId].sort()).toEqual([a.eventId, b.eventId, c.eventId]);
    expect(a).toMatchObject({
      type: 'decision',
      laneId: 'entry-1',
      ts: Date.UTC(2026, 0, 1) + 42,
      monoAt: 42,
      payload: { ok: true },
      hasCrop: true,
    });
    expect(b.hasCrop).toBe(false);
    expect(new Set([a.bootId, b.bootId, c.bootId]).size).toBe(1);
  });

  it('gives pending entries in recording order, with increasing outbox ids, paged by position', () => {
    const outbox = make();
    const events = [1, 2, 3, 4, 5].map((n) => append(outbox, 'entry-1', n));
    const all = outbox.pending(100);
    expect(all.map((e) => e.event)).toEqual(events);
    for (let i = 1; i < all.length; i++) expect(all[i]!.outboxId).toBeGreaterThan(all[i - 1]!.outboxId);
    expect(outbox.pending(2, all[1]!.outboxId)).toEqual(all.slice(2, 4));
    expect(outbox.pending(2, all[4]!.outboxId)).toEqual([]);
  });

  it('marks delivered idempotently and leaves the rest pending, in order', () => {
    const outbox = make();
    [1, 2, 3, 4].forEach((n) => append(outbox, 'entry-1', n));
    const [a, b, c, d] = outbox.pending(10);
    outbox.markDelivered([a!.outboxId, c!.outboxId]);
    outbox.markDelivered([a!.outboxId, c!.outboxId]);
    outbox.markDelivered([]);
    expect(outbox.pendingCount()).toBe(2);
    expect(outbox.pending(10)).toEqual([b, d]);
    outbox.markDelivered([b!.outboxId, d!.outboxId]);
    expect(outbox.pendingCount()).toBe(0);
    expect(outbox.pending(10)).toEqual([]);
  });

  it('tells listeners after each append, once the entry is pending; unsubscribe stops it', () => {
    const outbox = make();
    const seen: number[] = [];
    const off = outbox.onAppend(() => seen.push(outbox.pendingCount()));
    append(outbox, 'entry-1', 1);
    append(outbox, 'entry-1', 2);
    off();
    append(outbox, 'entry-1', 3);
    expect(seen).toEqual([1, 2]);
  });

  it('refuses a page size below 1', () => {
    expect(() => make().pending(0)).toThrow(RangeError);
  });
});
