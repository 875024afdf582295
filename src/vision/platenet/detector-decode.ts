import type { Point } from './homography.js';

/** The detector's output channels: score, four corners as (dx, dy), two-row probability. */
export const DETECTOR_CHANNELS = 10;

export interface DetectorDecodeOptions {
  /** Centre score at which a cell counts as a plate. */
  threshold: number;
  /** Quads whose bounding boxes overlap more than this (IoU) keep only the higher score. */
  nmsIou: number;
  /** At most this many plates per image, best first. */
  maxPlates: number;
  /** Quads smaller than this (image px², after clamping) are dropped: nothing readable fits. */
  minArea: number;
}

export const defaultDetectorDecode: DetectorDecodeOptions = { threshold: 0.3, nmsIou: 0.4, maxPlates: 8, minArea: 100 };

/** How input pixels map back to the image: divide by the scale, add the ROI origin. */
export interface InputMapping {
  scaleX: number;
  scaleY: number;
  originX: number;
  originY: number;
  /** The image's size: corners are clamped into it. */
  imageW: number;
  imageH: number;
}

export interface DetectedPlate {
  /** TL, TR, BR, BL in image coordinates. */
  corners: Point[];
  score: number;
  /** Probability that the plate has two rows of text. */
  twoRows: number;
}

/**
 * Decodes the detector's output [10, gridH, gridW] (one image): every cell scoring at least
 * the threshold is a plate centred there (the graph already suppressed non-peaks); its corners
 * are the cell centre plus the predicted offsets, in input pixels, mapped back to the image.
 * Overlapping survivors are thinned by greedy NMS on their bounding boxes.
 */
export function decodeDetections(
  out: Float32Array,
  gridW: number,
  gridH: number,
  stride: number,
  map: InputMapping,
  opts: DetectorDecodeOptions = defaultDetectorDecode,
): DetectedPlate[] {
  const plane = gridW * gridH;
  if (out.length < DETECTOR_CHANNELS * plane)
    throw new Error(`detector output has ${out.length} values, expected ${DETECTOR_CHANNELS * plane}`);
  const found: DetectedPlate[] = [];
  for (let row = 0; row < gridH; row++) {
    for (let col = 0; col < gridW; col++) {
      const cell = row * gridW + col;
      const score = out[cell]!;
      if (!(score >= opts.threshold)) continue;
      const cx = (col + 0.5) * stride;
      const cy = (row + 0.5) * stride;
      const corners: Point[] = [];
      for (let k = 0; k < 4; k++) {
        const x = (cx + out[(1 + 2 * k) * plane + cell]!) / map.scaleX + map.originX;
        const y = (cy + out[(2 + 2 * k) * plane + cell]!) / map.scaleY + map.originY;
        corners.push([clamp(x, 0, map.imageW), clamp(y, 0, map.imageH)]);
      }
      if (quadArea(corners) < opts.minArea) continue;
      found.push({ corners, score, twoRows: out[9 * plane + cell]! });
    }
  }
  return nms(found, opts.nmsIou, opts.maxPlates);
}

function nms(plates: DetectedPlate[], iouLimit: number, max: number): DetectedPlate[] {
  const sorted = [...plates].sort((a, b) => b.score - a.score);
  const kept: DetectedPlate[] = [];
  for (const p of sorted) {
    if (kept.length >= max) break;
    const box = boundsOf(p.corners);
    if (!kept.some((k) => iou(box, boundsOf(k.corners)) > iouLimit)) kept.push(p);
  }
  return kept;
}

/** Axis-aligned bounds of points: [x0, y0, x1, y1]. */
export function boundsOf(points: readonly Point[]): [number, number, number, number] {
  const xs = points.map((p) => p[0]);
  const ys = points.map((p) => p[1]);
  return [Math.min(...xs), Math.min(...ys), Math.max(...xs), Math.max(...ys)];
}

function iou(a: [number, number, number, number], b: [number, number, number, number]): number {
  const iw = Math.max(0, Math.min(a[2], b[2]) - Math.max(a[0], b[0]));
  const ih = Math.max(0, Math.min(a[3], b[3]) - Math.max(a[1], b[1]));
  const inter = iw * ih;
  const union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter;
  return union > 0 ? inter / union : 0;
}

/** Shoelace area of a polygon (absolute). */
export function quadArea(points: readonly Point[]): number {
  let twice = 0;
  for (let i = 0; i < points.length; i++) {
    const [x0, y0] = points[i]!;
    const [x1, y1] = points[(i + 1) % points.length]!;
    twice += x0 * y1 - x1 * y0;
  }
  return Math.abs(twice) / 2;
}

const clamp = (v: number, lo: number, hi: number) => Math.min(hi, Math.max(lo, v));
