import { describe, expect, it } from 'vitest';
import { codePointLength, fragmentSimilarity, levenshtein, similarity } from '../../src/plates/similarity.js';

/** The textbook full-matrix algorithm over code points, as a reference. */
function referenceLevenshtein(a: string, b: string): number {
  const x = Array.from(a);
  const y = Array.from(b);
  const d = Array.from({ length: x.length + 1 }, (_, i) =>
    Array.from({ length: y.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)),
  );
  for (let i = 1; i <= x.length; i++) {
    for (let j = 1; j <= y.length; j++) {
      d[i]![j] = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + (x[i - 1] === y[j - 1] ? 0 : 1));
    }
  }
  return d[x.length]![y.length]!;
}

/** Deterministic pseudo-random numbers (mulberry32). */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('levenshtein', () => {
  it.each([
    ['', '', 0],
    ['abc', '', 3],
    ['', 'abc', 3],
    ['kitten', 'sitting', 3],
    ['flaw', 'lawn', 2],
    ['29C12345', '29C12345', 0],
    ['29C12345', '29C12346', 1], // substitution at the end
    ['29C12345', '28C12345', 1], // substitution at the start
    ['29C12345', '29C1234', 1], // deletion
    ['29C12345', '29CD12345', 1], // insertion in the middle
    ['29C12345', '92C12345', 2], // transposition costs two
    ['51G12345', '51G1234S', 1],
    ['云A12345', '粤A12345', 1], // CJK characters count once
    ['云A12345', 'A12345', 1],
    ['𠀋A1', 'BA1', 1], // a character outside the BMP is one character, not two
    ['𠀋A1', '𠀋A1', 0],
    ['aaaa', 'aa', 2], // repeated characters: prefix/suffix trimming must not over-count
    ['abcabc', 'abc', 3],
    ['ABCDEFGH', '12345678', 8],
  ])('levenshtein(%j, %j) = %i', (a, b, expected) => {
    expect(levenshtein(a, b)).toBe(expected);
    expect(levenshtein(b, a)).toBe(expected);
  });

  it('agrees with the full-matrix reference on random plate-like texts', () => {
    const next = rng(7);
    const alphabet = '0123456789ABCDEFGHKLMNPSTUVXYZ云粤桂';
    const randomText = () =>
      Array.from({ length: Math.floor(next() * 11) }, () => alphabet[Math.floor(next() * alphabet.length)]).join('');
    const mutate = (text: string) => {
      const chars = Array.from(text);
      const at = Math.floor(next() * (chars.length + 1));
      const op = next();
      if (op < 0.33) chars.splice(at, 1);
      else if (op < 0.66) chars.splice(at, 0, 'X');
      else chars.splice(at, 1, '云');
      return chars.join('');
    };
    for (let i = 0; i < 2000; i++) {
      const a = randomText();
      // Half the pairs are near-misses of each other, the case voting cares about.
      const b = next() < 0.5 ? randomText() : mutate(a);
      expect(levenshtein(a, b), `${a} vs ${b}`).toBe(referenceLevenshtein(a, b));
    }
  });

  it('handles texts longer than its initial scratch buffers, and short ones after them', () => {
    const long = 'A'.repeat(100) + 'B' + 'C'.repeat(100);
    const other = 'A'.repeat(100) + 'D' + 'C'.repeat(99) + 'E';
    expect(levenshtein(long, other)).toBe(2);
    expect(levenshtein('X'.repeat(300), 'Y'.repeat(250))).toBe(300);
    expect(levenshtein('kitten', 'sitting')).toBe(3);
  });
});

describe('similarity', () => {
  it.each([
    ['', '', 1],
    ['29C12345', '29C12345', 1],
    ['29C12345', '29C12346', 0.875],
    ['29C12345', '29C1234', 0.875],
    ['云A12345', '粤A12345', 1 - 1 / 7],
    ['abc', '', 0],
    ['ABCD', 'WXYZ', 0],
  ])('similarity(%j, %j) = %d', (a, b, expected) => {
    expect(similarity(a, b)).toBeCloseTo(expected, 12);
    expect(similarity(b, a)).toBeCloseTo(expected, 12);
  });

  it('stays in [0, 1]', () => {
    const next = rng(11);
    for (let i = 0; i < 500; i++) {
      const a = Math.floor(next() * 1e6).toString(36);
      const b = Math.floor(next() * 1e9).toString(36);
      const s = similarity(a, b);
      expect(s).toBeGreaterThanOrEqual(0);
      expect(s).toBeLessThanOrEqual(1);
    }
  });
});

describe('codePointLength', () => {
  it.each([
    ['', 0],
    ['29C12345', 8],
    ['云A12345', 7],
    ['𠀋A1', 3],
    ['\ud800', 1], // a lone surrogate still counts as one character
  ])('codePointLength(%j) = %i', (s, expected) => {
    expect(codePointLength(s)).toBe(expected);
  });
});

describe('fragmentSimilarity', () => {
  /** Reference: the best levenshtein of the fragment against every stretch of `known`. */
  function referenceFragment(fragment: string, known: string): number {
    const k = Array.from(known);
    const n = Array.from(fragment).length;
    if (n === 0) return 0;
    if (n > k.length) return similarity(fragment, known);
    let best = n;
    for (let i = 0; i <= k.length; i++)
      for (let j = i; j <= k.length; j++) best = Math.min(best, referenceLevenshtein(fragment, k.slice(i, j).join('')));
    return 1 - best / n;
  }

  it.each([
    ['津Q69585', '津Q69585', 1],
    ['Q69585', '津Q69585', 1], // the province out of view
    ['QG9585', '津Q69585', 5 / 6], // and a character misread
    ['9585', '津Q69585', 1],
    ['29C12346', '29C12345', 7 / 8], // whole texts: as similarity
    ['A12', '云A54321', 1 / 3], // A and then 1 or 2, two edits at best
    ['', '29C12345', 0],
    ['29C123456', '29C1234', 1 - 2 / 9], // longer than the plate: compared whole
  ])('fragmentSimilarity(%j, %j) = %f', (fragment, known, expected) => {
    expect(fragmentSimilarity(fragment, known)).toBeCloseTo(expected, 10);
  });

  it('agrees with the reference over every stretch on random plate-like texts', () => {
    const next = rng(11);
    const alphabet = '0123456789ABCGQ云津';
    const randomText = (max: number) =>
      Array.from({ length: 1 + Math.floor(next() * max) }, () => alphabet[Math.floor(next() * alphabet.length)]).join(
        '',
      );
    for (let i = 0; i < 500; i++) {
      const known = randomText(9);
      const fragment = next() < 0.5 ? randomText(6) : Array.from(known).slice(1).join('');
      expect(fragmentSimilarity(fragment, known), `${fragment} in ${known}`).toBeCloseTo(
        referenceFragment(fragment, known),
        10,
      );
    }
  });
});
