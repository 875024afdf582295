import sharp from 'sharp';
import type { Box, RgbImage } from '../../core/image.js';

export const REC_HEIGHT = 48;

/** Width a row crop is resized to at the recogniser's fixed height, kept within bounds. */
export function recWidth(box: Box, maxWidth: number): number {
  return Math.max(16, Math.min(maxWidth, Math.ceil((REC_HEIGHT * box.w) / Math.max(1, box.h))));
}

export async function cropRow(image: RgbImage, box: Box, width: number): Promise<Buffer> {
  return sharp(image.data, { raw: { width: image.width, height: image.height, channels: 3 } })
    .extract({ left: box.x, top: box.y, width: box.w, height: box.h })
    .resize(width, REC_HEIGHT, { fit: 'fill', kernel: 'cubic' })
    .raw()
    .toBuffer();
}

/**
 * Writes one row crop (packed RGB, `width` x 48) into slot `index` of a batch tensor laid out
 * [batch, 3, 48, batchWidth] in B, G, R planes normalised to [-1, 1]; the rest of the slot
 * stays 0, PaddleOCR's padding.
 */
export function writeRecSlot(rgb: Buffer, width: number, batchWidth: number, index: number, out: Float32Array): void {
  const plane = REC_HEIGHT * batchWidth;
  const base = index * 3 * plane;
  out.fill(0, base, base + 3 * plane);
  for (let y = 0; y < REC_HEIGHT; y++) {
    for (let x = 0; x < width; x++) {
      const i = (y * width + x) * 3;
      const p = base + y * batchWidth + x;
      out[p] = rgb[i + 2]! / 127.5 - 1;
      out[p + plane] = rgb[i + 1]! / 127.5 - 1;
      out[p + 2 * plane] = rgb[i]! / 127.5 - 1;
    }
  }
}
