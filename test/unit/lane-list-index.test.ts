import { describe, expect, it } from 'vitest';
import { EventBus } from '../../src/core/bus.js';
import { FakeClock } from '../helpers/fake-clock.js';
import type { Logger } from '../../src/core/log.js';
import { laneDecisionsSchema } from '../../src/config/decisions.js';
import type { LaneEvents } from '../../src/lane/events.js';
import { LaneDecider } from '../../src/lane/deciding/decider.js';
import { ListStore } from '../../src/store/lists.js';
import { useTempDirs } from '../helpers/store-fixtures.js';
import { voted } from '../helpers/voted.js';

// Issue 20, item 14: the lane decides from an index that follows the store's changes; a decision
// never reads the stored lists nor builds the index again, and still sees every change at once.

describe("the lane's list index", () => {
  const temp = useTempDirs();

  function setUp() {
    const clock = new FakeClock(Date.UTC(2026, 10, 25, 3, 0, 0));
    const store = temp.open(temp.make(), {}, clock);
    store.lists.applyFull('allow', 1, [{ key: '29C12345', reason: 'permit' }]);
    store.lists.applyFull('deny', 1, []);
    store.lists.applyFull('watch', 1, []);
    // The store as the decider sees it, counting every time a whole list is read.
    let reads = 0;
    const feed = {
      get: (name: string) => (reads++, store.lists.get(name)),
      onChange: store.lists.onChange.bind(store.lists),
      summaries: store.lists.summaries.bind(store.lists),
    };
    const warnings: unknown[] = [];
    const log: Logger = { debug() {}, info() {}, error() {}, warn: (obj) => warnings.push(obj), child: () => log };
    const decider = new LaneDecider(
      { bus: new EventBus<LaneEvents>(log), log, clock },
      { sink: store.events, lists: feed },
    );
    const lane = { id: 'entry-1', direction: 'entry' as const, rules: laneDecisionsSchema.parse({}) };
    const decide = (text: string) => decider.decide(lane, voted(text)).decision;
    return { store, clock, decide, reads: () => reads, warnings };
  }

  it('sees each full list and delta at the next decision, without reading the lists again', () => {
    const { store, decide, reads } = setUp();
    expect(decide('29C12345')).toMatchObject({ action: 'open', reason: 'allowed' });
    const readsAtStart = reads();
    expect(decide('51F99999')).toMatchObject({ action: 'hold', reason: 'unknown-plate' });

    store.lists.applyDelta('allow', 1, 2, [{ key: '51F99999', reason: 'fee' }], []);
    expect(decide('51F99999')).toMatchObject({ action: 'open', reason: 'allowed', listVersions: { allow: 2 } });
    store.lists.applyDelta('allow', 2, 3, [], ['29C12345']);
    expect(decide('29C12345')).toMatchObject({ action: 'hold', reason: 'unknown-plate', listVersions: { allow: 3 } });
    store.lists.applyFull('watch', 2, [{ key: '51F99999', reason: 'customs' }]);
    expect(decide('51F99999')).toMatchObject({ action: 'deny', reason: 'watch-list', listVersions: { watch: 2 } });
    store.lists.applyFull('watch', 3, []);
    expect(decide('51F99999')).toMatchObject({ action: 'open', reason: 'allowed' });

    expect(reads()).toBe(readsAtStart);
  });

  it('follows a change made through another ListStore on the same database', () => {
    const { store, clock, decide } = setUp();
    const other = new ListStore(store.db, clock);
    other.applyDelta('allow', 1, 2, [{ key: '30A11111' }], []);
    expect(decide('30A11111')).toMatchObject({ action: 'open', listVersions: { allow: 2 } });
  });

  it('warns of an entry it cannot use: an allow entry added broken no longer opens', () => {
    const { store, decide, warnings } = setUp();
    store.lists.applyDelta('allow', 1, 2, [{ key: '29C12345', validUntil: 'next week' }], []);
    expect(decide('29C12345')).toMatchObject({ action: 'hold', reason: 'unknown-plate' });
    expect(warnings).toEqual([expect.objectContaining({ list: 'allow', key: '29C12345', effect: 'ignored' })]);
  });
});
