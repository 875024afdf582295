/**
 * Edit distance between plate texts, counted in Unicode code points so a CJK province character
 * (or anything outside the BMP) is one character, not two UTF-16 units.
 *
 * Voting calls this for every observation against every open track on every frame, so the
 * scratch buffers are module-level and reused (grown when a longer text arrives) instead of
 * allocating a matrix per call. Not re-entrant, which is fine: it never calls out.
 */

let codesA: Int32Array = new Int32Array(32);
let codesB: Int32Array = new Int32Array(32);
let previousRow: Int32Array = new Int32Array(33);
let currentRow: Int32Array = new Int32Array(33);

/** Levenshtein distance (insert, delete, substitute; each costs 1) between `a` and `b`. */
export function levenshtein(a: string, b: string): number {
  if (a === b) return 0;
  codesA = fillCodePoints(a, codesA);
  const lenA = codeCount;
  codesB = fillCodePoints(b, codesB);
  const lenB = codeCount;

  // Common prefix and suffix never change the distance; trimming them keeps the table small.
  let start = 0;
  while (start < lenA && start < lenB && codesA[start] === codesB[start]) start++;
  let endA = lenA;
  let endB = lenB;
  while (endA > start && endB > start && codesA[endA - 1] === codesB[endB - 1]) {
    endA--;
    endB--;
  }
  const n = endA - start;
  const m = endB - start;
  if (n === 0) return m;
  if (m === 0) return n;

  if (previousRow.length < m + 1) {
    previousRow = new Int32Array(m + 1);
    currentRow = new Int32Array(m + 1);
  }
  let prev = previousRow;
  let curr = currentRow;
  for (let j = 0; j <= m; j++) prev[j] = j;
  for (let i = 1; i <= n; i++) {
    curr[0] = i;
    const ca = codesA[start + i - 1];
    for (let j = 1; j <= m; j++) {
      const cost = ca === codesB[start + j - 1] ? 0 : 1;
      curr[j] = Math.min(prev[j]! + 1, curr[j - 1]! + 1, prev[j - 1]! + cost);
    }
    const swap = prev;
    prev = curr;
    curr = swap;
  }
  return prev[m]!;
}

/**
 * 1 − levenshtein / (length of the longer text), in [0, 1]: 1 for equal texts (two empty
 * texts included), 0 when nothing lines up.
 */
export function similarity(a: string, b: string): number {
  if (a === b) return 1;
  const longest = Math.max(codePointLength(a), codePointLength(b));
  return longest === 0 ? 1 : 1 - levenshtein(a, b) / longest;
}

/**
 * How well `fragment` matches some stretch of `known`: 1 − (fewest edits that turn it into a run
 * of consecutive characters of `known`) / (its length). A plate half out of view read with one
 * character wrong (`QG9585` of `津Q69585`: the province gone, 6 read as G) scores 5/6, while the
 * whole-text similarity, which counts the missing province too, scores 5/7. 0 for an empty
 * fragment; a fragment longer than `known` is compared whole, as `similarity` does.
 */
export function fragmentSimilarity(fragment: string, known: string): number {
  if (fragment === known) return 1;
  codesA = fillCodePoints(fragment, codesA);
  const n = codeCount;
  codesB = fillCodePoints(known, codesB);
  const m = codeCount;
  if (n === 0) return 0;
  if (n > m) return similarity(fragment, known);
  if (previousRow.length < m + 1) {
    previousRow = new Int32Array(m + 1);
    currentRow = new Int32Array(m + 1);
  }
  let prev = previousRow;
  let curr = currentRow;
  // Semi-global alignment: `known` may start anywhere (row 0 all zero) and end anywhere (the
  // last row's minimum); every character of the fragment must be matched or edited.
  prev.fill(0, 0, m + 1);
  for (let i = 1; i <= n; i++) {
    curr[0] = i;
    const ca = codesA[i - 1];
    for (let j = 1; j <= m; j++) {
      const cost = ca === codesB[j - 1] ? 0 : 1;
      curr[j] = Math.min(prev[j]! + 1, curr[j - 1]! + 1, prev[j - 1]! + cost);
    }
    const swap = prev;
    prev = curr;
    curr = swap;
  }
  let best = n;
  for (let j = 0; j <= m; j++) best = Math.min(best, prev[j]!);
  return 1 - best / n;
}

/** Number of Unicode code points in `s`. */
export function codePointLength(s: string): number {
  let count = 0;
  for (let i = 0; i < s.length; i++) {
    const unit = s.charCodeAt(i);
    if (unit >= 0xd800 && unit <= 0xdbff && i + 1 < s.length) {
      const next = s.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) i++;
    }
    count++;
  }
  return count;
}

/** Set by fillCodePoints: how many code points it wrote (saves returning a tuple). */
let codeCount = 0;

/** Writes the code points of `s` into `buf` (or a larger replacement) and returns the buffer. */
function fillCodePoints(s: string, buf: Int32Array): Int32Array {
  const out = buf.length >= s.length ? buf : new Int32Array(Math.max(s.length, buf.length * 2));
  let count = 0;
  for (let i = 0; i < s.length; i++) {
    const point = s.codePointAt(i)!;
    if (point > 0xffff) i++;
    out[count++] = point;
  }
  codeCount = count;
  return out;
}
