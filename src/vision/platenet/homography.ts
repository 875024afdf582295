/** A point in image coordinates: pixel i spans [i, i + 1), so its centre is i + 0.5. */
export type Point = readonly [number, number];

/** A 3x3 projective transform, row-major, h[8] = 1. */
export type Homography = Float64Array;

/**
 * The homography mapping the four `from` points onto the four `to` points (a direct linear
 * solve of the 8 unknowns). Null when the points are degenerate (three on a line, a
 * collapsed quad), which a detector can produce and the caller must skip.
 */
export function homographyFrom(from: readonly Point[], to: readonly Point[]): Homography | null {
  if (from.length !== 4 || to.length !== 4) throw new Error('homographyFrom: expected four points each');
  // Rows of A·h = b for h = [h0..h7]:
  //   x' = (h0 x + h1 y + h2) / (h6 x + h7 y + 1),  y' = (h3 x + h4 y + h5) / (h6 x + h7 y + 1)
  const a: number[][] = [];
  for (let i = 0; i < 4; i++) {
    const [x, y] = from[i]!;
    const [u, v] = to[i]!;
    a.push([x, y, 1, 0, 0, 0, -u * x, -u * y, u]);
    a.push([0, 0, 0, x, y, 1, -v * x, -v * y, v]);
  }
  const h = solve(a);
  if (!h) return null;
  return Float64Array.of(...h, 1);
}

export function applyHomography(h: Homography, x: number, y: number): [number, number] {
  const w = h[6]! * x + h[7]! * y + h[8]!;
  return [(h[0]! * x + h[1]! * y + h[2]!) / w, (h[3]! * x + h[4]! * y + h[5]!) / w];
}

/** Gauss-Jordan elimination with partial pivoting on an n x (n+1) augmented matrix. */
function solve(m: number[][]): number[] | null {
  const n = m.length;
  for (let col = 0; col < n; col++) {
    let pivot = col;
    for (let r = col + 1; r < n; r++) if (Math.abs(m[r]![col]!) > Math.abs(m[pivot]![col]!)) pivot = r;
    if (Math.abs(m[pivot]![col]!) < 1e-10) return null;
    [m[col], m[pivot]] = [m[pivot]!, m[col]!];
    const row = m[col]!;
    for (let r = 0; r < n; r++) {
      if (r === col) continue;
      const f = m[r]![col]! / row[col]!;
      if (f === 0) continue;
      for (let c = col; c <= n; c++) m[r]![c]! -= f * row[c]!;
    }
  }
  return m.map((row, i) => row[n]! / row[i]!);
}
