import { describe, expect, it } from 'vitest';
import type { RgbImage } from '../../src/core/image.js';
import { resolveWithAlternatives } from '../../src/plates/alternatives.js';
import { parsePlate } from '../../src/plates/parse.js';
import { REREAD_MIN_CHAR_CONFIDENCE, rereadRejected, type Candidate } from '../../src/lane/reading/reread-rejected.js';
import type { PlateRegion, PlateRereader, RawPlateText } from '../../src/vision/types.js';

const image: RgbImage = { width: 100, height: 50, data: Buffer.alloc(100 * 50 * 3, 200) };
const region = (x: number): PlateRegion => ({
  box: { x, y: 0, w: 10, h: 5 },
  rows: [{ x, y: 0, w: 10, h: 5 }],
  score: 1,
});

/** A one-row read, each character at `p` but the weakest, at `weakest`. */
function raw(text: string, p = 0.98, weakest = p): RawPlateText {
  const ps = [...text].map((_, i) => (i === 0 ? weakest : p));
  return { rows: [text], confidence: ps.reduce((s, v) => s + v, 0) / ps.length, charConfidence: [ps] };
}

const resolve = (_region: PlateRegion, text: RawPlateText) =>
  resolveWithAlternatives(text, (rows) => parsePlate(rows, { countries: ['VN', 'CN'] }));
const candidate = (r: PlateRegion, text: RawPlateText): Candidate => ({ region: r, ...resolve(r, text) });
const floors = { minConfidence: 0.6, minCharConfidence: 0.5 };

/** An engine whose rereads of the region at x are `byX[x]`; records each call's regions. */
function rereader(byX: Record<number, RawPlateText[]>) {
  const calls: number[][] = [];
  const engine: PlateRereader = {
    reread: async (_image, regions) => {
      calls.push(regions.map((r) => r.box.x));
      return regions.map((r) => byX[r.box.x] ?? []);
    },
  };
  return { engine, calls };
}

const texts = (cs: Candidate[]) => cs.map((c) => [c.plate.text, c.plate.valid]);

describe('rereadRejected', () => {
  it('leaves reads the grammar accepted alone, without asking for a reread', async () => {
    const { engine, calls } = rereader({ 0: [raw('29C12345')] });
    const first = [candidate(region(0), raw('29C12346', 0.98, 0.3))];
    expect(texts(await rereadRejected(engine, image, first, resolve, floors))).toEqual([['29C12346', true]]);
    expect(calls).toEqual([]);
  });

  it('puts the first accepted, sure reread in a rejected read’s place, on its region, in one batch for the frame', async () => {
    const { engine, calls } = rereader({
      0: [raw('29C123456P'), raw('29C12345'), raw('29C12346')],
      20: [raw('浙D9594H')],
      40: [raw('XX')],
    });
    const first = [
      candidate(region(0), raw('29C123456X')),
      candidate(region(20), raw('浙D9594HP')),
      candidate(region(40), raw('X1')),
      candidate(region(60), raw('51F61712')),
    ];
    const out = await rereadRejected(engine, image, first, resolve, floors);
    expect(texts(out)).toEqual([
      ['29C12345', true],
      ['浙D9594H', true],
      ['X1', false],
      ['51F61712', true],
    ]);
    expect(out.map((c) => c.region)).toEqual(first.map((c) => c.region));
    expect(calls).toEqual([[0, 20, 40]]);
  });

  it.each([
    {
      name: 'its weakest character under the reread floor',
      reread: raw('29C12345', 0.98, REREAD_MIN_CHAR_CONFIDENCE - 0.01),
      lane: floors,
      kept: false,
    },
    {
      name: 'its weakest character at the reread floor',
      reread: raw('29C12345', 0.98, REREAD_MIN_CHAR_CONFIDENCE),
      lane: floors,
      kept: true,
    },
    {
      name: 'a lane floor above the reread floor',
      reread: raw('29C12345', 0.98, 0.93),
      lane: { ...floors, minCharConfidence: 0.95 },
      kept: false,
    },
    {
      name: 'its mean under the lane’s confidence',
      reread: raw('29C12345', 0.97, 0.95),
      lane: { ...floors, minConfidence: 0.975 },
      kept: false,
    },
  ])('does not take a reread with $name unless sure enough (taken: $kept)', async ({ reread, lane, kept }) => {
    const { engine } = rereader({ 0: [reread] });
    const out = await rereadRejected(engine, image, [candidate(region(0), raw('29C123456X'))], resolve, lane);
    expect(texts(out)).toEqual([kept ? ['29C12345', true] : ['29C123456X', false]]);
  });

  it('changes nothing for an engine that cannot reread', async () => {
    const first = [candidate(region(0), raw('29C123456X'))];
    expect(await rereadRejected({}, image, first, resolve, floors)).toEqual(first);
  });
});
