import type { RgbImage } from '../../core/image.js';
import { homographyFrom, type Point } from './homography.js';

/**
 * How far a detected quad is pushed out on each side, as a fraction of its width (left and
 * right) and height (top and bottom). Predicted corners scatter by a pixel or two around the
 * plate's edge; a quad that cuts into the first or last character costs a whole character,
 * while a sliver of background costs nothing (the reader's training crops are jittered by
 * -6..+8 % per side, so 2 % stays well inside what it has seen). Quads given as a box (a
 * plate crop) are read as they are: the reader was trained on boxes as found.
 */
export const QUAD_MARGIN = 0.02;

/** The quad pushed out by `margin` of its mean width and height per side, along its own axes. */
export function expandQuad(corners: readonly Point[], margin = QUAD_MARGIN): Point[] {
  const [tl, tr, br, bl] = corners as [Point, Point, Point, Point];
  const wx = (tr[0] - tl[0] + br[0] - bl[0]) / 2;
  const wy = (tr[1] - tl[1] + br[1] - bl[1]) / 2;
  const hx = (bl[0] - tl[0] + br[0] - tr[0]) / 2;
  const hy = (bl[1] - tl[1] + br[1] - tr[1]) / 2;
  const mw: Point = [wx * margin, wy * margin];
  const mh: Point = [hx * margin, hy * margin];
  return [
    [tl[0] - mw[0] - mh[0], tl[1] - mw[1] - mh[1]],
    [tr[0] + mw[0] - mh[0], tr[1] + mw[1] - mh[1]],
    [br[0] + mw[0] + mh[0], br[1] + mw[1] + mh[1]],
    [bl[0] - mw[0] + mh[0], bl[1] - mw[1] + mh[1]],
  ];
}

/** A box's corners, TL TR BR BL, in the same continuous coordinates as the detector's. */
export function boxCorners(box: { x: number; y: number; w: number; h: number }): Point[] {
  return [
    [box.x, box.y],
    [box.x + box.w, box.y],
    [box.x + box.w, box.y + box.h],
    [box.x, box.y + box.h],
  ];
}

/** Most sub-samples per output pixel and axis: beyond 4x shrink the plate is big enough anyway. */
const MAX_SUBSAMPLES = 4;

/**
 * Most pixels whose luma is computed ahead of a warp (2 MB of float64). A plate's bounding box is
 * far smaller; a quad bigger than this (a whole crop offered as a plate) samples the RGB bytes
 * directly, as lumaAt does.
 */
const MAX_LUMA_PLANE = 1 << 18;

/**
 * The luma of the pixels under one quad, kept between warps. Each bilinear sample reads four
 * pixels and a warp takes up to 16 samples per output pixel, so a 200 px plate asked for each
 * pixel's luma about eight times over. With the luma computed once per pixel and the sampling
 * loop kept to local numbers, such a plate's warp takes 0.7 ms instead of 1.3 (a 2-vCPU Intel
 * Xeon). The values are the same doubles lumaAt computes, in the same order, so the reader's
 * input does not change by a bit. Safe to share: a warp runs to the end without yielding.
 */
let lumaPlane = new Float64Array(0);

/** The pixels [x0, x1] x [y0, y1] (inclusive) whose luma is in `lumaPlane`, row-major. */
interface LumaWindow {
  x0: number;
  y0: number;
  x1: number;
  y1: number;
  stride: number;
}

/** No pixels: every sample falls outside it and reads the bytes. */
const NO_WINDOW: LumaWindow = { x0: 1, y0: 1, x1: 0, y1: 0, stride: 0 };

/**
 * Fills `lumaPlane` for the image pixels that bilinear samples inside `corners` touch (their
 * bounding box, clamped to the image, one pixel wider for the right and bottom neighbours).
 * NO_WINDOW when the box is too big to keep: the caller samples the bytes instead.
 */
function fillLumaWindow(image: RgbImage, corners: readonly Point[]): LumaWindow {
  const { width, height, data } = image;
  const xs = corners.map((c) => c[0]);
  const ys = corners.map((c) => c[1]);
  // A sample at continuous x reads the pixels floor(x - 0.5) and the one after it.
  const x0 = clamp(Math.floor(Math.min(...xs) - 0.5), 0, width - 1);
  const x1 = clamp(Math.floor(Math.max(...xs) - 0.5) + 1, 0, width - 1);
  const y0 = clamp(Math.floor(Math.min(...ys) - 0.5), 0, height - 1);
  const y1 = clamp(Math.floor(Math.max(...ys) - 0.5) + 1, 0, height - 1);
  const stride = x1 - x0 + 1;
  const size = stride * (y1 - y0 + 1);
  if (!(size > 0 && size <= MAX_LUMA_PLANE)) return NO_WINDOW;
  if (lumaPlane.length < size) lumaPlane = new Float64Array(size);
  let k = 0;
  for (let y = y0; y <= y1; y++) {
    for (let i = (y * width + x0) * 3, end = (y * width + x1 + 1) * 3; i < end; i += 3) {
      lumaPlane[k++] = 0.299 * data[i]! + 0.587 * data[i + 1]! + 0.114 * data[i + 2]!;
    }
  }
  return { x0, y0, x1, y1, stride };
}

