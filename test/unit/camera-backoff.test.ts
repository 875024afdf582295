import { describe, expect, it } from 'vitest';
import { backoffDelayMs } from '../../src/core/backoff.js';

describe('backoffDelayMs', () => {
  const opts = { initialMs: 500, maxMs: 8_000 };
  it.each([
    [0, 500],
    [1, 1_000],
    [2, 2_000],
    [3, 4_000],
    [4, 8_000],
    [5, 8_000],
    [60, 8_000],
    [5_000, 8_000], // 2 ** 5000 is Infinity: still capped
    [-1, 500],
  ])('attempt %i waits %i ms', (attempt, expected) => {
    expect(backoffDelayMs(attempt, opts)).toBe(expected);
  });

  it('never exceeds maxMs, even when initialMs is larger', () => {
    expect(backoffDelayMs(0, { initialMs: 5_000, maxMs: 1_000 })).toBe(1_000);
  });
});
