import { describe, expect, it } from 'vitest';
import { groupPlateRows, isStackedPair } from '../../src/vision/rows.js';

describe('isStackedPair', () => {
  it.each([
    {
      name: 'motorbike plate rows',
      top: { x: 167, y: 133, w: 61, h: 33 },
      bottom: { x: 166, y: 160, w: 62, h: 32 },
      stacked: true,
    },
    {
      name: 'rows far apart',
      top: { x: 100, y: 100, w: 60, h: 30 },
      bottom: { x: 100, y: 170, w: 60, h: 30 },
      stacked: false,
    },
    {
      name: 'side by side',
      top: { x: 100, y: 100, w: 60, h: 30 },
      bottom: { x: 200, y: 130, w: 60, h: 30 },
      stacked: false,
    },
    {
      name: 'heights too different',
      top: { x: 100, y: 100, w: 60, h: 10 },
      bottom: { x: 100, y: 112, w: 60, h: 40 },
      stacked: false,
    },
    {
      name: 'a wide line over a narrow one',
      top: { x: 100, y: 100, w: 160, h: 30 },
      bottom: { x: 120, y: 132, w: 60, h: 30 },
      stacked: true,
    },
  ])('$name → $stacked', ({ top, bottom, stacked }) => {
    expect(isStackedPair(top, bottom)).toBe(stacked);
  });
});

describe('groupPlateRows', () => {
  it('offers a stacked pair as a two-row plate and every line on its own', () => {
    const lines = [
      { x: 166, y: 160, w: 62, h: 32, score: 0.99 },
      { x: 167, y: 133, w: 61, h: 33, score: 0.98 },
      { x: 288, y: 286, w: 184, h: 17, score: 0.99 },
    ];
    const regions = groupPlateRows(lines);
    expect(regions).toHaveLength(4);
    const pair = regions.find((r) => r.rows.length === 2)!;
    expect(pair.rows.map((r) => r.y)).toEqual([133, 160]);
    expect(pair.box).toEqual({ x: 166, y: 133, w: 62, h: 59 });
    expect(pair.score).toBeCloseTo(0.98);
  });
});
