import type { Box, RgbImage } from '../core/image.js';

export interface MotionOptions {
  /** Per-sample absolute luma difference (0..255) at which a sample counts as changed. */
  threshold: number;
  /** Fraction of samples that must change for the region to count as moving. */
  minChangedFraction: number;
  /** Samples across the region's width (height follows its aspect ratio). Default 64: a few thousand samples. */
  gridWidth?: number;
}

export const DEFAULT_MOTION_GRID_WIDTH = 64;

/**
 * Decides whether anything moves in a region by comparing a coarse luma grid with the last
 * frame's. It is cheap (a few thousand samples) so the detector runs only when a vehicle is
 * there, and it allocates nothing per frame after the first.
 */
export class MotionGate {
  private previous: Uint8Array | null = null;
  private current: Uint8Array | null = null;

  constructor(
    private readonly roi: Box,
    private readonly opts: MotionOptions,
  ) {}

  /** Fraction of grid samples that changed since the previous call (1 on the first call). */
  changedFraction(image: RgbImage): number {
    const gw = Math.max(1, Math.min(this.opts.gridWidth ?? DEFAULT_MOTION_GRID_WIDTH, this.roi.w));
    const gh = Math.max(1, Math.round((gw * this.roi.h) / this.roi.w));
    if (!this.current || this.current.length !== gw * gh) {
      this.current = new Uint8Array(gw * gh);
      this.previous = null;
    }
    sampleLuma(image, this.roi, gw, gh, this.current);
    const prev = this.previous;
    let changed = 0;
    if (prev) {
      for (let i = 0; i < this.current.length; i++) {
        if (Math.abs(this.current[i]! - prev[i]!) >= this.opts.threshold) changed++;
      }
    }
    // Swap buffers instead of copying.
    const spare = this.previous ?? new Uint8Array(gw * gh);
    this.previous = this.current;
    this.current = spare;
    return prev ? changed / (gw * gh) : 1;
  }

  moving(image: RgbImage): boolean {
    return this.changedFraction(image) >= this.opts.minChangedFraction;
  }
}

/** Nearest-sample luma (BT.601 integer weights) of a gw x gh grid over `roi`, into `out`. */
export function sampleLuma(image: RgbImage, roi: Box, gw: number, gh: number, out: Uint8Array): void {
  const { data, width } = image;
  for (let gy = 0; gy < gh; gy++) {
    const y = roi.y + Math.min(roi.h - 1, Math.floor(((gy + 0.5) * roi.h) / gh));
    for (let gx = 0; gx < gw; gx++) {
      const x = roi.x + Math.min(roi.w - 1, Math.floor(((gx + 0.5) * roi.w) / gw));
      const i = (y * width + x) * 3;
      out[gy * gw + gx] = (77 * data[i]! + 150 * data[i + 1]! + 29 * data[i + 2]!) >> 8;
    }
  }
}
