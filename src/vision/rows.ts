import type { Box } from '../core/image.js';
import type { PlateRegion } from './types.js';

export interface ScoredBox extends Box {
  score: number;
}

/**
 * Groups detected text lines into plates. Two lines form a two-row plate when one sits just
 * below the other, they overlap horizontally for most of the narrower line, and their
 * heights are alike (a Vietnamese motorbike plate, a Chinese yellow truck plate). Every line
 * is also offered on its own, so a one-row plate next to other text is never lost; the plate
 * grammar later decides which reading is a plate.
 */
export function groupPlateRows(lines: readonly ScoredBox[]): PlateRegion[] {
  const regions: PlateRegion[] = [];
  const sorted = [...lines].sort((a, b) => a.y - b.y);
  for (let i = 0; i < sorted.length; i++) {
    const top = sorted[i]!;
    for (let j = i + 1; j < sorted.length; j++) {
      const bottom = sorted[j]!;
      if (isStackedPair(top, bottom)) {
        regions.push({ box: union(top, bottom), rows: [top, bottom], score: Math.min(top.score, bottom.score) });
      }
    }
  }
  for (const line of sorted)
    regions.push({ box: { x: line.x, y: line.y, w: line.w, h: line.h }, rows: [line], score: line.score });
  return regions;
}

export function isStackedPair(top: Box, bottom: Box): boolean {
  const gap = bottom.y - (top.y + top.h);
  const meanH = (top.h + bottom.h) / 2;
  if (gap > 0.6 * meanH || gap < -0.35 * meanH) return false;
  const heightRatio = top.h / bottom.h;
  if (heightRatio < 0.5 || heightRatio > 2) return false;
  const overlap = Math.min(top.x + top.w, bottom.x + bottom.w) - Math.max(top.x, bottom.x);
  return overlap >= 0.6 * Math.min(top.w, bottom.w);
}

export function union(a: Box, b: Box): Box {
  const x = Math.min(a.x, b.x);
  const y = Math.min(a.y, b.y);
  return { x, y, w: Math.max(a.x + a.w, b.x + b.w) - x, h: Math.max(a.y + a.h, b.y + b.h) - y };
}
