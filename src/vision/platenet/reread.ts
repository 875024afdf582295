import { expandQuad } from './rectify.js';
import type { Point } from './homography.js';

/**
 * The other cuts a crop the grammar rejected is read from (PlateNetEngine.reread: crops offered
 * whole, not detected plates), in the order they are tried, each a margin per side as a fraction
 * of the crop's width and height (negative: pulled in). One cut, pulled in by 4 %: it drops a
 * stray character or border at a tight crop's edge (CCPD's 94x24 crops read with a ninth
 * character). Chosen on the held-out splits (docs/benchmarks.md): pushed-out cuts, alone or beside
 * it, mended no more plates there and read more foreign plates wrong.
 */
export const REREAD_MARGINS: readonly number[] = [-0.04];

/** The quads a crop is reread from: `quad` (as the first read cut it) moved by each margin. */
export function rereadQuads(quad: readonly Point[]): Point[][] {
  return REREAD_MARGINS.map((margin) => expandQuad(quad, margin));
}
