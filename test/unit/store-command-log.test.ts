import { describe, expect, it } from 'vitest';
import { FakeClock } from '../helpers/fake-clock.js';
import { useTempDirs } from '../helpers/store-fixtures.js';

describe('CommandLog', () => {
  const temp = useTempDirs();

  it('remembers an id once: the second time is a replay', () => {
    const store = temp.open(temp.make());
    expect(store.commandIds.remember('cmd-1', 1000)).toBe(true);
    expect(store.commandIds.remember('cmd-2', 1000)).toBe(true);
    expect(store.commandIds.remember('cmd-1', 2000)).toBe(false);
    expect(store.commandIds.size()).toBe(2);
  });

  it('keeps the ids across a reopen of the database', () => {
    const dir = temp.make();
    const first = temp.open(dir);
    first.commandIds.remember('cmd-1', 1000);
    first.close();
    const second = temp.open(dir, {}, new FakeClock());
    expect(second.commandIds.remember('cmd-1', 5000)).toBe(false);
    expect(second.commandIds.remember('cmd-3', 5000)).toBe(true);
  });

  it('prunes ids received before a time, and only those', () => {
    const store = temp.open(temp.make());
    store.commandIds.remember('old', 1000);
    store.commandIds.remember('edge', 2000);
    store.commandIds.remember('new', 3000);
    expect(store.commandIds.prune(2000)).toBe(1);
    expect(store.commandIds.size()).toBe(2);
    // A pruned id is forgotten: it would be accepted again (the expiry check refuses it first).
    expect(store.commandIds.remember('old', 4000)).toBe(true);
    expect(store.commandIds.remember('edge', 4000)).toBe(false);
  });
});
