import type { Box, RgbImage } from '../../core/image.js';

/** Padding of the letterboxed input: mid-grey, as the detector was trained (byte 127.5 / 255). */
const PAD = 0.5;

/** Where the region of interest lands in the detector's input: its scaled size (top-left placed). */
export interface Letterbox {
  /** The ROI's size in input pixels after scaling by min(W / w, H / h). */
  w: number;
  h: number;
  /** Input pixels per image pixel, per axis (equal up to the rounding of the scaled size). */
  scaleX: number;
  scaleY: number;
}

export function letterbox(roiW: number, roiH: number, inputW: number, inputH: number): Letterbox {
  const s = Math.min(inputW / roiW, inputH / roiH);
  const w = Math.min(inputW, Math.max(1, Math.round(roiW * s)));
  const h = Math.min(inputH, Math.max(1, Math.round(roiH * s)));
  return { w, h, scaleX: w / roiW, scaleY: h / roiH };
}

/**
 * The ROI of `image` scaled into the detector's planar RGB input [3, H, W] in `out`: value =
 * byte / 255, the ROI at the top-left (`lb.w` x `lb.h`), the rest padded with 0.5.
 *
 * Each input pixel is the mean of the frame pixels in its cell (a box filter): a whole 1280x720
 * frame into 320x180 averages each 4 x 4 block. Done here rather than by sharp, whose resize of
 * a raw frame took 3.7 ms of the 5.2 ms the detector spent on a whole frame (this: 2.2 ms), and on
 * the held-out frames reads as well or better (docs/benchmarks.md). An ROI smaller than the input
 * is enlarged by repeating pixels.
 */
export function shrinkIntoLetterbox(
  image: RgbImage,
  roi: Box,
  lb: Letterbox,
  inputW: number,
  inputH: number,
  out: Float32Array,
): Float32Array {
  const plane = inputW * inputH;
  out.fill(PAD, 0, 3 * plane);
  const { width, data } = image;
  const sx = roi.w / lb.w;
  const sy = roi.h / lb.h;
  // Each input pixel averages the frame pixels of its own cell: columns [x0[u], x0[u + 1]),
  // rows [y0, y1), at least one of each.
  const xs = new Int32Array(lb.w + 1);
  for (let u = 0; u <= lb.w; u++) xs[u] = roi.x + Math.min(roi.w, Math.round(u * sx));
  for (let v = 0; v < lb.h; v++) {
    const y0 = roi.y + Math.min(roi.h - 1, Math.round(v * sy));
    const y1 = Math.max(y0 + 1, roi.y + Math.min(roi.h, Math.round((v + 1) * sy)));
    for (let u = 0; u < lb.w; u++) {
      const x0 = Math.min(xs[u]!, roi.x + roi.w - 1);
      const x1 = Math.max(x0 + 1, xs[u + 1]!);
      let r = 0;
      let g = 0;
      let b = 0;
      for (let y = y0; y < y1; y++) {
        const end = (y * width + x1) * 3;
        for (let i = (y * width + x0) * 3; i < end; i += 3) {
          r += data[i]!;
          g += data[i + 1]!;
          b += data[i + 2]!;
        }
      }
      const scale = 1 / (255 * (x1 - x0) * (y1 - y0));
      const p = v * inputW + u;
      out[p] = r * scale;
      out[plane + p] = g * scale;
      out[2 * plane + p] = b * scale;
    }
  }
  return out;
}
