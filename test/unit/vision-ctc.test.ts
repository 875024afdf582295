import { describe, expect, it } from 'vitest';
import { ctcGreedyDecode } from '../../src/vision/ctc.js';

const charset = ['', 'A', 'B', '1'];

/** Builds a [steps, classes] probability table from the winning class per step. */
function probs(winners: number[], p = 0.9): Float32Array {
  const out = new Float32Array(winners.length * charset.length).fill((1 - p) / (charset.length - 1));
  winners.forEach((c, t) => (out[t * charset.length + c] = p));
  return out;
}

describe('ctcGreedyDecode', () => {
  it.each([
    { winners: [1, 1, 0, 2, 2, 3], text: 'AB1' },
    { winners: [1, 0, 1], text: 'AA' }, // a blank separates a doubled letter
    { winners: [1, 1, 1], text: 'A' }, // repeats collapse
    { winners: [0, 0, 0], text: '' },
    { winners: [3, 0, 3, 3, 0, 2], text: '11B' },
  ])('decodes $winners as "$text"', ({ winners, text }) => {
    const decoded = ctcGreedyDecode(probs(winners), winners.length, charset.length, charset);
    expect(decoded.map((c) => c.char).join('')).toBe(text);
  });

  it('keeps the most confident step of a held character and its runners-up', () => {
    const table = probs([1, 1]);
    table[1 * 4 + 1] = 0.95;
    table[1 * 4 + 3] = 0.04;
    const [a] = ctcGreedyDecode(table, 2, 4, charset, 2);
    expect(a!.p).toBeCloseTo(0.95);
    expect(a!.alternatives.map((x) => x.char)).toEqual(['A', '1']);
  });
});
