import sharp from 'sharp';
import type { Box, RgbImage } from '../../core/image.js';

// PaddleOCR's detector was trained on BGR images normalised with ImageNet mean/std.
const MEAN = [0.485, 0.456, 0.406] as const;
const STD = [0.229, 0.224, 0.225] as const;

/** The detector's input size for a region: scaled so its longer side is at most `maxSide`
 * (and at least `minSide`, so small frames are enlarged), both sides multiples of 32. */
export function detInputSize(w: number, h: number, maxSide: number, minSide = 0): { w: number; h: number } {
  const long = Math.max(w, h);
  let scale = long > maxSide ? maxSide / long : 1;
  if (long * scale < minSide) scale = minSide / long;
  const round32 = (v: number) => Math.max(32, Math.round((v * scale) / 32) * 32);
  return { w: round32(w), h: round32(h) };
}

/** Crops `roi` from `image` and resizes it to `size` (sharp does both in one pass). */
export async function cropResize(image: RgbImage, roi: Box, size: { w: number; h: number }): Promise<Buffer> {
  return sharp(image.data, { raw: { width: image.width, height: image.height, channels: 3 } })
    .extract({ left: roi.x, top: roi.y, width: roi.w, height: roi.h })
    .resize(size.w, size.h, { fit: 'fill', kernel: 'linear' })
    .raw()
    .toBuffer();
}

/** Packed RGB → planar BGR float tensor normalised for the detector, into `out`. */
export function toDetTensor(rgb: Buffer, w: number, h: number, out: Float32Array): Float32Array {
  const plane = w * h;
  for (let i = 0, p = 0; p < plane; p++, i += 3) {
    // Planes in B, G, R order.
    out[p] = (rgb[i + 2]! / 255 - MEAN[0]) / STD[0];
    out[plane + p] = (rgb[i + 1]! / 255 - MEAN[1]) / STD[1];
    out[2 * plane + p] = (rgb[i]! / 255 - MEAN[2]) / STD[2];
  }
  return out;
}
