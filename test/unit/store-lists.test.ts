import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../src/core/fake-clock.js';
import { useTempDirs } from '../helpers/store-fixtures.js';

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
    expect(lists.applyDelta('allow', 1, 2, [plate('D'), plate('B', { note: 'new' })], ['C', 'not-there'])).toEqual({ applied: true, version: 2 });
    expect(lists.get('allow')).toEqual({
      version: 2,
      receivedAt: clock.now(),
      entries: [plate('A'), plate('B', { note: 'new' }), plate('D')],
    });
  });

  it.each([
    ['a delta from a newer version (one was missed, or this one came early)', 4, 5, { reason: 'version-mismatch', currentVersion: 3 }],
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
    expect(lists.applyDelta('deny', 0, 1, [plate('A')], [])).toEqual({ applied: false, reason: 'unknown-list', currentVersion: null });
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
    expect(() => lists.applyFull('deny', 1, [{ plate: 'A' } as never])).toThrow('list "deny": every entry needs a non-empty string key');
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
});
