import sharp from 'sharp';
import { cropRgb, type Box, type RgbImage } from '../../core/image.js';
import type { PlateEngine, PlateRegion, RawPlateText } from '../../vision/types.js';
import { parsePlate } from '../../plates/parse.js';
import { resolveWithAlternatives, type ResolvedReading } from '../../plates/alternatives.js';
import { estimatePlateColour } from '../../plates/plate-colour.js';
import type { Country, ParsedPlate } from '../../plates/types.js';
import { rereadRejected, type Candidate } from './reread-rejected.js';

/** One plate read in one image: the grammar's verdict on the text, where it is, how sure. */
export interface PlateReading {
  plate: ParsedPlate;
  /** Mean per-character probability of the recogniser. */
  confidence: number;
  /** The probability of its least certain character. */
  weakestChar: number;
  box: Box;
  /** JPEG of the plate, when asked for. */
  crop?: Buffer;
}

export interface FrameReadings {
  /** Reads the grammar accepted, best first, no two on the same spot. */
  plates: PlateReading[];
  /** Plate-like reads the grammar rejected, kept (not dropped) with their raw text. */
  rejected: PlateReading[];
}

export interface PlateReadingOptions {
  countries: readonly Country[];
  /** Valid reads below this confidence are reported as rejected ("low confidence"). */
  minConfidence: number;
  /**
   * Valid reads with a character below this probability are reported as rejected ("low
   * character confidence"); 0 keeps them all. A misread is usually one doubtful character.
   */
  minCharConfidence: number;
  withCrops: boolean;
}

/**
 * Finds plates in `roi`, reads them, and lets the plate grammars decide which readings are
 * plates; a read the grammar rejects is read again from other cuts when the engine can
 * (reread-rejected.ts). Between overlapping candidates (a two-row pair and its single rows) the
 * valid, more confident reading wins.
 */
export async function readPlates(
  engine: PlateEngine,
  image: RgbImage,
  roi: Box | undefined,
  opts: PlateReadingOptions,
): Promise<FrameReadings> {
  const regions = await engine.find(image, roi);
  if (regions.length === 0) return { plates: [], rejected: [] };
  const texts = await engine.read(image, regions);
  // The background colour tells a Vietnamese commercial (yellow) or state (blue) plate from a private one.
  const colours = new Map<PlateRegion, ReturnType<typeof estimatePlateColour>>();
  const resolve = (region: PlateRegion, raw: RawPlateText): ResolvedReading => {
    if (!colours.has(region)) colours.set(region, estimatePlateColour(image, region.box));
    return resolveWithAlternatives(raw, grammarFor(opts.countries, colours.get(region)));
  };
  const firstReads = regions.map((region, i) => ({ region, ...resolve(region, texts[i]!) }));
  const candidates = await rereadRejected(engine, image, firstReads, resolve, opts);
  const plates = pickNonOverlapping(candidates.filter((c) => c.plate.valid && confidentEnough(c, opts)));
  const taken = plates.map((c) => c.region.box);
  const rejected = pickNonOverlapping(
    candidates
      .filter((c) => !(c.plate.valid && confidentEnough(c, opts)))
      .filter((c) => looksLikePlateText(c.plate.text))
      .filter((c) => !taken.some((b) => overlapFraction(c.region.box, b) > 0.3))
      .map((c) =>
        c.plate.valid ? { ...c, plate: { ...c.plate, valid: false, reason: notConfidentReason(c, opts) } } : c,
      ),
  );
  const toReading = async (c: Candidate): Promise<PlateReading> => ({
    plate: c.plate,
    confidence: c.confidence,
    weakestChar: c.weakestChar,
    box: c.region.box,
    ...(opts.withCrops ? { crop: await cropJpeg(image, c.region.box) } : {}),
  });
  return { plates: await Promise.all(plates.map(toReading)), rejected: await Promise.all(rejected.map(toReading)) };
}

/** The grammars of `countries`, told the plate's background colour when it is known. */
function grammarFor(countries: readonly Country[], color: ReturnType<typeof estimatePlateColour>) {
  return (rows: string[]): ParsedPlate => parsePlate(rows, { countries, ...(color ? { color } : {}) });
}

