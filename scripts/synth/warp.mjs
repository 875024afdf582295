// Plane geometry shared by the crop and scene generators: homographies between the unit
// square and a quad, and pasting an RGBA image onto an RGB canvas through one.

/** Homography taking the unit square's corners (0,0) (1,0) (1,1) (0,1) to `q` (4 [x, y]). */
export function squareToQuad(q) {
  const [[x0, y0], [x1, y1], [x2, y2], [x3, y3]] = q;
  const dx1 = x1 - x2,
    dx2 = x3 - x2,
    dy1 = y1 - y2,
    dy2 = y3 - y2;
  const sx = x0 - x1 + x2 - x3,
    sy = y0 - y1 + y2 - y3;
  const den = dx1 * dy2 - dx2 * dy1;
  const g = (sx * dy2 - dx2 * sy) / den,
    h = (dx1 * sy - sx * dy1) / den;
  return [x1 - x0 + g * x1, x3 - x0 + h * x3, x0, y1 - y0 + g * y1, y3 - y0 + h * y3, y0, g, h, 1];
}

export function invert3([a, b, c, d, e, f, g, h, i]) {
  const A = e * i - f * h,
    B = -(d * i - f * g),
    C = d * h - e * g;
  const det = a * A + b * B + c * C;
  return [
    A / det,
    -(b * i - c * h) / det,
    (b * f - c * e) / det,
    B / det,
    (a * i - c * g) / det,
    -(a * f - c * d) / det,
    C / det,
    -(a * h - b * g) / det,
    (a * e - b * d) / det,
  ];
}

/** Point (u, v) of the plate's unit square mapped into the image through homography `m`. */
export function mapPoint(m, u, v) {
  const w = m[6] * u + m[7] * v + m[8];
  return [(m[0] * u + m[1] * v + m[2]) / w, (m[3] * u + m[4] * v + m[5]) / w];
}

/** Integer pixel bounds [x0, y0, x1, y1] of `quad`, clipped to W x H. */
export function bounds(quad, W, H) {
  const xs = quad.map((p) => p[0]),
    ys = quad.map((p) => p[1]);
  return [
    Math.max(0, Math.floor(Math.min(...xs))),
    Math.max(0, Math.floor(Math.min(...ys))),
    Math.min(W - 1, Math.ceil(Math.max(...xs))),
    Math.min(H - 1, Math.ceil(Math.max(...ys))),
  ];
}

/**
 * Pastes RGBA `src` (sw x sh) onto the RGB float canvas (W x H) with its corners at `quad`,
 * sampling bilinearly through the inverse homography. `mask` (W x H floats) accumulates coverage.
 */
export function warpOnto(canvas, W, H, src, sw, sh, quad, mask) {
  const inv = invert3(squareToQuad(quad));
  const [x0, y0, x1, y1] = bounds(quad, W, H);
  for (let y = y0; y <= y1; y++) {
    for (let x = x0; x <= x1; x++) {
      const X = x + 0.5,
        Y = y + 0.5;
      const w = inv[6] * X + inv[7] * Y + inv[8];
      const u = ((inv[0] * X + inv[1] * Y + inv[2]) / w) * sw - 0.5;
      const v = ((inv[3] * X + inv[4] * Y + inv[5]) / w) * sh - 0.5;
      if (u < -1 || v < -1 || u > sw || v > sh) continue;
      const ui = Math.floor(u),
        vi = Math.floor(v),
        fu = u - ui,
        fv = v - vi;
      let r = 0,
        g = 0,
        b = 0,
        a = 0;
      for (let n = 0; n < 4; n++) {
        const px = ui + (n & 1),
          py = vi + (n >> 1);
        if (px < 0 || py < 0 || px >= sw || py >= sh) continue;
        const wt = (n & 1 ? fu : 1 - fu) * (n >> 1 ? fv : 1 - fv);
        const k = (py * sw + px) * 4;
        const al = (src[k + 3] / 255) * wt;
        r += src[k] * al;
        g += src[k + 1] * al;
        b += src[k + 2] * al;
        a += al;
      }
      if (a <= 0) continue;
      const d = (y * W + x) * 3;
      canvas[d] = canvas[d] * (1 - a) + r;
      canvas[d + 1] = canvas[d + 1] * (1 - a) + g;
      canvas[d + 2] = canvas[d + 2] * (1 - a) + b;
      if (mask) mask[y * W + x] = Math.max(mask[y * W + x], a);
    }
  }
}
