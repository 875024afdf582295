import { afterEach, describe, expect, it } from 'vitest';
import { runUntilSignal } from '../../src/cli/lifecycle.js';
import { silentLogger } from '../../src/core/log.js';

/** A target that records its calls; its start ends when the test says so. */
function target(startFails = false) {
  const calls: string[] = [];
  let started!: () => void;
  const startGate = new Promise<void>((resolve) => (started = resolve));
  return {
    calls,
    started: () => started(),
    start: async () => {
      calls.push('start');
      await startGate;
      if (startFails) throw new Error('no camera');
      calls.push('up');
    },
    stop: async () => {
      calls.push('stop');
    },
  };
}

const tick = () => new Promise((r) => setImmediate(r));

describe('runUntilSignal', () => {
  const before = { term: process.listenerCount('SIGTERM'), int: process.listenerCount('SIGINT') };
  afterEach(() => {
    expect(process.listenerCount('SIGTERM')).toBe(before.term);
    expect(process.listenerCount('SIGINT')).toBe(before.int);
  });

  it('holds a SIGTERM that arrives while starting, and stops once the target is up', async () => {
    const t = target();
    const done = runUntilSignal(t, silentLogger);
    await tick();
    // The handler is there before the start ends: a lane may already read, and the default
    // action would kill the process with its ffmpeg children orphaned.
    expect(process.listenerCount('SIGTERM')).toBe(before.term + 1);
    process.emit('SIGTERM', 'SIGTERM');
    await tick();
    expect(t.calls).toEqual(['start']);
    t.started();
    expect(await done).toBe(0);
    expect(t.calls).toEqual(['start', 'up', 'stop']);
  });

  it('runs until a signal once started', async () => {
    const t = target();
    const done = runUntilSignal(t, silentLogger);
    t.started();
    await tick();
    expect(t.calls).toEqual(['start', 'up']);
    process.emit('SIGINT', 'SIGINT');
    expect(await done).toBe(0);
    expect(t.calls).toEqual(['start', 'up', 'stop']);
  });

  it('stops by itself when `until` resolves, after the start', async () => {
    const t = target();
    const done = runUntilSignal(t, silentLogger, Promise.resolve());
    await tick();
    expect(t.calls).toEqual(['start']);
    t.started();
    expect(await done).toBe(0);
    expect(t.calls).toEqual(['start', 'up', 'stop']);
  });

  it('stops by itself when `until` rejects, also while starting, and leaves no rejection unhandled', async () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    try {
      const t = target();
      const done = runUntilSignal(t, silentLogger, Promise.reject(new Error('stdout closed')));
      await tick();
      expect(t.calls).toEqual(['start']);
      t.started();
      expect(await done).toBe(0);
      expect(t.calls).toEqual(['start', 'up', 'stop']);
      await tick();
      expect(unhandled).toEqual([]);
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
  });

  it('stops what did start when the start fails, then rejects with its error', async () => {
    const t = target(true);
    const done = runUntilSignal(t, silentLogger);
    t.started();
    await expect(done).rejects.toThrow('no camera');
    expect(t.calls).toEqual(['start', 'stop']);
  });
});
