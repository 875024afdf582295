import { describe, expect, it } from 'vitest';
import {
  decodeDetections,
  defaultDetectorDecode,
  quadArea,
  type InputMapping,
} from '../../src/vision/platenet/detector-decode.js';
import type { Box } from '../../src/core/image.js';
import { letterbox, shrinkIntoLetterbox } from '../../src/vision/platenet/detector-input.js';

const STRIDE = 4;
const GRID_W = 80; // 320 / 4
const GRID_H = 48; // 192 / 4

interface Cell {
  row: number;
  col: number;
  score: number;
  /** Corners TL TR BR BL as (dx, dy) from the cell centre, input pixels. */
  offsets: [number, number][];
  twoRows?: number;
}

/** A hand-made detector output [10, GRID_H, GRID_W] with the given cells set. */
function output(cells: Cell[]): Float32Array {
  const plane = GRID_W * GRID_H;
  const out = new Float32Array(10 * plane);
  for (const c of cells) {
    const i = c.row * GRID_W + c.col;
    out[i] = c.score;
    c.offsets.forEach(([dx, dy], k) => {
      out[(1 + 2 * k) * plane + i] = dx;
      out[(2 + 2 * k) * plane + i] = dy;
    });
    out[9 * plane + i] = c.twoRows ?? 0;
  }
  return out;
}

/** A w x h rectangle centred on the cell. */
const rect = (w: number, h: number): [number, number][] => [
  [-w / 2, -h / 2],
  [w / 2, -h / 2],
  [w / 2, h / 2],
  [-w / 2, h / 2],
];

const identity: InputMapping = { scaleX: 1, scaleY: 1, originX: 0, originY: 0, imageW: 320, imageH: 192 };

describe('letterbox', () => {
  it.each([
    { roi: [1280, 720], size: [320, 180], scale: 0.25 }, // width-bound: 16:9 into 320x192
    { roi: [640, 640], size: [192, 192], scale: 0.3 }, // height-bound
    { roi: [160, 96], size: [320, 192], scale: 2 }, // small ROIs are enlarged
  ])('fits $roi into 320x192 as $size', ({ roi, size, scale }) => {
    const lb = letterbox(roi[0]!, roi[1]!, 320, 192);
    expect([lb.w, lb.h]).toEqual(size);
    expect(lb.scaleX).toBeCloseTo(scale, 6);
    expect(lb.scaleY).toBeCloseTo(scale, 6);
  });

  it('writes planar RGB / 255 at the top-left and 0.5 elsewhere', () => {
    // A 2x1 ROI at its own size: each input pixel is its frame pixel.
    const image = { width: 3, height: 1, data: Buffer.from([9, 9, 9, 255, 0, 51, 0, 255, 102]) };
    const roi = { x: 1, y: 0, w: 2, h: 1 };
    const out = shrinkIntoLetterbox(
      image,
      roi,
      { w: 2, h: 1, scaleX: 1, scaleY: 1 },
      4,
      2,
      new Float32Array(24).fill(9),
    );
    const plane = 8;
    expect([out[0], out[1], out[2]]).toEqual([1, 0, 0.5]);
    expect([out[plane], out[plane + 1]]).toEqual([0, 1]);
    expect(out[2 * plane]).toBeCloseTo(0.2);
    expect(out[2 * plane + 1]).toBeCloseTo(0.4);
    expect([...out.subarray(4, 8), ...out.subarray(plane + 4, plane + 8)]).toEqual(Array(8).fill(0.5)); // second row padded
  });

  /** A grey `w` x `h` frame whose pixel (x, y) is `value(x, y)`, shrunk into a 2x2 input. */
  function shrunkGrey(w: number, h: number, value: (x: number, y: number) => number, roi: Box) {
    const data = Buffer.alloc(w * h * 3);
    for (let y = 0; y < h; y++)
      for (let x = 0; x < w; x++) data.fill(value(x, y), (y * w + x) * 3, (y * w + x) * 3 + 3);
    const lb = letterbox(roi.w, roi.h, 2, 2);
    return shrinkIntoLetterbox({ width: w, height: h, data }, roi, lb, 2, 2, new Float32Array(12));
  }

  it('averages every frame pixel of each 4 x 4 block of a 4x shrink', () => {
    // value = x + 8 * y: block (0,0) holds x 0-3, y 0-3, mean 1.5 + 8 * 1.5 = 13.5.
    const out = shrunkGrey(8, 8, (x, y) => x + 8 * y, { x: 0, y: 0, w: 8, h: 8 });
    expect(out[0]).toBeCloseTo(13.5 / 255, 6);
    expect(out[3]).toBeCloseTo((13.5 + 4 + 32) / 255, 6); // block (1,1): x 4-7, y 4-7
  });

  it('averages each block of a 2x shrink of an ROI inside the frame', () => {
    // value = 10 * x + y; the ROI is columns 2-5 of a 6x4 frame. Input pixel (0,0) is frame
    // pixels x 2-3, y 0-1: 20, 30, 21, 31, mean 25.5.
    const out = shrunkGrey(6, 4, (x, y) => 10 * x + y, { x: 2, y: 0, w: 4, h: 4 });
    expect(out[0]).toBeCloseTo(25.5 / 255, 6);
    expect(out[3]).toBeCloseTo(47.5 / 255, 6); // (1,1): x 4-5, y 2-3: 42, 52, 43, 53
    expect(out[4 + 1]).toBeCloseTo(out[1]!, 6); // green plane equals red on grey
  });
});