const clamp = (v: number, lo: number, hi: number) => Math.min(Math.max(v, lo), hi);

/**
 * Warps the quad (TL TR BR BL) onto an `outW` x `outH` rectangle and writes the reader's input
 * there: luma = 0.299 R + 0.587 G + 0.114 B, value = luma / 127.5 - 1, at `out[offset..]`.
 * Each output pixel averages bilinear samples on a grid that follows the shrink factor, so a
 * large plate is filtered rather than point-sampled (what an area-aware resize does); samples
 * outside the image take the nearest edge pixel. Returns false, writing nothing, for a
 * degenerate quad.
 */
export function rectifyLuma(
  image: RgbImage,
  corners: readonly Point[],
  outW: number,
  outH: number,
  out: Float32Array,
  offset = 0,
): boolean {
  const h = homographyFrom(
    [
      [0, 0],
      [outW, 0],
      [outW, outH],
      [0, outH],
    ],
    corners,
  );
  if (!h) return false;
  const [tl, tr, br, bl] = corners as [Point, Point, Point, Point];
  const quadW = Math.max(Math.hypot(tr[0] - tl[0], tr[1] - tl[1]), Math.hypot(br[0] - bl[0], br[1] - bl[1]));
  const quadH = Math.max(Math.hypot(bl[0] - tl[0], bl[1] - tl[1]), Math.hypot(br[0] - tr[0], br[1] - tr[1]));
  const nx = Math.min(MAX_SUBSAMPLES, Math.max(1, Math.ceil(quadW / outW - 1e-9)));
  const ny = Math.min(MAX_SUBSAMPLES, Math.max(1, Math.ceil(quadH / outH - 1e-9)));
  const inv = 1 / (nx * ny);
  const [h0, h1, h2, h3, h4, h5, h6, h7, h8] = Array.from(h) as [
    number,
    number,
    number,
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  // The sampling loop runs up to 16 times per output pixel: applyHomography and lumaAt are
  // inlined, the window's bounds held in locals, and floor taken as `| 0` (coordinates are >= 0).
  const lastX = image.width - 1;
  const lastY = image.height - 1;
  const { x0: wx0, y0: wy0, x1: wx1, y1: wy1, stride } = fillLumaWindow(image, corners);
  const plane = lumaPlane;
  for (let v = 0; v < outH; v++) {
    for (let u = 0; u < outW; u++) {
      let sum = 0;
      for (let j = 0; j < ny; j++) {
        const sv = v + (j + 0.5) / ny;
        for (let i = 0; i < nx; i++) {
          const su = u + (i + 0.5) / nx;
          const w = h6 * su + h7 * sv + h8;
          const x = (h0 * su + h1 * sv + h2) / w;
          const y = (h3 * su + h4 * sv + h5) / w;
          // Continuous coordinates → pixel-centre indices, clamped to the image (edge repeated).
          const cx = x - 0.5 < 0 ? 0 : x - 0.5 > lastX ? lastX : x - 0.5;
          const cy = y - 0.5 < 0 ? 0 : y - 0.5 > lastY ? lastY : y - 0.5;
          const px = cx | 0; // floor: cx >= 0
          const py = cy | 0;
          const dx = px < lastX ? 1 : 0;
          const dy = py < lastY ? 1 : 0;
          // A quad that is not convex maps some samples outside its corners' box: read the bytes.
          if (px < wx0 || px + dx > wx1 || py < wy0 || py + dy > wy1) {
            sum += lumaAt(image, x - 0.5, y - 0.5);
            continue;
          }
          const fx = cx - px;
          const fy = cy - py;
          const i00 = (py - wy0) * stride + (px - wx0);
          const i10 = i00 + dy * stride;
          const top = plane[i00]! * (1 - fx) + plane[i00 + dx]! * fx;
          const bottom = plane[i10]! * (1 - fx) + plane[i10 + dx]! * fx;
          sum += top * (1 - fy) + bottom * fy;
        }
      }
      out[offset + v * outW + u] = (sum * inv) / 127.5 - 1;
    }
  }
  return true;
}

/** Bilinear luma at pixel-centre coordinates (x, y), edge pixels repeated outside the image. */
export function lumaAt(image: RgbImage, x: number, y: number): number {
  const { width, height, data } = image;
  const cx = Math.min(Math.max(x, 0), width - 1);
  const cy = Math.min(Math.max(y, 0), height - 1);
  const x0 = Math.floor(cx);
  const y0 = Math.floor(cy);
  const x1 = Math.min(x0 + 1, width - 1);
  const y1 = Math.min(y0 + 1, height - 1);
  const fx = cx - x0;
  const fy = cy - y0;
  const l = (px: number, py: number) => {
    const i = (py * width + px) * 3;
    return 0.299 * data[i]! + 0.587 * data[i + 1]! + 0.114 * data[i + 2]!;
  };
  const top = l(x0, y0) * (1 - fx) + l(x1, y0) * fx;
  const bottom = l(x0, y1) * (1 - fx) + l(x1, y1) * fx;
  return top * (1 - fy) + bottom * fy;
}
