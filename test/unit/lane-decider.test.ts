import { describe, expect, it } from 'vitest';
import { EventBus } from '../../src/core/bus.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { silentLogger } from '../../src/core/log.js';
import { laneDecisionsSchema } from '../../src/config/decisions.js';
import type { LaneEvents } from '../../src/lane/events.js';
import { LaneDecider, type ListSource } from '../../src/lane/deciding/decider.js';
import type { ListChangeListener, StoredList } from '../../src/store/lists.js';
import { MemoryOutbox } from '../helpers/memory-outbox.js';
import { voted } from '../helpers/voted.js';

/** Lists as the store would hold them, changed by the test like central's pushes. */
class Lists implements ListSource {
  private readonly lists = new Map<string, StoredList>();
  private readonly listeners = new Set<ListChangeListener>();
  set(name: string, version: number, receivedAt: number, entries: { key: string; [k: string]: unknown }[]): void {
    this.lists.set(name, { version, receivedAt, entries });
    for (const listener of this.listeners) listener({ kind: 'full', name, version, receivedAt, entries });
  }
  get(name: string): StoredList | undefined {
    return this.lists.get(name);
  }
  onChange(listener: ListChangeListener) {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}

function setUp() {
  const clock = new FakeClock(Date.UTC(2026, 10, 25, 3, 0, 0)); // 10:00 in Hà Nội
  const bus = new EventBus<LaneEvents>(silentLogger);
  const outbox = new MemoryOutbox(clock, 'mlt-kth');
  const lists = new Lists();
  const now = clock.now();
  lists.set('allow', 1, now, [{ key: '29C12345', reason: 'permit' }]);
  lists.set('deny', 1, now, []);
  lists.set('watch', 1, now, [{ key: '云A54321', reason: 'customs hold', source: 'customs' }]);
  const decider = new LaneDecider({ bus, log: silentLogger, clock }, { sink: outbox, lists });
  const lane = { id: 'entry-1', direction: 'entry' as const, rules: laneDecisionsSchema.parse({}) };
  const decisions: LaneEvents['lane.decision'][] = [];
  bus.on(decisions, 'lane.decision', (d) => decisions.push(d));
  return { clock, bus, outbox, lists, decider, decisions, lane };
}

describe('LaneDecider', () => {
  it('decides voted reads from the stored lists, recording each decision before announcing it', () => {
    const { bus, outbox, decider, decisions, lane } = setUp();
    let recordedFirst = false;
    bus.on({}, 'lane.decision', () => (recordedFirst = outbox.pendingCount() === decisions.length));
    const first = decider.decide(lane, voted('29C12345'));
    decider.decide(lane, voted('云A54321'));
    decider.decide(lane, voted('29C12346'));
    expect(first.event.payload).toMatchObject({ action: 'open', reason: 'allowed' });
    expect(decisions.map((d) => [d.read.plate.text, d.decision.action, d.decision.reason, d.decision.alarm])).toEqual([
      ['29C12345', 'open', 'allowed', false],
      ['云A54321', 'deny', 'watch-list', true],
      ['29C12346', 'hold', 'unknown-plate', false],
    ]);
    expect(recordedFirst).toBe(true);
    const events = outbox.pending(10).map((e) => e.event);
    expect(events.map((e) => [e.type, e.laneId, e.payload.action, e.payload.reason])).toEqual([
      ['decision', 'entry-1', 'open', 'allowed'],
      ['decision', 'entry-1', 'deny', 'watch-list'],
      ['decision', 'entry-1', 'hold', 'unknown-plate'],
    ]);
    expect(events[2]!.payload.nearMiss).toEqual([expect.objectContaining({ plate: '29C12345' })]);
    expect(decider.stats()).toEqual({ decided: 3 });
  });

  it('holds an allowed plate as lane-busy when another vehicle is at the barrier, and leaves refusals alone', () => {
    const { decider, lane } = setUp();
    const busy = decider.decide(lane, voted('29C12345'), true);
    expect(busy.decision).toMatchObject({ action: 'hold', reason: 'lane-busy', alarm: false });
    expect(busy.decision.detail).toContain('29C-123.45');
    expect(busy.event.payload).toMatchObject({ action: 'hold', reason: 'lane-busy' });
    expect(decider.decide(lane, voted('云A54321'), true).decision).toMatchObject({
      action: 'deny',
      reason: 'watch-list',
      alarm: true,
    });
    expect(decider.decide(lane, voted('29C12346'), true).decision.reason).toBe('unknown-plate');
  });

  it("decides on the vehicle's other plates too: a watch-listed one refuses, an unpaired one holds, a paired one opens", () => {
    const { clock, lists, decider, outbox, lane } = setUp();
    lists.set('allow', 2, clock.now(), [{ key: '29C12345' }, { key: 'T2912345', pairedPlate: '云A12345' }]);
    const watched = decider.decide(lane, voted('29C12345', { others: ['云A54321'] }));
    expect(watched.decision).toMatchObject({ action: 'deny', reason: 'watch-list', alarm: true });
    expect(watched.decision.detail).toContain('云A54321, read on the same vehicle as 29C12345');
    expect(decider.decide(lane, voted('29C12345', { others: ['云A12345'] })).decision.reason).toBe('pairing-mismatch');
    const paired = decider.decide(lane, voted('T2912345', { others: ['云A12345'] }));
    expect(paired.decision).toMatchObject({ action: 'open', reason: 'allowed' });
    const payloads = outbox.pending(10).map((e) => e.event.payload);
    expect(payloads.map((p) => p.otherPlates)).toEqual([['云A54321'], ['云A12345'], ['云A12345']]);
  });

  it('sees a list central changed, and holds when the lists go stale', () => {
    const { clock, lists, decider, decisions, lane } = setUp();
    decider.decide(lane, voted('59P166480'));
    lists.set('allow', 2, clock.now(), [{ key: '29C12345' }, { key: '59P166480', reason: 'local' }]);
    decider.decide(lane, voted('59P166480'));
    clock.advance(25 * 3600_000); // past the default 24 h staleness limit
    decider.decide(lane, voted('59P166480'));
    expect(decisions.map((d) => d.decision.reason)).toEqual(['unknown-plate', 'allowed', 'lists-stale']);
  });
});

describe('LaneDecider with a passage guard (the yards)', () => {
  function guarded(verdict: { reason: 'yard-full' | 'not-called'; detail: string } | null) {
    const { clock, bus, outbox, lists, lane } = setUp();
    lists.set('allow', 2, clock.now(), [{ key: '29C12345', pairedPlate: '云A12345', vehicleClass: 'truck' }]);
    const asked: unknown[] = [];
    const decider = new LaneDecider(
      { bus, log: silentLogger, clock },
      {
        sink: outbox,
        lists,
        guard: {
          check: (laneId, vehicle) => {
            asked.push({ laneId, ...vehicle });
            return verdict;
          },
        },
      },
    );
    return { decider, lane, asked };
  }

  it('turns an allowed open into the hold the guard names, keeping why the lists allowed it', () => {
    const { decider, lane, asked } = guarded({ reason: 'yard-full', detail: 'Bãi chờ is full (2 of 2 inside)' });
    const { decision } = decider.decide(lane, voted('29C12345'));
    expect(decision).toMatchObject({
      action: 'hold',
      reason: 'yard-full',
      detail: 'Bãi chờ is full (2 of 2 inside); the lists allow 29C-123.45 (29C12345 is allowed)',
    });
    expect(asked).toEqual([
      { laneId: 'entry-1', plate: '29C12345', kind: 'car', pairedPlate: '云A12345', vehicleClass: 'truck' },
    ]);
  });

  it("names the truck's other plate when the read is the plate its permit pairs", () => {
    const { decider, lane, asked } = guarded(null);
    decider.decide(lane, voted('云A12345', { others: ['29C12345'] }));
    expect(asked).toMatchObject([{ plate: '云A12345', pairedPlate: '29C12345' }]);
  });

  it('is asked only about opens: refusals, holds and a busy lane stay as they are', () => {
    const { decider, lane, asked } = guarded({ reason: 'yard-full', detail: 'full' });
    expect(decider.decide(lane, voted('云A54321')).decision.reason).toBe('watch-list');
    expect(decider.decide(lane, voted('30A99999')).decision.reason).toBe('unknown-plate');
    expect(decider.decide(lane, voted('29C12345'), true).decision.reason).toBe('lane-busy');
    expect(asked).toEqual([]);
  });

  it('lets the open go on when the guard has nothing against it', () => {
    const { decider, lane } = guarded(null);
    expect(decider.decide(lane, voted('29C12345')).decision).toMatchObject({ action: 'open', reason: 'allowed' });
  });
});
