import type { RgbImage } from '../../core/image.js';
import type { PlateRegion } from '../types.js';
import { boundsOf, type DetectedPlate } from './detector-decode.js';

/** Top row's share of a two-row plate's height: Vietnamese and Chinese two-row plates have a slightly shorter top row. */
const TOP_ROW_SHARE = 0.45;

/** A detected plate as the reading pipeline takes it: integer box in the image, row boxes, corners. */
export function toRegion(
  p: DetectedPlate,
  twoRowThreshold: number,
  image: Pick<RgbImage, 'width' | 'height'>,
): PlateRegion {
  const [x0, y0, x1, y1] = boundsOf(p.corners);
  // At least one pixel, all inside the image: crops of the box are cut from the frame.
  const x = Math.min(image.width - 1, Math.max(0, Math.floor(x0)));
  const y = Math.min(image.height - 1, Math.max(0, Math.floor(y0)));
  const box = {
    x,
    y,
    w: Math.min(image.width, Math.max(x + 1, Math.ceil(x1))) - x,
    h: Math.min(image.height, Math.max(y + 1, Math.ceil(y1))) - y,
  };
  const topH = Math.round(box.h * TOP_ROW_SHARE);
  const rows =
    p.twoRows >= twoRowThreshold && topH > 0 && topH < box.h
      ? [
          { x: box.x, y: box.y, w: box.w, h: topH },
          { x: box.x, y: box.y + topH, w: box.w, h: box.h - topH },
        ]
      : [box];
  return { box, rows, score: p.score, corners: p.corners.map(([cx, cy]) => [cx, cy]) };
}
