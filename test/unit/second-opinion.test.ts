import { describe, expect, it } from 'vitest';
import type { DecodedChar } from '../../src/vision/ctc.js';
import { agreeAcrossReaders, agreeOrAbstain } from '../../src/vision/platenet/second-opinion.js';

/** Rows from `"59P1|66480"`, every character at `p` unless `ps` names one per character. */
function rows(text: string, p = 0.9, ps: number[] = []): DecodedChar[][] {
  let k = 0;
  return text
    .split('|')
    .map((row) => [...row].map((char) => ({ char, p: ps[k++] ?? p, alternatives: [{ char: '8', p: 0.05 }] })));
}
const text = (r: DecodedChar[][]) => r.map((row) => row.map((c) => c.char).join('')).join('|');
const probs = (r: DecodedChar[][]) => r.flat().map((c) => c.p);

describe('agreeOrAbstain', () => {
  const cases: { name: string; first: DecodedChar[][]; second: DecodedChar[][]; text: string; p: number[] }[] = [
    {
      name: 'agreeing reads keep the lower probability per character',
      first: rows('29C12345', 0.9, [0.99, 0.6, 0.9, 0.9, 0.9, 0.9, 0.9, 0.9]),
      second: rows('29C12345', 0.8),
      text: '29C12345',
      p: [0.8, 0.6, 0.8, 0.8, 0.8, 0.8, 0.8, 0.8],
    },
    {
      name: 'a differing character is zeroed, the rest kept',
      first: rows('29C12345', 0.9),
      second: rows('29C12845', 0.9),
      text: '29C12345',
      p: [0.9, 0.9, 0.9, 0.9, 0.9, 0, 0.9, 0.9],
    },
    {
      name: 'a character lost at an edge zeroes the whole read',
      first: rows('浙F751DK', 0.9),
      second: rows('F751DK', 0.95),
      text: '浙F751DK',
      p: [0, 0, 0, 0, 0, 0, 0],
    },
    {
      name: 'rows are the first read\u2019s: a second read split otherwise still agrees on the characters',
      first: rows('59P1|66480', 0.9),
      second: rows('59P166480', 0.7),
      text: '59P1|66480',
      p: [0.7, 0.7, 0.7, 0.7, 0.7, 0.7, 0.7, 0.7, 0.7],
    },
    { name: 'two empty reads stay empty', first: [], second: [], text: '', p: [] },
    {
      name: 'an empty second read zeroes the first',
      first: rows('51F1', 0.9),
      second: [],
      text: '51F1',
      p: [0, 0, 0, 0],
    },
  ];
  for (const c of cases)
    it(c.name, () => {
      const out = agreeOrAbstain(c.first, c.second);
      expect(text(out)).toBe(c.text);
      expect(probs(out)).toEqual(c.p);
    });

  it('leaves its inputs alone and keeps the first read\u2019s runners-up', () => {
    const first = rows('29C12345', 0.9);
    const out = agreeOrAbstain(first, rows('29C12845', 0.9));
    expect(probs(first).every((p) => p === 0.9)).toBe(true);
    expect(out[0]![5]!.alternatives).toEqual([{ char: '8', p: 0.05 }]);
  });
});

describe('agreeAcrossReaders', () => {
  it.each([
    // each reader's batch (one text per plate, every character at p), what each plate comes out as
    {
      name: 'one reader: its reads as they are',
      byReader: [[rows('29C12345', 0.9), rows('51F1|12345', 0.8)]],
      out: [
        ['29C12345', [0.9, 0.9, 0.9, 0.9, 0.9, 0.9, 0.9, 0.9]],
        ['51F1|12345', [0.8, 0.8, 0.8, 0.8, 0.8, 0.8, 0.8, 0.8, 0.8]],
      ],
    },
    {
      name: 'two readers: each plate judged against the same plate of the other reader',
      byReader: [
        [rows('29C12345', 0.9), rows('51F1|12345', 0.9)],
        [rows('29C12845', 0.95), rows('51F1|12345', 0.7)],
      ],
      out: [
        ['29C12345', [0.9, 0.9, 0.9, 0.9, 0.9, 0, 0.9, 0.9]],
        ['51F1|12345', [0.7, 0.7, 0.7, 0.7, 0.7, 0.7, 0.7, 0.7, 0.7]],
      ],
    },
    {
      name: 'three readers: a character the third reads otherwise is zeroed too',
      byReader: [[rows('51F1', 0.9)], [rows('51F1', 0.8)], [rows('51E1', 0.99)]],
      out: [['51F1', [0.8, 0.8, 0, 0.8]]],
    },
    { name: 'an empty batch', byReader: [[], []], out: [] },
  ] as { name: string; byReader: DecodedChar[][][][]; out: [string, number[]][] }[])('$name', ({ byReader, out }) => {
    expect(agreeAcrossReaders(byReader).map((read) => [text(read), probs(read)])).toEqual(out);
  });
});
