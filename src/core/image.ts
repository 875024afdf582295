/** An axis-aligned box in pixels, top-left origin. */
export interface Box {
  x: number;
  y: number;
  w: number;
  h: number;
}

/** Packed 8-bit RGB pixels, row-major, no padding: what ffmpeg's `-pix_fmt rgb24` writes. */
export interface RgbImage {
  width: number;
  height: number;
  data: Buffer;
}

/**
 * The pixels of `box` as an image of their own (one copy per row). Cheaper to hand to an encoder
 * than the whole frame with an extract: sharp wraps whatever buffer it is given, and a plate crop
 * is a few kilobytes of a 2.7 MB frame. Throws a RangeError for a box that is not whole pixels
 * inside the image.
 */
export function cropRgb(image: RgbImage, box: Box): RgbImage {
  const { x, y, w, h } = box;
  const inside =
    [x, y, w, h].every(Number.isInteger) &&
    x >= 0 &&
    y >= 0 &&
    w > 0 &&
    h > 0 &&
    x + w <= image.width &&
    y + h <= image.height;
  if (!inside)
    throw new RangeError(`crop box ${JSON.stringify(box)} is not inside the ${image.width}x${image.height} image`);
  const rowBytes = w * 3;
  const data = Buffer.allocUnsafe(rowBytes * h);
  for (let row = 0; row < h; row++) {
    const start = ((y + row) * image.width + x) * 3;
    image.data.copy(data, row * rowBytes, start, start + rowBytes);
  }
  return { width: w, height: h, data };
}
