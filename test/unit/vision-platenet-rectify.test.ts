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

  // The definition the warp implements, sample by sample through lumaAt and applyHomography:
  // the warp computes each pixel's luma once ahead and must give the same floats.
  function warpByDefinition(img: RgbImage, quad: Point[], outW: number, outH: number): Float32Array {
    const h = homographyFrom(unitRect(outW, outH), quad)!;
    const [tl, tr, br, bl] = quad as [Point, Point, Point, Point];
    const quadW = Math.max(Math.hypot(tr[0] - tl[0], tr[1] - tl[1]), Math.hypot(br[0] - bl[0], br[1] - bl[1]));
    const quadH = Math.max(Math.hypot(bl[0] - tl[0], bl[1] - tl[1]), Math.hypot(br[0] - tr[0], br[1] - tr[1]));
    const nx = Math.min(4, Math.max(1, Math.ceil(quadW / outW - 1e-9)));
    const ny = Math.min(4, Math.max(1, Math.ceil(quadH / outH - 1e-9)));
    const out = new Float32Array(outW * outH);
    for (let v = 0; v < outH; v++)
      for (let u = 0; u < outW; u++) {
        let sum = 0;
        for (let j = 0; j < ny; j++)
          for (let i = 0; i < nx; i++) {
            const [x, y] = applyHomography(h, u + (i + 0.5) / nx, v + (j + 0.5) / ny);
            sum += lumaAt(img, x - 0.5, y - 0.5);
          }
        out[v * outW + u] = (sum * (1 / (nx * ny))) / 127.5 - 1;
      }
    return out;
  }

  // Colour noise, so that each channel's weight shows and no two pixels agree by chance.
  function noise(width: number, height: number): RgbImage {
    const data = Buffer.alloc(width * height * 3);
    for (let i = 0; i < data.length; i++) data[i] = (Math.imul(i + 1, 2654435761) >>> 24) & 255;
    return { width, height, data };
  }

  it.each([
    {
      name: 'a tilted plate, shrunk 2x',
      width: 640,
      height: 360,
      quad: [
        [200, 150],
        [402, 160],
        [400, 265],
        [198, 255],
      ],
    },
    {
      name: 'a plate enlarged (a 94x24 crop)',
      width: 120,
      height: 40,
      quad: [
        [10, 8],
        [104, 8],
        [104, 32],
        [10, 32],
      ],
    },
    {
      name: 'a quad half off the image (edge pixels repeated)',
      width: 200,
      height: 100,
      quad: [
        [-40, -12],
        [130, -6],
        [128, 60],
        [-42, 55],
      ],
    },
    {
      name: 'a quad ending on the last row and column',
      width: 160,
      height: 64,
      quad: [
        [96, 30],
        [160, 30],
        [160, 64],
        [96, 64],
      ],
    },
    {
      name: "a non-convex quad (samples outside its corners' box)",
      width: 300,
      height: 200,
      quad: [
        [50, 50],
        [250, 60],
        [120, 90],
        [60, 150],
      ],
    },
    {
      name: 'a quad too big to keep its luma (the bytes sampled)',
      width: 1280,
      height: 720,
      quad: [
        [0, 0],
        [1280, 0],
        [1280, 720],
        [0, 720],
      ],
    },
  ] as { name: string; width: number; height: number; quad: Point[] }[])(
    'gives exactly the per-sample bilinear luma: $name',
    ({ width, height, quad }) => {
      const img = noise(width, height);
      const out = new Float32Array(160 * 64 + 3).fill(9);
      expect(rectifyLuma(img, quad, 160, 64, out, 3)).toBe(true);
      expect(out[0]).toBe(9);
      expect(Array.from(out.subarray(3))).toEqual(Array.from(warpByDefinition(img, quad, 160, 64)));
    },
  );

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
