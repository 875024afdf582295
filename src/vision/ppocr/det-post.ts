import type { Box } from '../../core/image.js';

export interface TextBox extends Box {
  /** Mean text probability inside the component. */
  score: number;
}

export interface DbPostOptions {
  /** Pixel probability above which a pixel is text (PaddleOCR `det_db_thresh`). */
  threshold: number;
  /** Minimum mean probability of a component (PaddleOCR `det_db_box_thresh`). */
  boxThreshold: number;
  /** How far to grow the shrunk text kernel back (PaddleOCR `det_db_unclip_ratio`). */
  unclipRatio: number;
  /** Components smaller than this many pixels (in the map) are noise. */
  minArea: number;
}

export const defaultDbPost: DbPostOptions = { threshold: 0.3, boxThreshold: 0.5, unclipRatio: 1.6, minArea: 12 };

/**
 * DB post-processing on the detector's probability map: connected components of the
 * thresholded map, each scored and grown back ("unclipped") to the text's full extent.
 * Boxes are axis-aligned, which is what a fixed lane camera sees of a plate. `labels` is a
 * scratch buffer of at least w*h entries so the hot path does not allocate one per frame.
 */
export function dbBoxes(prob: Float32Array, w: number, h: number, opts: DbPostOptions, labels: Int32Array): TextBox[] {
  labels.fill(0, 0, w * h);
  const boxes: TextBox[] = [];
  const stack: number[] = [];
  let next = 0;
  for (let start = 0; start < w * h; start++) {
    if (labels[start] !== 0 || prob[start]! <= opts.threshold) continue;
    next++;
    let minX = w,
      minY = h,
      maxX = 0,
      maxY = 0,
      area = 0,
      sum = 0;
    stack.push(start);
    labels[start] = next;
    while (stack.length) {
      const i = stack.pop()!;
      const x = i % w;
      const y = (i - x) / w;
      area++;
      sum += prob[i]!;
      if (x < minX) minX = x;
      if (x > maxX) maxX = x;
      if (y < minY) minY = y;
      if (y > maxY) maxY = y;
      if (x > 0) visit(i - 1);
      if (x < w - 1) visit(i + 1);
      if (y > 0) visit(i - w);
      if (y < h - 1) visit(i + w);
    }
    if (area < opts.minArea) continue;
    const score = sum / area;
    if (score < opts.boxThreshold) continue;
    const bw = maxX - minX + 1;
    const bh = maxY - minY + 1;
    // Unclip as PaddleOCR does: offset = area * ratio / perimeter, on the bounding box.
    const d = (bw * bh * opts.unclipRatio) / (2 * (bw + bh));
    const x0 = Math.max(0, Math.floor(minX - d));
    const y0 = Math.max(0, Math.floor(minY - d));
    const x1 = Math.min(w, Math.ceil(maxX + 1 + d));
    const y1 = Math.min(h, Math.ceil(maxY + 1 + d));
    boxes.push({ x: x0, y: y0, w: x1 - x0, h: y1 - y0, score });
  }
  return boxes;

  function visit(j: number) {
    if (labels[j] === 0 && prob[j]! > opts.threshold) {
      labels[j] = next;
      stack.push(j);
    }
  }
}
