import type { RgbImage } from '../../core/image.js';
import type { ResolvedReading } from '../../plates/alternatives.js';
import type { PlateRegion, PlateRereader, RawPlateText } from '../../vision/types.js';

/**
 * The weakest character a reread must reach to count, whatever the lane's own floor: each cut is
 * one more chance for a read to fit a grammar, so a reread has to be surer than a first read. On
 * the held-out crop sets, at 0.9 platenet's reread mended two CCPD crops and a car plate and read
 * one crop of the silver set wrong; the same cut at 0.5, tried on detected plates too, read 14
 * more of OpenALPR's 444 foreign plates wrong, at 0.9 one (docs/benchmarks.md).
 */
export const REREAD_MIN_CHAR_CONFIDENCE = 0.9;

export interface Candidate extends ResolvedReading {
  region: PlateRegion;
}

/**
 * A second look at the reads the grammar rejected: each such region is read again from the
 * engine's other cuts (one batch for the frame), and the first reread the grammar accepts, sure
 * enough, takes the rejected read's place. Candidates the grammar accepted are left as they are,
 * however unsure (the confidence floors judge those); an engine that cannot reread changes nothing.
 */
export async function rereadRejected(
  engine: Partial<PlateRereader>,
  image: RgbImage,
  candidates: readonly Candidate[],
  resolve: (region: PlateRegion, raw: RawPlateText) => ResolvedReading,
  floors: { minConfidence: number; minCharConfidence: number },
): Promise<Candidate[]> {
  const rejected = candidates.filter((c) => !c.plate.valid);
  if (!engine.reread || rejected.length === 0) return [...candidates];
  const rereads = await engine.reread(
    image,
    rejected.map((c) => c.region),
  );
  const minChar = Math.max(REREAD_MIN_CHAR_CONFIDENCE, floors.minCharConfidence);
  const mended = new Map<Candidate, Candidate>();
  rejected.forEach((c, i) => {
    for (const raw of rereads[i] ?? []) {
      const r = resolve(c.region, raw);
      if (r.plate.valid && r.confidence >= floors.minConfidence && r.weakestChar >= minChar) {
        mended.set(c, { ...r, region: c.region });
        return;
      }
    }
  });
  return candidates.map((c) => mended.get(c) ?? c);
}
