import { describe, expect, it } from 'vitest';
import { normalisePlateText, separatorPositions } from '../../src/plates/normalise.js';

/** What score-plates.mjs does to both sides before comparing. */
const scorerNorm = (s: string): string => s.toUpperCase().replace(/[^0-9A-Z\u3400-\u9fff]/g, '');

describe('normalisePlateText', () => {
  it.each([
    ['59-P1 664.80', '59P166480'],
    ['29c-123.45', '29C12345'],
    ['云A·12345', '云A12345'],
    ['云A•D12345', '云AD12345'],
    ['  80NG-636-70\n', '80NG63670'],
    ['TM_12:34|', 'TM1234'],
  ])('%j → %s, as the scorer does', (input, expected) => {
    expect(normalisePlateText(input)).toBe(expected);
    expect(normalisePlateText(input)).toBe(scorerNorm(input));
  });

  it.each([
    ['２９Ｃ－１２３．４５', '29C12345'], // full-width forms
    ['29-MĐ1 013.53', '29MD101353'], // Vietnamese Đ written D, as the datasets label it
    ['29-mđ1', '29MD1'],
    ['雲A·12345', '云A12345'], // traditional glyph of a province character
    ['粵Z1234港', '粤Z1234港'],
    ['云A1234學', '云A1234学'],
  ])('%j → %s', (input, expected) => {
    expect(normalisePlateText(input)).toBe(expected);
  });
});

describe('separatorPositions', () => {
  it.each([
    ['54-T1 5417', [2, 4]],
    ['54T-154.17', [3, 6]],
    ['59-P1 664.80', [2, 4, 7]],
    ['- 29A12345 .', []],
    ['29A--123', [3]],
    ['云A·12345', [2]],
  ] as const)('%j → %j', (input, expected) => {
    expect(separatorPositions(input)).toEqual(expected);
  });
});
