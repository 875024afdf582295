import { describe, expect, it } from 'vitest';
import { FakeClock } from '../helpers/fake-clock.js';
import { useTempDirs } from '../helpers/store-fixtures.js';

describe("the store's transactions", () => {
  const temp = useTempDirs();
  const setUp = () => {
    const store = temp.open(temp.make(), {}, new FakeClock(Date.UTC(2026, 0, 1)));
    const log: string[] = [];
    const append = (name: string) => store.events.append({ type: 'alarm', laneId: 'entry-1', payload: { name } });
    const names = () => store.events.pending(100).map((e) => e.event.payload.name);
    return { store, log, append, names };
  };

  it('commit: every write kept, the after-commit actions run once, in order, after the commit', () => {
    const { store, log, append, names } = setUp();
    store.events.transaction(() => {
      append('a');
      store.events.afterCommit(() => log.push(`first, sees ${names().length}`));
      store.commandIds.remember('c-1', 0);
      store.events.afterCommit(() => log.push('second'));
      expect(log).toEqual([]);
    });
    expect(log).toEqual(['first, sees 1', 'second']);
    expect(names()).toEqual(['a']);
    expect(store.commandIds.size()).toBe(1);
  });

  it('rollback: nothing kept (events, command ids, seqs), nothing run, the error passed on', () => {
    const { store, log, append, names } = setUp();
    expect(() =>
      store.events.transaction(() => {
        append('a');
        store.commandIds.remember('c-1', 0);
        store.events.afterCommit(() => log.push('never'));
        throw new Error('disk full');
      }),
    ).toThrow('disk full');
    expect(log).toEqual([]);
    expect(names()).toEqual([]);
    expect(store.commandIds.size()).toBe(0);
    expect(append('b').seq).toBe(1); // a failed transaction uses no seq
  });

  it('nested: the inner part waits for the outer commit, and goes with the outer rollback', () => {
    const { store, log, append, names } = setUp();
    expect(() =>
      store.events.transaction(() => {
        store.events.transaction(() => {
          append('inner');
          store.events.afterCommit(() => log.push('inner'));
        });
        expect(log).toEqual([]); // committed only as part of the outer one
        throw new Error('the outer part failed');
      }),
    ).toThrow();
    expect(log).toEqual([]);
    expect(names()).toEqual([]);
  });

  it('nested: an inner rollback the outer survives drops only the inner part', () => {
    const { store, log, append, names } = setUp();
    store.events.transaction(() => {
      append('outer');
      store.events.afterCommit(() => log.push('outer'));
      try {
        store.events.transaction(() => {
          append('inner');
          store.events.afterCommit(() => log.push('inner'));
          throw new Error('inner failed');
        });
      } catch {
        // the outer goes on
      }
    });
    expect(names()).toEqual(['outer']);
    expect(log).toEqual(['outer']);
  });

  it('outside a transaction an after-commit action runs at once; the outbox hears of an append only once committed', () => {
    const { store, log, append } = setUp();
    store.events.afterCommit(() => log.push('now'));
    expect(log).toEqual(['now']);
    store.events.onAppend(() => log.push('appended'));
    append('alone');
    expect(log).toEqual(['now', 'appended']);
    store.events.transaction(() => {
      append('grouped');
      expect(log).toEqual(['now', 'appended']);
    });
    expect(log).toEqual(['now', 'appended', 'appended']);
    expect(() =>
      store.events.transaction(() => {
        append('lost');
        throw new Error('no');
      }),
    ).toThrow();
    expect(log).toHaveLength(3);
  });

  it('an after-commit action that throws does not stop the others, nor undo the commit', () => {
    const { store, log, append, names } = setUp();
    store.events.transaction(() => {
      append('kept');
      store.events.afterCommit(() => {
        throw new Error('bug');
      });
      store.events.afterCommit(() => log.push('still run'));
    });
    expect(log).toEqual(['still run']);
    expect(names()).toEqual(['kept']);
  });
});
