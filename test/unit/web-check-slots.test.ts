import { describe, expect, it } from 'vitest';
import { CheckSlots } from '../../src/web/auth/check-slots.js';

describe('CheckSlots', () => {
  it('gives out at most max slots; a release frees one, once', () => {
    const slots = new CheckSlots(2);
    const a = slots.tryAcquire();
    const b = slots.tryAcquire();
    expect(a).not.toBeNull();
    expect(b).not.toBeNull();
    expect(slots.tryAcquire()).toBeNull();
    expect(slots.busy).toBe(2);
    a!();
    a!();
    expect(slots.busy).toBe(1);
    expect(slots.tryAcquire()).not.toBeNull();
    expect(slots.tryAcquire()).toBeNull();
  });

  it.each([0, -1, 1.5, NaN])('refuses max %s', (max) => {
    expect(() => new CheckSlots(max)).toThrow(RangeError);
  });
});
