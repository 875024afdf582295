import { describe, expect, it } from 'vitest';

// The list of missed reads scripts/eval.mjs writes per set and engine (scripts/lib/misses.mjs,
// plain ESM JavaScript). It must judge an image as ../shared/tools/score-plates.mjs does.
interface MissesModule {
  MISSES_HEADER: string[];
  normalisePlate(text: unknown): string;
  missedReads(labels: { image: string; plate: string }[], predictions: object[]): string[][];
  missesTsv(rows: string[][]): string;
}
// Imported by URL so the type checker leaves the JavaScript module alone.
const modulePath = new URL('../../scripts/lib/misses.mjs', import.meta.url).href;
const load = () => import(modulePath) as Promise<MissesModule>;

const label = (image: string, plate: string) => ({ image: `/data/set/${image}`, plate });

describe('eval misses: normalisePlate', () => {
  it.each([
    ['59-P1 664.80', '59P166480'],
    ['皖A·536K3', '皖A536K3'],
    ['abc-12', 'ABC12'],
    [null, ''],
  ])('%s -> %s', async (text, expected) => {
    const { normalisePlate } = await load();
    expect(normalisePlate(text)).toBe(expected);
  });
});

describe('eval misses: missedReads', () => {
  it('leaves out exact reads, comparing normalised text and matching images by their last two path parts', async () => {
    const { missedReads } = await load();
    const rows = missedReads(
      [label('images/a.jpg', '59P166480')],
      [{ image: '/elsewhere/images/a.jpg', plates: [{ text: '59-P1 664.80', confidence: 0.9, weakest_char: 0.8 }] }],
    );
    expect(rows).toEqual([]);
  });

  it('judges the most confident plate, as the scorer does', async () => {
    const { missedReads } = await load();
    const rows = missedReads(
      [label('images/b.jpg', '51H23397')],
      [
        {
          image: 'images/b.jpg',
          plates: [
            { text: '51H23397', confidence: 0.7, weakest_char: 0.6 },
            { text: '51H23391', confidence: 0.95, weakest_char: 0.41 },
          ],
        },
      ],
    );
    expect(rows).toEqual([['images/b.jpg', '51H23397', '51H23391', '0.41', '']]);
  });

  it('says what was rejected and why when nothing was read, and when the image has no prediction', async () => {
    const { missedReads } = await load();
    const rows = missedReads(
      [label('images/c.jpg', '苏A53D97'), label('images/d.jpg', '豫BLU198')],
      [
        {
          image: 'images/c.jpg',
          plates: [],
          rejected: [
            { raw: '皖A53D97', reason: 'low character confidence' },
            { text: 'RC58', reason: 'no CN plate format\thas 4 characters' },
          ],
        },
      ],
    );
    expect(rows).toEqual([
      [
        'images/c.jpg',
        '苏A53D97',
        '',
        '',
        '皖A53D97 (low character confidence); RC58 (no CN plate format has 4 characters)',
      ],
      ['images/d.jpg', '豫BLU198', '', '', 'no prediction for this image'],
    ]);
  });

  it('counts the last label row of an image, as the scorer keys labels by image', async () => {
    const { missedReads } = await load();
    const rows = missedReads(
      [label('images/e.jpg', 'AAA111'), label('images/e.jpg', 'BBB222')],
      [{ image: 'images/e.jpg', plates: [{ text: 'AAA111', confidence: 1 }] }],
    );
    expect(rows).toEqual([['images/e.jpg', 'BBB222', 'AAA111', '', '']]);
  });
});

describe('eval misses: missesTsv', () => {
  it('writes the header, then one tab-separated line per row', async () => {
    const { missesTsv, MISSES_HEADER } = await load();
    expect(missesTsv([['images/b.jpg', '51H23397', '51H23391', '0.41', '']])).toBe(
      `${MISSES_HEADER.join('\t')}\nimages/b.jpg\t51H23397\t51H23391\t0.41\t\n`,
    );
  });
});
