import { describe, expect, it } from 'vitest';
import { cropRgb, type Box, type RgbImage } from '../../src/core/image.js';

/** A 4x3 image whose pixel (x, y) is [10 y + x, 100 + 10 y + x, 200 + x]. */
const image: RgbImage = {
  width: 4,
  height: 3,
  data: Buffer.from(
    Array.from({ length: 12 }, (_, p) => {
      const [x, y] = [p % 4, Math.floor(p / 4)];
      return [10 * y + x, 100 + 10 * y + x, 200 + x];
    }).flat(),
  ),
};

describe('cropRgb', () => {
  it.each([
    { name: 'the whole image', box: { x: 0, y: 0, w: 4, h: 3 } },
    { name: 'one pixel', box: { x: 2, y: 1, w: 1, h: 1 } },
    { name: 'the bottom-right corner', box: { x: 2, y: 1, w: 2, h: 2 } },
    { name: 'a middle row', box: { x: 0, y: 1, w: 4, h: 1 } },
  ])('copies $name row by row', ({ box }) => {
    const crop = cropRgb(image, box);
    expect([crop.width, crop.height]).toEqual([box.w, box.h]);
    const expected = [];
    for (let y = box.y; y < box.y + box.h; y++)
      for (let x = box.x; x < box.x + box.w; x++) expected.push(10 * y + x, 100 + 10 * y + x, 200 + x);
    expect([...crop.data]).toEqual(expected);
  });

  it('owns its pixels: writing the frame afterwards leaves the crop as it was', () => {
    const frame: RgbImage = { ...image, data: Buffer.from(image.data) };
    const crop = cropRgb(frame, { x: 1, y: 1, w: 2, h: 1 });
    frame.data.fill(0);
    expect([...crop.data]).toEqual([11, 111, 201, 12, 112, 202]);
  });

  it.each<{ name: string; box: Box }>([
    { name: 'past the right edge', box: { x: 3, y: 0, w: 2, h: 1 } },
    { name: 'past the bottom edge', box: { x: 0, y: 2, w: 1, h: 2 } },
    { name: 'a negative origin', box: { x: -1, y: 0, w: 2, h: 2 } },
    { name: 'an empty box', box: { x: 1, y: 1, w: 0, h: 1 } },
    { name: 'a fractional box', box: { x: 0.5, y: 0, w: 2, h: 1 } },
    { name: 'a NaN width', box: { x: 0, y: 0, w: Number.NaN, h: 1 } },
  ])('refuses a box $name, naming it and the image size', ({ box }) => {
    expect(() => cropRgb(image, box)).toThrow(RangeError);
    expect(() => cropRgb(image, box)).toThrow(/crop box .* is not inside the 4x3 image/);
  });
});
