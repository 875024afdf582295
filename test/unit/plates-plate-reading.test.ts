import { describe, expect, it } from 'vitest';
import type { Box, RgbImage } from '../../src/core/image.js';
import { readPlateCrop, readPlates, type PlateReadingOptions } from '../../src/lane/reading/plate-reading.js';
import type { PlateEngine, PlateFinder, PlateReader, PlateRegion, RawPlateText } from '../../src/vision/types.js';

const image: RgbImage = { width: 200, height: 100, data: Buffer.alloc(200 * 100 * 3, 200) };
const BOX: Box = { x: 20, y: 20, w: 120, h: 30 };

/** Finds one plate and reads it as told: each character certain but the one given. */
function engine(text: string, weak?: { at: number; p: number }): PlateFinder & PlateReader {
  const p = [...text].map((_, i) => (weak && i === weak.at ? weak.p : 0.98));
  const raw: RawPlateText = { rows: [text], confidence: p.reduce((s, v) => s + v, 0) / p.length, charConfidence: [p] };
  return {
    find: async (): Promise<PlateRegion[]> => [{ box: BOX, rows: [BOX], score: 0.9 }],
    read: async (_img, regions) => regions.map(() => raw),
  };
}

const opts = (minCharConfidence: number): PlateReadingOptions => ({
  countries: ['VN', 'CN'],
  minConfidence: 0.6,
  minCharConfidence,
  withCrops: false,
});

describe('readPlates: the weakest character', () => {
  it('keeps a valid read whose every character clears the floor, and reports its weakest', async () => {
    const r = await readPlates(engine('29C12345', { at: 4, p: 0.7 }), image, undefined, opts(0.5));
    expect(r.plates.map((p) => [p.plate.text, p.weakestChar])).toEqual([['29C12345', 0.7]]);
    expect(r.rejected).toEqual([]);
  });

  it('rejects a valid read with one doubtful character, though its mean is high, saying why', async () => {
    const r = await readPlates(engine('29C12345', { at: 4, p: 0.3 }), image, undefined, opts(0.5));
    expect(r.plates).toEqual([]);
    expect(r.rejected.map((p) => [p.plate.text, p.plate.valid, p.plate.reason])).toEqual([
      ['29C12345', false, 'low character confidence'],
    ]);
    expect(r.rejected[0]!.confidence).toBeGreaterThan(0.85);
  });

  it('keeps every read when the floor is 0', async () => {
    const r = await readPlates(engine('29C12345', { at: 4, p: 0.05 }), image, undefined, opts(0));
    expect(r.plates.map((p) => p.plate.text)).toEqual(['29C12345']);
  });

  it('says low confidence when the mean is too low as well', async () => {
    const r = await readPlates(engine('29C12345', { at: 4, p: 0.3 }), image, undefined, {
      ...opts(0.5),
      minConfidence: 0.95,
    });
    expect(r.rejected.map((p) => p.plate.reason)).toEqual(['low confidence']);
  });
});

describe('readPlateCrop: the weakest character', () => {
  it('turns a read below the floor into a rejected one', async () => {
    const kept = await readPlateCrop(engine('皖A12345', { at: 6, p: 0.45 }), image, opts(0.4));
    expect(kept.plates.map((p) => p.plate.text)).toEqual(['皖A12345']);
    const dropped = await readPlateCrop(engine('皖A12345', { at: 6, p: 0.45 }), image, opts(0.5));
    expect(dropped.plates).toEqual([]);
    expect(dropped.rejected.map((p) => [p.plate.text, p.plate.reason])).toEqual([
      ['皖A12345', 'low character confidence'],
    ]);
  });
});

describe('a read the grammar rejects, read again', () => {
  /** Finds one plate, reads it as `first`, and from its other cuts as `rereads`. */
  function rereading(first: string, rereads: string[]): PlateEngine & { rereadCalls: number } {
    const read = (text: string): RawPlateText => ({
      rows: [text],
      confidence: 0.97,
      charConfidence: [[...text].map(() => 0.97)],
    });
    const e = {
      rereadCalls: 0,
      find: async (): Promise<PlateRegion[]> => [{ box: BOX, rows: [BOX], score: 0.9 }],
      read: async (_img: RgbImage, regions: readonly PlateRegion[]) => regions.map(() => read(first)),
      reread: async (_img: RgbImage, regions: readonly PlateRegion[]) => {
        e.rereadCalls++;
        return regions.map(() => rereads.map(read));
      },
    };
    return e;
  }

  it('readPlates takes the cut the grammar accepts, on the plate’s box', async () => {
    const r = await readPlates(rereading('29C123456X', ['29C1234567', '29C12345']), image, undefined, opts(0.5));
    expect(r.plates.map((p) => [p.plate.text, p.box])).toEqual([['29C12345', BOX]]);
    expect(r.rejected).toEqual([]);
  });

  it('readPlateCrop does too, and reports the first read when no cut fits', async () => {
    const mended = await readPlateCrop(rereading('浙D9594HP', ['浙D9594H']), image, opts(0.5));
    expect(mended.plates.map((p) => p.plate.text)).toEqual(['浙D9594H']);
    const engine = rereading('浙D9594HP', ['浙D9594HPP']);
    const still = await readPlateCrop(engine, image, opts(0.5));
    expect(still.plates).toEqual([]);
    expect(still.rejected.map((p) => [p.plate.text, p.plate.valid])).toEqual([['浙D9594HP', false]]);
    expect(engine.rereadCalls).toBe(1);
  });

  it('does not reread a read the grammar accepted', async () => {
    const engine = rereading('29C12345', ['29C12346']);
    const r = await readPlates(engine, image, undefined, opts(0.5));
    expect(r.plates.map((p) => p.plate.text)).toEqual(['29C12345']);
    expect(engine.rereadCalls).toBe(0);
  });
});
