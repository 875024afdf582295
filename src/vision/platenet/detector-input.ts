import sharp from 'sharp';
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
 * Packed RGB of the scaled ROI (`lb.w` x `lb.h`) → the detector's planar RGB input [3, H, W]
 * in `out`: value = byte / 255, the ROI at the top-left, the rest padded with 0.5.
 */
export function writeLetterboxed(
  rgb: Uint8Array,
  lb: Letterbox,
  inputW: number,
  inputH: number,
  out: Float32Array,
): Float32Array {
  const plane = inputW * inputH;
  out.fill(PAD, 0, 3 * plane);
  for (let y = 0; y < lb.h; y++) {
    for (let x = 0; x < lb.w; x++) {
      const i = (y * lb.w + x) * 3;
      const p = y * inputW + x;
      out[p] = rgb[i]! / 255;
      out[plane + p] = rgb[i + 1]! / 255;
      out[2 * plane + p] = rgb[i + 2]! / 255;
    }
  }
  return out;
}

/** Crops `roi` and scales it to the letterbox's size (sharp filters the shrink properly). */
export async function scaleRoi(image: RgbImage, roi: Box, lb: Letterbox): Promise<Buffer> {
  return sharp(image.data, { raw: { width: image.width, height: image.height, channels: 3 } })
    .extract({ left: roi.x, top: roi.y, width: roi.w, height: roi.h })
    .resize(lb.w, lb.h, { fit: 'fill', kernel: 'linear' })
    .raw()
    .toBuffer();
}
