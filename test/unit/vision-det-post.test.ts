import { describe, expect, it } from 'vitest';
import { dbBoxes, defaultDbPost } from '../../src/vision/ppocr/det-post.js';
import { detInputSize } from '../../src/vision/ppocr/det-pre.js';

function map(w: number, h: number, rects: { x: number; y: number; w: number; h: number; p: number }[]) {
  const prob = new Float32Array(w * h);
  for (const r of rects)
    for (let y = r.y; y < r.y + r.h; y++) for (let x = r.x; x < r.x + r.w; x++) prob[y * w + x] = r.p;
  return prob;
}

describe('dbBoxes', () => {
  const labels = new Int32Array(64 * 32);

  it('finds one box per text component, grown back by the unclip offset', () => {
    const prob = map(64, 32, [
      { x: 10, y: 5, w: 20, h: 4, p: 0.9 },
      { x: 10, y: 20, w: 30, h: 5, p: 0.8 },
    ]);
    const boxes = dbBoxes(prob, 64, 32, defaultDbPost, labels);
    expect(boxes).toHaveLength(2);
    const [a] = boxes;
    // offset = 20*4*1.6 / (2*24) = 2.67 → floor/ceil outward
    expect(a).toMatchObject({ x: 7, y: 2, w: 26, h: 10 });
    expect(a!.score).toBeCloseTo(0.9);
  });

  it('drops faint components and specks', () => {
    const prob = map(64, 32, [
      { x: 5, y: 5, w: 20, h: 4, p: 0.4 }, // above the pixel threshold but a weak box
      { x: 40, y: 20, w: 2, h: 2, p: 0.99 }, // 4 pixels: noise
    ]);
    expect(dbBoxes(prob, 64, 32, defaultDbPost, labels)).toEqual([]);
  });

  it('clips grown boxes at the map edges', () => {
    const prob = map(64, 32, [{ x: 0, y: 0, w: 64, h: 6, p: 0.9 }]);
    const [box] = dbBoxes(prob, 64, 32, defaultDbPost, labels);
    expect(box).toMatchObject({ x: 0, y: 0, w: 64 });
  });
});

describe('detInputSize', () => {
  it.each([
    { w: 1280, h: 720, max: 960, min: 0, out: { w: 960, h: 544 } },
    { w: 472, h: 303, max: 960, min: 640, out: { w: 640, h: 416 } },
    { w: 94, h: 24, max: 960, min: 640, out: { w: 640, h: 160 } },
    { w: 10, h: 10, max: 960, min: 0, out: { w: 32, h: 32 } },
  ])('$w x $h → $out.w x $out.h', ({ w, h, max, min, out }) => {
    expect(detInputSize(w, h, max, min)).toEqual(out);
  });
});
