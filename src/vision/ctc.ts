import type { RawPlateText } from './types.js';

/** A decoded character with its probability and the runners-up at the same time step. */
export interface DecodedChar {
  char: string;
  p: number;
  alternatives: { char: string; p: number }[];
}

/**
 * Greedy CTC decoding of one sequence: best class per time step, repeats collapsed, blanks
 * dropped. `probs` is the softmax output laid out [steps, classes]. Keeps the top
 * `alternatives` classes per emitted character so the plate grammar can fix a confusion
 * using what the model actually considered. Classes in `notAlternatives` (a row break) are
 * never offered as a runner-up: they are structure, not a character the grammar could use.
 */
export function ctcGreedyDecode(
  probs: Float32Array,
  steps: number,
  classes: number,
  charset: readonly string[],
  alternatives = 3,
  notAlternatives: readonly number[] = [],
): DecodedChar[] {
  const out: DecodedChar[] = [];
  let prev = 0;
  for (let t = 0; t < steps; t++) {
    const base = t * classes;
    let best = 0;
    let bestP = probs[base] ?? 0;
    for (let c = 1; c < classes; c++) {
      const p = probs[base + c] ?? 0;
      if (p > bestP) {
        bestP = p;
        best = c;
      }
    }
    if (best !== 0 && best !== prev) {
      out.push({
        char: charset[best] ?? '',
        p: bestP,
        alternatives: topK(probs, base, classes, charset, alternatives, notAlternatives),
      });
    } else if (best !== 0 && best === prev) {
      // Same character held over several steps: keep its most confident step.
      const last = out[out.length - 1];
      if (last && bestP > last.p) {
        last.p = bestP;
        last.alternatives = topK(probs, base, classes, charset, alternatives, notAlternatives);
      }
    }
    prev = best;
  }
  return out;
}

function topK(
  probs: Float32Array,
  base: number,
  classes: number,
  charset: readonly string[],
  k: number,
  skip: readonly number[],
) {
  const top: { c: number; p: number }[] = [];
  for (let c = 1; c < classes; c++) {
    if (skip.includes(c)) continue;
    const p = probs[base + c] ?? 0;
    if (top.length < k || p > top[top.length - 1]!.p) {
      top.push({ c, p });
      top.sort((a, b) => b.p - a.p);
      if (top.length > k) top.pop();
    }
  }
  return top.map(({ c, p }) => ({ char: charset[c] ?? '', p }));
}

/** The rows of one plate, decoded, as the reader interface reports them. */
export function toRawPlateText(rows: readonly DecodedChar[][]): RawPlateText {
  const chars = rows.flat();
  const confidence = chars.length ? chars.reduce((s, c) => s + c.p, 0) / chars.length : 0;
  return {
    rows: rows.map((r) => r.map((c) => c.char).join('')),
    confidence,
    charConfidence: rows.map((r) => r.map((c) => c.p)),
    alternatives: rows.map((r) => r.map((c) => c.alternatives)),
  };
}