describe('decodeDetections', () => {
  it('places the corners at the cell centre plus the offsets', () => {
    const [plate] = decodeDetections(
      output([{ row: 10, col: 20, score: 0.9, offsets: rect(40, 12), twoRows: 0.8 }]),
      GRID_W,
      GRID_H,
      STRIDE,
      identity,
    );
    // centre = (20.5 * 4, 10.5 * 4) = (82, 42)
    expect(plate!.corners).toEqual([
      [62, 36],
      [102, 36],
      [102, 48],
      [62, 48],
    ]);
    expect(plate!.score).toBeCloseTo(0.9);
    expect(plate!.twoRows).toBeCloseTo(0.8);
  });

  it.each([
    { score: 0.29, found: 0 },
    { score: 0.3, found: 1 },
    { score: 0.31, found: 1 },
  ])('keeps a cell scoring $score: $found', ({ score, found }) => {
    const out = output([{ row: 10, col: 20, score, offsets: rect(40, 12) }]);
    expect(decodeDetections(out, GRID_W, GRID_H, STRIDE, identity)).toHaveLength(found);
  });

  it('maps letterboxed input pixels back through the scale and the ROI origin', () => {
    // A 1280x720 ROI at (100, 200) of a 1920x1080 frame, letterboxed at 0.25.
    const map: InputMapping = { scaleX: 0.25, scaleY: 0.25, originX: 100, originY: 200, imageW: 1920, imageH: 1080 };
    const [plate] = decodeDetections(
      output([{ row: 10, col: 20, score: 0.9, offsets: rect(40, 12) }]),
      GRID_W,
      GRID_H,
      STRIDE,
      map,
    );
    expect(plate!.corners).toEqual([
      [100 + 62 * 4, 200 + 36 * 4],
      [100 + 102 * 4, 200 + 36 * 4],
      [100 + 102 * 4, 200 + 48 * 4],
      [100 + 62 * 4, 200 + 48 * 4],
    ]);
  });

  it('clamps corners into the image', () => {
    const [plate] = decodeDetections(
      output([{ row: 0, col: 0, score: 0.9, offsets: rect(40, 12) }]),
      GRID_W,
      GRID_H,
      STRIDE,
      identity,
    );
    // centre (2, 2): corners at x -18 and 22, y -4 and 8.
    expect(plate!.corners).toEqual([
      [0, 0],
      [22, 0],
      [22, 8],
      [0, 8],
    ]);
  });

  it('drops quads with a tiny area', () => {
    const out = output([
      { row: 10, col: 20, score: 0.9, offsets: rect(8, 4) }, // 32 px²
      { row: 30, col: 60, score: 0.8, offsets: rect(40, 12) },
    ]);
    const found = decodeDetections(out, GRID_W, GRID_H, STRIDE, identity);
    expect(found).toHaveLength(1);
    expect(found[0]!.score).toBeCloseTo(0.8);
  });

  it('keeps the best of overlapping quads (IoU above 0.4) and both of barely overlapping ones', () => {
    const out = output([
      { row: 10, col: 20, score: 0.7, offsets: rect(40, 12) },
      { row: 10, col: 21, score: 0.9, offsets: rect(40, 12) }, // 4 px to the right: IoU 0.82
      { row: 10, col: 28, score: 0.6, offsets: rect(40, 12) }, // 32 px right of the best: IoU 0.11
    ]);
    const found = decodeDetections(out, GRID_W, GRID_H, STRIDE, identity);
    expect(found.map((p) => Number(p.score.toFixed(2)))).toEqual([0.9, 0.6]);
  });

  it('keeps at most maxPlates, best first', () => {
    const cells = Array.from({ length: 12 }, (_, i) => ({
      row: 5 + 3 * (i % 4),
      col: 5 + 20 * Math.floor(i / 4),
      score: 0.4 + i / 100,
      offsets: rect(40, 8),
    }));
    const found = decodeDetections(output(cells), GRID_W, GRID_H, STRIDE, identity, {
      ...defaultDetectorDecode,
      maxPlates: 8,
    });
    expect(found).toHaveLength(8);
    expect(found[0]!.score).toBeCloseTo(0.51);
    expect(found.map((p) => p.score)).toEqual([...found.map((p) => p.score)].sort((a, b) => b - a));
  });

  it('measures quad area by the shoelace formula', () => {
    expect(
      quadArea([
        [0, 0],
        [10, 2],
        [10, 7],
        [0, 5],
      ]),
    ).toBeCloseTo(50);
  });
});
