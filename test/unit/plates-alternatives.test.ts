import { describe, expect, it } from 'vitest';
import { resolveWithAlternatives } from '../../src/plates/alternatives.js';
import { parsePlate } from '../../src/plates/parse.js';
import type { RawPlateText } from '../../src/vision/types.js';

const parse = (rows: string[]) => parsePlate(rows, { countries: ['VN', 'CN'] });

/** A one-row raw read: each character certain unless `alts` gives its candidates. */
function raw(text: string, alts: Record<number, [string, number][]> = {}, confidence = 0.9): RawPlateText {
  const perChar = [...text].map((char, i) => (alts[i] ?? [[char, 0.99]]).map(([c, p]) => ({ char: c, p })));
  return { rows: [text], confidence, charConfidence: [perChar.map((alts) => alts[0]!.p)], alternatives: [perChar] };
}

describe('resolveWithAlternatives', () => {
  it('keeps a reading the grammar accepts as it is', () => {
    const r = resolveWithAlternatives(
      raw('29C12345', {
        2: [
          ['C', 0.6],
          ['G', 0.4],
        ],
      }),
      parse,
    );
    expect(r).toMatchObject({ substitutions: 0, confidence: 0.9, weakestChar: 0.6 });
    expect(r.plate).toMatchObject({ valid: true, text: '29C12345' });
  });

  it("takes the model's runner-up where the grammar rejects the top character", () => {
    // The series letter T read as 1 (T/1 is too weak a confusion to fix by position alone).
    const r = resolveWithAlternatives(
      raw('29112345', {
        2: [
          ['1', 0.55],
          ['T', 0.4],
        ],
      }),
      parse,
    );
    expect(r.substitutions).toBe(1);
    expect(r.plate).toMatchObject({ valid: true, text: '29T12345', display: '29T-123.45' });
    expect(r.confidence).toBeLessThan(0.9); // a runner-up costs confidence
  });

  it('prefers the most probable combination that the grammar accepts', () => {
    const r = resolveWithAlternatives(
      raw('29112345', {
        2: [
          ['1', 0.5],
          ['K', 0.3],
          ['T', 0.2],
        ],
        4: [
          ['2', 0.6],
          ['Z', 0.4],
        ], // a swap here alone never makes the plate valid
      }),
      parse,
    );
    expect(r.plate.text).toBe('29K12345');
  });

  it('never invents a character the model did not consider', () => {
    const r = resolveWithAlternatives(
      raw('29112345', {
        2: [
          ['1', 0.9],
          ['7', 0.1],
        ],
      }),
      parse,
    );
    expect(r.substitutions).toBe(0);
    expect(r.plate).toMatchObject({ valid: false, raw: '29112345' });
  });

  it('ignores runner-ups below the probability floor', () => {
    const r = resolveWithAlternatives(
      raw('29112345', {
        2: [
          ['1', 0.98],
          ['T', 0.02],
        ],
      }),
      parse,
      { maxPositions: 4, minAlternativeP: 0.03 },
    );
    expect(r.plate.valid).toBe(false);
  });

  it('returns the top reading, flagged, when there are no alternatives at all', () => {
    const r = resolveWithAlternatives(
      { rows: ['29112345'], confidence: 0.8, charConfidence: [[0.9, 0.9, 0.5, 0.9, 0.9, 0.9, 0.9, 0.9]] },
      parse,
    );
    expect(r).toMatchObject({ substitutions: 0, confidence: 0.8, weakestChar: 0.5 });
    expect(r.plate.valid).toBe(false);
  });

  it('works across the rows of a two-row plate', () => {
    const certain = (text: string) => [...text].map((char) => [{ char, p: 0.99 }]);
    const twoRow: RawPlateText = {
      rows: ['5911', '664.80'], // the series letter P read as 1 in the top row
      confidence: 0.9,
      charConfidence: [
        [0.99, 0.99, 0.5, 0.99],
        [0.99, 0.99, 0.99, 0.99, 0.99, 0.99],
      ],
      alternatives: [
        [
          ...certain('59'),
          [
            { char: '1', p: 0.5 },
            { char: 'P', p: 0.45 },
          ],
          ...certain('1'),
        ],
        certain('664.80'),
      ],
    };
    const r = resolveWithAlternatives(twoRow, parse);
    expect(r.plate).toMatchObject({ valid: true, text: '59P166480', layout: 'two-row' });
  });
});

describe('resolveWithAlternatives: the weakest character', () => {
  it("is the runner-up's probability where a runner-up was taken", () => {
    // "1" (0.55) becomes "T" (0.4): the plate is valid, but no character is surer than 0.4 now.
    const r = resolveWithAlternatives(
      raw('29112345', {
        2: [
          ['1', 0.55],
          ['T', 0.4],
        ],
      }),
      parse,
    );
    expect(r.plate.text).toBe('29T12345');
    expect(r.weakestChar).toBeCloseTo(0.4);
  });

  it('is 0 for an empty read', () => {
    expect(resolveWithAlternatives({ rows: [], confidence: 0, charConfidence: [] }, parse).weakestChar).toBe(0);
  });
});
