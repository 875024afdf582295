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
