import { describe, expect, it } from 'vitest';
import { EventBus } from '../../src/core/bus.js';
import { FakeClock } from '../../src/core/fake-clock.js';
import { silentLogger } from '../../src/core/log.js';
import { laneDecisionsSchema } from '../../src/config/decisions.js';
import type { LaneEvents } from '../../src/lane/events.js';
import { LaneDecider, type ListSource } from '../../src/lane/lane-decider.js';
import { parsePlate } from '../../src/plates/parse.js';
import type { VotedPlateRead } from '../../src/plates/voter.js';
import type { StoredList } from '../../src/store/lists.js';
import { MemoryOutbox } from '../helpers/memory-outbox.js';

/** Lists as the store would hold them, changed by the test like central's pushes. */
class Lists implements ListSource {
  private readonly lists = new Map<string, StoredList>();
  set(name: string, version: number, receivedAt: number, entries: { key: string; [k: string]: unknown }[]): void {
    this.lists.set(name, { version, receivedAt, entries });
  }
  get(name: string): StoredList | undefined {
    return this.lists.get(name);
  }
  summaries() {
    return [...this.lists].map(([name, l]) => ({ name, version: l.version, receivedAt: l.receivedAt }));
  }
}

function voted(text: string, confidence = 0.95): VotedPlateRead {
  return {
    plate: parsePlate([text], { countries: ['VN', 'CN'] }),
    confidence,
    votes: 3,
    reads: 3,
    box: { x: 0, y: 0, w: 10, h: 5 },
    frameAt: 0,
    firstSeenAt: 0,
    lastSeenAt: 0,
    trigger: 'agreed',
  };
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
  const decider = new LaneDecider({ bus, log: silentLogger, clock }, { sink: outbox, lists }, [
    { id: 'entry-1', direction: 'entry', rules: laneDecisionsSchema.parse({}) },
  ]);
  const decisions: LaneEvents['lane.decision'][] = [];
  bus.on(decisions, 'lane.decision', (d) => decisions.push(d));
  return { clock, bus, outbox, lists, decider, decisions };
}

describe('LaneDecider', () => {
  it('decides every voted read of its lanes from the stored lists, recording the decision before announcing it', async () => {
    const { bus, outbox, decider, decisions } = setUp();
    let recordedFirst = false;
    bus.on({}, 'lane.decision', () => (recordedFirst = outbox.pendingCount() === decisions.length));
    await decider.start();
    bus.emit('plate.read', { laneId: 'entry-1', read: voted('29C12345') });
    bus.emit('plate.read', { laneId: 'entry-1', read: voted('云A54321') });
    bus.emit('plate.read', { laneId: 'entry-1', read: voted('29C12346') });
    bus.emit('plate.read', { laneId: 'other-lane', read: voted('29C12345') }); // not this decider's
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
    await decider.stop();
    bus.emit('plate.read', { laneId: 'entry-1', read: voted('29C12345') });
    expect(decisions).toHaveLength(3);
  });

  it('sees a list central changed, and holds when the lists go stale', async () => {
    const { clock, bus, lists, decider, decisions } = setUp();
    await decider.start();
    bus.emit('plate.read', { laneId: 'entry-1', read: voted('59P166480') });
    lists.set('allow', 2, clock.now(), [{ key: '29C12345' }, { key: '59P166480', reason: 'local' }]);
    bus.emit('plate.read', { laneId: 'entry-1', read: voted('59P166480') });
    clock.advance(25 * 3600_000); // past the default 24 h staleness limit
    bus.emit('plate.read', { laneId: 'entry-1', read: voted('59P166480') });
    expect(decisions.map((d) => d.decision.reason)).toEqual(['unknown-plate', 'allowed', 'lists-stale']);
    await decider.stop();
  });
});
