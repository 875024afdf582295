import { parsePlate } from '../../src/plates/parse.js';
import type { Country } from '../../src/plates/types.js';
import type { VotedPlateRead } from '../../src/plates/voter.js';

/**
 * A voted read of `text`, as a lane's reader hands it on: agreed by 3 reads at 0.95 unless told
 * otherwise. `others`: plates voted on the same vehicle (a cross-border truck's pair).
 */
export function voted(
  text: string,
  opts: { others?: readonly string[]; countries?: readonly Country[] } & Partial<
    Omit<VotedPlateRead, 'plate' | 'otherPlates'>
  > = {},
): VotedPlateRead {
  const { others = [], countries = ['VN', 'CN'], ...fields } = opts;
  const parse = (t: string) => parsePlate([t], { countries });
  return {
    plate: parse(text),
    confidence: 0.95,
    votes: 3,
    reads: 3,
    box: { x: 0, y: 0, w: 10, h: 5 },
    frameAt: 0,
    firstSeenAt: 0,
    lastSeenAt: 0,
    trigger: 'agreed',
    ...(others.length > 0 ? { otherPlates: others.map(parse) } : {}),
    ...fields,
  };
}
