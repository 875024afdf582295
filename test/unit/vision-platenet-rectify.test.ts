import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import type { RgbImage } from '../../src/core/image.js';
import { applyHomography, homographyFrom, type Point } from '../../src/vision/platenet/homography.js';
import { boxCorners, expandQuad, lumaAt, rectifyLuma } from '../../src/vision/platenet/rectify.js';

/** An RGB image whose pixels are f(x, y) in every channel (so luma = f). */
function image(width: number, height: number, f: (x: number, y: number) => number): RgbImage {
  const data = Buffer.alloc(width * height * 3);
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++) data.fill(Math.round(f(x, y)), (y * width + x) * 3, (y * width + x) * 3 + 3);
  return { width, height, data };
}

const unitRect = (w: number, h: number): Point[] => [
  [0, 0],
  [w, 0],
  [w, h],
  [0, h],
];

describe('homographyFrom', () => {
  it.each([
    {
      name: 'a tilted, perspective quad',
      quad: [
        [112.5, 40],
        [301, 62.25],
        [296, 140],
        [104, 111],
      ] as Point[],
    },
    {
      name: 'an axis-aligned box',
      quad: [
        [10, 20],
        [170, 20],
        [170, 84],
        [10, 84],
      ] as Point[],
    },
  ])('maps the rectangle corners exactly onto $name', ({ quad }) => {
    const h = homographyFrom(unitRect(160, 64), quad)!;
    unitRect(160, 64).forEach(([x, y], i) => {
      const [u, v] = applyHomography(h, x, y);
      expect(u).toBeCloseTo(quad[i]![0], 9);
      expect(v).toBeCloseTo(quad[i]![1], 9);
    });
  });

  it('refuses a degenerate quad', () => {
    const collapsed: Point[] = [
      [10, 10],
      [20, 10],
      [30, 10],
      [40, 10],
    ];
    expect(homographyFrom(unitRect(160, 64), collapsed)).toBeNull();
  });
});

describe('expandQuad', () => {
  it('pushes each side out by the margin of the width and height', () => {
    expect(expandQuad(boxCorners({ x: 100, y: 50, w: 200, h: 50 }), 0.02)).toEqual([
      [96, 49],
      [304, 49],
      [304, 101],
      [96, 101],
    ]);
  });
});

describe('rectifyLuma', () => {
  it('samples a linear ramp exactly along a perspective quad', () => {
    // Bilinear sampling reproduces a linear function exactly: every output pixel must equal
    // the ramp at the point its centre maps to.
    const f = (x: number, y: number) => 0.5 * x + 0.25 * y;
    const img = image(400, 200, f);
    const quad: Point[] = [
      [112.5, 40],
      [301, 62.25],
      [296, 140],
      [104, 111],
    ];
    const out = new Float32Array(160 * 64 + 7);
    expect(rectifyLuma(img, quad, 160, 64, out, 7)).toBe(true);
    const h = homographyFrom(unitRect(160, 64), quad)!;
    for (const [u, v] of [
      [0, 0],
      [159, 0],
      [80, 32],
      [0, 63],
      [159, 63],
      [37, 11],
    ] as const) {
      // The output pixel averages sub-samples of a linear function: the value at its centre
      // up to the homography's curvature over one pixel.
      const [x, y] = applyHomography(h, u + 0.5, v + 0.5);
      expect((out[7 + v * 160 + u]! + 1) * 127.5).toBeCloseTo(f(x - 0.5, y - 0.5), 0);
    }
  });

  it('reads a whole crop like a plain (filtered) resize when it shrinks', async () => {
    const [w, h] = [320, 128];
    const crop = image(w, h, (x, y) => 128 + 100 * Math.sin(x / 9) * Math.cos(y / 7));
    const out = new Float32Array(160 * 64);
    rectifyLuma(crop, boxCorners({ x: 0, y: 0, w, h }), 160, 64, out);
    const ref = await sharp(crop.data, { raw: { width: w, height: h, channels: 3 } })
      .resize(160, 64, { fit: 'fill', kernel: 'linear' })
      .extractChannel(0)
      .raw()
      .toBuffer();
    let worst = 0;
    let sum = 0;
    for (let i = 0; i < out.length; i++) {
      const d = Math.abs((out[i]! + 1) * 127.5 - ref[i]!);
      worst = Math.max(worst, d);
      sum += d;
    }
    expect(sum / out.length).toBeLessThan(1);
    expect(worst).toBeLessThan(4);
  });

  it('enlarges a crop like a half-pixel-centred bilinear resize (PIL, OpenCV)', () => {
    // (sharp's enlargement is offset by half an output pixel, so it is no reference here.)
    const crop = image(2, 1, (x) => 100 * x);
    const out = new Float32Array(4);
    rectifyLuma(crop, boxCorners({ x: 0, y: 0, w: 2, h: 1 }), 4, 1, out);
    expect([...out].map((v) => Number(((v + 1) * 127.5).toFixed(3)))).toEqual([0, 25, 75, 100]);
  });

  it('writes luma / 127.5 - 1 of the RGB weights', () => {
    const img: RgbImage = { width: 1, height: 1, data: Buffer.from([200, 100, 50]) };
    expect(lumaAt(img, 0, 0)).toBeCloseTo(0.299 * 200 + 0.587 * 100 + 0.114 * 50, 6);
    const out = new Float32Array(4);
    rectifyLuma(img, boxCorners({ x: 0, y: 0, w: 1, h: 1 }), 2, 2, out);
    expect(out[0]).toBeCloseTo((0.299 * 200 + 0.587 * 100 + 0.114 * 50) / 127.5 - 1, 5);
  });

  it('returns false for a degenerate quad', () => {
    const out = new Float32Array(160 * 64);
    expect(
      rectifyLuma(
        image(10, 10, () => 0),
        [
          [1, 1],
          [2, 1],
          [3, 1],
          [4, 1],
        ],
        160,
        64,
        out,
      ),
    ).toBe(false);
  });
});
