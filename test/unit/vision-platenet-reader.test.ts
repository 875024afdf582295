import { describe, expect, it } from 'vitest';
import { toRawPlateText } from '../../src/vision/ctc.js';
import { decodePlateRows } from '../../src/vision/platenet/reader-decode.js';

const charset = ['<blank>', '|', '0', '1', '4', '5', '6', '8', '9', 'P'];
const K = charset.length;
const idx = (c: string) => charset.indexOf(c);

/** A [steps, K] softmax table: per step the winner gets `p`, an optional runner-up `q`, the rest share what is left. */
function table(steps: { c: string; p?: number; second?: [string, number] }[]): Float32Array {
  const out = new Float32Array(steps.length * K);
  steps.forEach(({ c, p = 0.9, second }, t) => {
    const rest = (1 - p - (second?.[1] ?? 0)) / (K - 1 - (second ? 1 : 0));
    for (let k = 0; k < K; k++) out[t * K + k] = rest;
    out[t * K + idx(c)] = p;
    if (second) out[t * K + idx(second[0])] = second[1];
  });
  return out;
}

const seq = (text: string) => [...text].map((c) => ({ c: c === '_' ? '<blank>' : c }));

describe('decodePlateRows', () => {
  it.each([
    { steps: '5_9PP1__|_6_6_48_00', rows: ['59P1', '66480'] },
    { steps: '__59P1_6_6480__', rows: ['59P166480'] },
    { steps: '66', rows: ['6'] }, // repeats without a blank collapse
    { steps: '|59P1', rows: ['59P1'] }, // a break with nothing above: no empty row
    { steps: '59P1||__|', rows: ['59P1'] },
    { steps: '____', rows: [] },
    { steps: '1_1|1', rows: ['11', '1'] },
  ])('reads $steps as $rows', ({ steps, rows }) => {
    const decoded = decodePlateRows(table(seq(steps)), steps.length, K, charset, '|');
    expect(decoded.map((r) => r.map((c) => c.char).join(''))).toEqual(rows);
    expect(decoded.flat().some((c) => c.char === '|')).toBe(false);
  });

  it.each([
    { steps: '_5_9P_1__6_64_8_0_', rowSteps: 9, rows: ['59P1', '66480'] }, // a top row and a bottom row
    { steps: '_________5_9P16480', rowSteps: 9, rows: ['59P16480'] }, // one-row plate: bottom half only
    { steps: '__1______________1', rowSteps: 9, rows: ['1', '1'] }, // the same character in both halves is two rows
    { steps: '_______5559P1___', rowSteps: 8, rows: ['5', '59P1'] }, // a repeat across the boundary is not collapsed
    { steps: '59|P1|6_6480____', rowSteps: 0, rows: ['59', 'P1', '66480'] }, // no row_steps: split at the break
  ])('with row_steps $rowSteps reads $steps as $rows', ({ steps, rowSteps, rows }) => {
    const decoded = decodePlateRows(table(seq(steps)), steps.length, K, charset, '|', rowSteps);
    expect(decoded.map((r) => r.map((c) => c.char).join(''))).toEqual(rows);
  });

  it('gives each character the best probability of its steps and its top-3 runners-up, never the break', () => {
    const probs = table([
      { c: '5', p: 0.6, second: ['6', 0.3] },
      { c: '5', p: 0.8, second: ['|', 0.15] },
      { c: '|', p: 0.7, second: ['9', 0.2] },
      { c: '9', p: 0.95 },
    ]);
    const [top, bottom] = decodePlateRows(probs, 4, K, charset, '|');
    expect(top!.map((c) => c.char)).toEqual(['5']);
    expect(top![0]!.p).toBeCloseTo(0.8);
    expect(top![0]!.alternatives).toHaveLength(3);
    expect(top![0]!.alternatives[0]).toMatchObject({ char: '5' });
    expect(top![0]!.alternatives.map((a) => a.char)).not.toContain('|');
    expect(bottom![0]!.p).toBeCloseTo(0.95);
  });

  it('makes the raw text the lane reads: rows, mean confidence without the break, alternatives per row', () => {
    const probs = table([
      { c: '5', p: 0.8 },
      { c: '|', p: 0.2 },
      { c: '6', p: 0.6 },
      { c: '8', p: 0.7 },
    ]);
    const raw = toRawPlateText(decodePlateRows(probs, 4, K, charset, '|'));
    expect(raw.rows).toEqual(['5', '68']);
    expect(raw.confidence).toBeCloseTo((0.8 + 0.6 + 0.7) / 3);
    expect(raw.alternatives!.map((r) => r.length)).toEqual([1, 2]);
  });
});
