import { describe, expect, it } from 'vitest';
import { toRegion } from '../../src/vision/platenet/plate-region.js';

const image = { width: 640, height: 360 };
const plate = (corners: [number, number][], twoRows = 0.1, score = 0.8) => ({ corners, score, twoRows });

describe('toRegion', () => {
  it('boxes a tilted quad in whole pixels and keeps its corners', () => {
    const corners: [number, number][] = [
      [100.4, 50.2],
      [220.1, 58.9],
      [218.6, 90.5],
      [99.2, 82.7],
    ];
    expect(toRegion(plate(corners), 0.5, image)).toEqual({
      box: { x: 99, y: 50, w: 122, h: 41 },
      rows: [{ x: 99, y: 50, w: 122, h: 41 }],
      score: 0.8,
      corners,
    });
  });

  it('splits a two-row plate 45 / 55 from the two-row probability threshold on', () => {
    const corners: [number, number][] = [
      [10, 10],
      [90, 10],
      [90, 70],
      [10, 70],
    ];
    expect(toRegion(plate(corners, 0.49), 0.5, image).rows).toHaveLength(1);
    expect(toRegion(plate(corners, 0.5), 0.5, image).rows).toEqual([
      { x: 10, y: 10, w: 80, h: 27 },
      { x: 10, y: 37, w: 80, h: 33 },
    ]);
  });

  it('keeps the box inside the image, at least a pixel, even for a quad on its edge', () => {
    const onEdge: [number, number][] = [
      [640, 100],
      [640, 100],
      [640, 120],
      [640, 120],
    ];
    expect(toRegion(plate(onEdge), 0.5, image).box).toEqual({ x: 639, y: 100, w: 1, h: 20 });
  });
});
