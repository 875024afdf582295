import { describe, expect, it } from 'vitest';
import { isCompanion, sameDistance } from '../../src/plates/companions.js';
import { parsePlate } from '../../src/plates/parse.js';

const parse = (text: string) => parsePlate([text], { countries: ['VN', 'CN'] });
const box = (h: number) => ({ x: 0, y: 0, w: 3 * h, h });

describe('sameDistance', () => {
  it.each([
    [40, 40, true],
    [64, 42, true], // a Chinese plate beside a long Vietnamese one
    [60, 30, true], // exactly the factor of 2
    [61, 30, false],
    [12, 64, false], // a plate far back in the queue
    [0, 40, false], // a degenerate box
  ])('%i px and %i px tall: %s', (a, b, expected) => {
    expect(sameDistance(box(a), box(b))).toBe(expected);
    expect(sameDistance(box(b), box(a))).toBe(expected);
  });
});

describe('isCompanion', () => {
  it.each([
    ['云A68420', 'T2513579', 2, true],
    ['T2513579', '云A68420', 2, true],
    ['云A68420', 'T2513579', 1, false], // seen together too few times
    ['29C12345', '51G67890', 5, false], // one country: two vehicles in a queue
    ['云A68420', '云A12345', 5, false],
    ['云A68420', '12345', 5, false], // the other read is rejected by the grammar
    ['12345', 'T2513579', 5, false], // the vehicle's own read is rejected
  ])('%s with %s, %i frames together: %s', (plate, other, frames, expected) => {
    expect(isCompanion(parse(plate), parse(other), frames, 2)).toBe(expected);
  });
});
