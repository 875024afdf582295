import { describe, expect, it } from 'vitest';
import { FakeClock } from '../helpers/fake-clock.js';
import { ListTooLargeError, type ListChange } from '../../src/store/lists.js';
import { STORE_DEFAULTS, useTempDirs } from '../helpers/store-fixtures.js';

const plate = (key: string, extra: Record<string, unknown> = {}) => ({ key, ...extra });

describe('ListStore', () => {
  const temp = useTempDirs();

  it('stores a full list with its version and arrival time, sorted by key', () => {
    const clock = new FakeClock(Date.UTC(2026, 5, 1));
    const { lists } = temp.open(temp.make(), {}, clock);
    expect(lists.get('deny')).toBeUndefined();
    lists.applyFull('deny', 7, [plate('51F99999', { reason: 'stolen' }), plate('29C12345')]);
    expect(lists.get('deny')).toEqual({
      version: 7,
      receivedAt: Date.UTC(2026, 5, 1),
      entries: [plate('29C12345'), plate('51F99999', { reason: 'stolen' })],
    });
    expect(lists.names()).toEqual(['deny']);
  });

  it('replaces the whole list on a full update, whatever version was stored', () => {
    const { lists } = temp.open(temp.make());
    lists.applyFull('allow', 10, [plate('A'), plate('B')]);
    lists.applyFull('allow', 3, [plate('C')]); // central rebuilt its lists: the full list wins
    expect(lists.get('allow')).toMatchObject({ version: 3, entries: [plate('C')] });
  });

  it('applies a delta on top of the version it was made from: adds, replaces and removes by key', () => {
    const clock = new FakeClock();
    const { lists } = temp.open(temp.make(), {}, clock);
    lists.applyFull('allow', 1, [plate('A'), plate('B', { note: 'old' }), plate('C')]);
    clock.advance(60_000);
    expect(lists.applyDelta('allow', 1, 2, [plate('D'), plate('B', { note: 'new' })], ['C', 'not-there'])).toEqual({
      applied: true,
      version: 2,
    });
    expect(lists.get('allow')).toEqual({
      version: 2,
      receivedAt: clock.now(),
      entries: [plate('A'), plate('B', { note: 'new' }), plate('D')],
    });
  });

  it.each([
    [
      'a delta from a newer version (one was missed, or this one came early)',
      4,
      5,
      { reason: 'version-mismatch', currentVersion: 3 },
    ],
    ['a delta that straddles the stored version', 2, 4, { reason: 'version-mismatch', currentVersion: 3 }],
    ['a delta already applied (repeat delivery)', 2, 3, { reason: 'already-applied', currentVersion: 3 }],
    ['a delta older than the stored version', 1, 2, { reason: 'already-applied', currentVersion: 3 }],
  ] as const)('refuses %s and leaves the list as it was', (_, from, to, refusal) => {
    const { lists } = temp.open(temp.make());
    lists.applyFull('deny', 3, [plate('A')]);
    const before = lists.get('deny');
    expect(lists.applyDelta('deny', from, to, [plate('X')], ['A'])).toEqual({ applied: false, ...refusal });
    expect(lists.get('deny')).toEqual(before);
  });

  it('refuses a delta for a list it has never had', () => {
    const { lists } = temp.open(temp.make());
    expect(lists.applyDelta('deny', 0, 1, [plate('A')], [])).toEqual({
      applied: false,
      reason: 'unknown-list',
      currentVersion: null,
    });
    expect(lists.get('deny')).toBeUndefined();
  });

  it.each([
    [() => ({ from: 2, to: 2 }), 'delta toVersion 2 must be greater than fromVersion 2'],
    [() => ({ from: -1, to: 2 }), 'fromVersion must be a whole number ≥ 0, got -1'],
    [() => ({ from: 1, to: 2.5 }), 'toVersion must be a whole number ≥ 0, got 2.5'],
  ])('refuses malformed delta versions (%#)', (versions, message) => {
    const { lists } = temp.open(temp.make());
    lists.applyFull('deny', 1, []);
    const { from, to } = versions();
    expect(() => lists.applyDelta('deny', from, to, [], [])).toThrow(`list "deny": ${message}`);
  });

  it('refuses entries without a key, or with a key twice', () => {
    const { lists } = temp.open(temp.make());
    expect(() => lists.applyFull('deny', 1, [{ plate: 'A' } as never])).toThrow(
      'list "deny": every entry needs a non-empty string key',
    );
    expect(() => lists.applyFull('deny', 1, [plate('A'), plate('A')])).toThrow('list "deny": key "A" appears twice');
    expect(lists.get('deny')).toBeUndefined();
  });

  it('survives a restart', () => {
    const dir = temp.make();
    const first = temp.open(dir);
    first.lists.applyFull('deny', 5, [plate('A')]);
    first.lists.applyDelta('deny', 5, 6, [plate('B')], []);
    first.close();
    expect(temp.open(dir).lists.get('deny')).toMatchObject({ version: 6, entries: [plate('A'), plate('B')] });
  });

  // Issue 20, item 14: a list has a size limit, and its entry count is kept, not counted.
  describe('with store.lists.maxEntries', () => {
    const capped = (maxEntries: number) =>
      temp.open(temp.make(), { config: { ...STORE_DEFAULTS, lists: { maxEntries } } }).lists;
    const keys = (n: number, prefix = 'K') => Array.from({ length: n }, (_, i) => plate(`${prefix}${i}`));

    it('refuses a full list longer than the limit, leaving the stored one as it was', () => {
      const lists = capped(3);
      lists.applyFull('allow', 1, keys(3));
      const before = lists.get('allow');
      expect(() => lists.applyFull('allow', 2, keys(4))).toThrow(ListTooLargeError);
      expect(() => lists.applyFull('allow', 2, keys(4))).toThrow(
        'list "allow" would have 4 entries, more than the 3 this gate holds (store.lists.maxEntries); the list is unchanged',
      );
      expect(lists.get('allow')).toEqual(before);
      expect(lists.summaries()).toEqual([{ name: 'allow', version: 1, receivedAt: before!.receivedAt, entries: 3 }]);
    });

    it('refuses a delta that would grow the list past the limit, and rolls it back whole', () => {
      const lists = capped(3);
      lists.applyFull('allow', 1, keys(3));
      const before = lists.get('allow');
      // Removes one and adds two new ones: four.
      expect(() => lists.applyDelta('allow', 1, 2, [plate('N1'), plate('N2')], ['K0'])).toThrow(ListTooLargeError);
      expect(lists.get('allow')).toEqual(before);
      expect(lists.summaries()[0]).toMatchObject({ version: 1, entries: 3 });
      // At the limit, replacing entries and swapping one for another still apply.
      expect(lists.applyDelta('allow', 1, 2, [plate('K1', { note: 'new' }), plate('N1')], ['K0'])).toEqual({
        applied: true,
        version: 2,
      });
      expect(lists.get('allow')?.entries).toEqual([plate('K1', { note: 'new' }), plate('K2'), plate('N1')]);
    });

    it('keeps each count right through full lists, deltas, repeated and missing keys', () => {
      const lists = capped(1000);
      const check = () => {
        for (const summary of lists.summaries())
          expect(summary.entries, summary.name).toBe(lists.get(summary.name)!.entries.length);
      };
      lists.applyFull('deny', 1, keys(10));
      check();
      lists.applyDelta('deny', 1, 2, [plate('K1', { reason: 'again' }), plate('X1')], ['K2', 'not-there', 'K2']);
      check();
      lists.applyDelta('deny', 2, 3, [plate('K3')], ['K3', 'K4']); // in both: it stays, replaced
      check();
      expect(lists.summaries()).toEqual([expect.objectContaining({ name: 'deny', version: 3, entries: 9 })]);
      lists.applyFull('deny', 4, keys(2, 'Z'));
      lists.applyFull('watch', 1, []);
      check();
      expect(lists.summaries().map((x) => [x.name, x.entries])).toEqual([
        ['deny', 2],
        ['watch', 0],
      ]);
    });

    it('tells listeners each change once it is stored, and nothing of a refused one', () => {
      const lists = capped(3);
      const changes: ListChange[] = [];
      const stop = lists.onChange((c) => changes.push(c));
      lists.applyFull('allow', 1, keys(2));
      lists.applyDelta('allow', 1, 2, [plate('N1')], ['K0', 'K9']);
      expect(() => lists.applyDelta('allow', 2, 3, [plate('N2'), plate('N3')], [])).toThrow(ListTooLargeError);
      lists.applyDelta('allow', 1, 2, [plate('N1')], []); // a repeat
      stop();
      lists.applyFull('deny', 1, []);
      expect(changes).toEqual([
        { kind: 'full', name: 'allow', version: 1, receivedAt: expect.any(Number), entries: keys(2) },
        {
          kind: 'delta',
          name: 'allow',
          version: 2,
          receivedAt: expect.any(Number),
          add: [plate('N1')],
          remove: ['K0', 'K9'],
        },
      ]);
    });
  });
});