const confidentEnough = (c: Candidate, opts: PlateReadingOptions) =>
  c.confidence >= opts.minConfidence && c.weakestChar >= opts.minCharConfidence;

/** Why a grammar-valid read was not confident enough: the whole read, or one character. */
const notConfidentReason = (c: Candidate, opts: PlateReadingOptions) =>
  c.confidence < opts.minConfidence ? 'low confidence' : 'low character confidence';

/** Greedy by confidence (two-row pairs before single rows on ties): no two picks overlap. */
function pickNonOverlapping(cands: Candidate[]): Candidate[] {
  const sorted = [...cands].sort((a, b) => b.confidence - a.confidence || b.region.rows.length - a.region.rows.length);
  const picked: Candidate[] = [];
  for (const c of sorted) {
    if (!picked.some((p) => overlapFraction(c.region.box, p.region.box) > 0.3)) picked.push(c);
  }
  return picked;
}

/** Intersection over the smaller box's area: 1 when one contains the other. */
export function overlapFraction(a: Box, b: Box): number {
  const ix = Math.max(0, Math.min(a.x + a.w, b.x + b.w) - Math.max(a.x, b.x));
  const iy = Math.max(0, Math.min(a.y + a.h, b.y + b.h) - Math.max(a.y, b.y));
  return (ix * iy) / Math.max(1, Math.min(a.w * a.h, b.w * b.h));
}

/** Text that could be a plate the grammar did not accept: a few characters with a digit. */
function looksLikePlateText(text: string): boolean {
  return text.length >= 4 && text.length <= 12 && /\d/.test(text);
}

async function cropJpeg(image: RgbImage, box: Box): Promise<Buffer> {
  const crop = cropRgb(image, box);
  return sharp(crop.data, { raw: { width: crop.width, height: crop.height, channels: 3 } })
    .jpeg({ quality: 85 })
    .toBuffer();
}

/**
 * Reads an image that is already a plate crop: the whole crop as one row, its two halves as
 * two rows, and whatever the detector finds in it compete; the grammar decides, after a reread
 * of what it rejected (as readPlates). An engine that splits rows itself (platenet) reads the
 * whole crop and the halves as one box, once, exactly as its reader was trained (the crop as
 * found, resized).
 */
export async function readPlateCrop(
  engine: PlateEngine,
  image: RgbImage,
  opts: PlateReadingOptions,
): Promise<FrameReadings> {
  const whole: Box = { x: 0, y: 0, w: image.width, h: image.height };
  const half = Math.floor(image.height / 2);
  const regions: PlateRegion[] = [
    { box: whole, rows: [whole], score: 1 },
    {
      box: whole,
      rows: [
        { x: 0, y: 0, w: image.width, h: half },
        { x: 0, y: half, w: image.width, h: image.height - half },
      ],
      score: 1,
    },
    ...(await engine.find(image)),
  ];
  const texts = await engine.read(image, regions);
  const parse = grammarFor(opts.countries, estimatePlateColour(image, whole));
  const resolve = (_region: PlateRegion, raw: RawPlateText) => resolveWithAlternatives(raw, parse);
  const firstReads = regions.map((region, i) => ({ region, ...resolve(region, texts[i]!) }));
  const candidates = await rereadRejected(engine, image, firstReads, resolve, opts);
  const valid = candidates.filter((c) => c.plate.valid && confidentEnough(c, opts));
  const best = valid.sort((a, b) => b.confidence - a.confidence)[0];
  if (best)
    return {
      plates: [{ plate: best.plate, confidence: best.confidence, weakestChar: best.weakestChar, box: whole }],
      rejected: [],
    };
  const fallback = candidates.filter((c) => c.plate.text.length > 0).sort((a, b) => b.confidence - a.confidence)[0];
  return {
    plates: [],
    rejected: fallback
      ? [
          {
            plate: {
              ...fallback.plate,
              valid: false,
              reason: fallback.plate.reason ?? notConfidentReason(fallback, opts),
            },
            confidence: fallback.confidence,
            weakestChar: fallback.weakestChar,
            box: whole,
          },
        ]
      : [],
  };
}
