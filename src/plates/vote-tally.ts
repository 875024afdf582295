import { codePointLength } from './similarity.js';
import type { ParsedPlate } from './types.js';
import type { PlateObservation } from './voter.js';

/** The reads of one text within a track. */
export interface Tally {
  text: string;
  /** True when the grammar accepted this text in at least one read. */
  valid: boolean;
  /** The parse of the most confident valid read (of the most confident read when none was valid). */
  plate: ParsedPlate;
  plateConfidence: number;
  count: number;
  confidenceSum: number;
  /** The most confident read of this text: its crop, box and frame time are reported. */
  best: PlateObservation;
  /** When this text was first and last read: monotonic, and wall. */
  firstMono: number;
  lastMono: number;
  firstAt: number;
  lastAt: number;
}

/** What a track would report: the plate and the reads that voted for it. */
export interface Choice {
  plate: ParsedPlate;
  votes: number;
  confidenceSum: number;
  best: PlateObservation;
}

export function newTally(obs: PlateObservation): Tally {
  return {
    text: obs.plate.text,
    valid: obs.plate.valid,
    plate: obs.plate,
    plateConfidence: obs.confidence,
    count: 1,
    confidenceSum: obs.confidence,
    best: obs,
    firstMono: obs.monotonicAt,
    lastMono: obs.monotonicAt,
    firstAt: obs.frameAt,
    lastAt: obs.frameAt,
  };
}

export function addToTally(tally: Tally, obs: PlateObservation): void {
  tally.count++;
  tally.confidenceSum += obs.confidence;
  if (obs.confidence > tally.best.confidence) tally.best = obs;
  tally.firstMono = Math.min(tally.firstMono, obs.monotonicAt);
  tally.lastMono = Math.max(tally.lastMono, obs.monotonicAt);
  tally.firstAt = Math.min(tally.firstAt, obs.frameAt);
  tally.lastAt = Math.max(tally.lastAt, obs.frameAt);
  // The same text can arrive valid and invalid (the reader demotes low-confidence reads):
  // a text the grammar accepted once is valid, reported with its most confident valid parse.
  const betterParse = obs.plate.valid
    ? !tally.valid || obs.confidence > tally.plateConfidence
    : !tally.valid && obs.confidence > tally.plateConfidence;
  if (betterParse) {
    tally.plate = obs.plate;
    tally.plateConfidence = obs.confidence;
    tally.valid = obs.plate.valid;
  }
}

/** Grammar-valid beats invalid whatever the confidence; then summed confidence, then count. */
export function beats(a: Tally, b: Tally): boolean {
  if (a.valid !== b.valid) return a.valid;
  if (a.confidenceSum !== b.confidenceSum) return a.confidenceSum > b.confidenceSum;
  return a.count > b.count;
}

/** The most convincing of `tallies` (which must not be empty). */
export function leader(tallies: Iterable<Tally>): Tally {
  let best: Tally | undefined;
  for (const tally of tallies) if (!best || beats(tally, best)) best = tally;
  return best!;
}

/**
 * When every other text of a track was last read before `newcomer` was first read, the
 * newcomer is a vehicle that followed the previous one within the gap (a queue at the
 * barrier): returns the tallies that belong to it (the newcomer and any text first read with
 * or after it). Undefined when reads interleave (one vehicle, read two ways) or nothing came before.
 */
export function laterVehicle(tallies: Map<string, Tally>, newcomer: Tally): Tally[] | undefined {
  const later: Tally[] = [];
  let earlier = 0;
  for (const tally of tallies.values()) {
    if (tally === newcomer || tally.firstMono >= newcomer.firstMono) later.push(tally);
    else if (tally.lastMono < newcomer.firstMono) earlier++;
    else return undefined;
  }
  return earlier > 0 ? later : undefined;
}

/** Drops the least supported text other than the winner (bounds a long track's memory). */
export function dropWeakestLoser(tallies: Map<string, Tally>, winner: Tally): void {
  let weakest: Tally | undefined;
  for (const tally of tallies.values()) {
    if (tally !== winner && (!weakest || tally.confidenceSum < weakest.confidenceSum)) weakest = tally;
  }
  if (weakest) tallies.delete(weakest.text);
}

export function wholeTextChoice(winner: Tally): Choice {
  return { plate: winner.plate, votes: winner.count, confidenceSum: winner.confidenceSum, best: winner.best };
}

export type ComposedText = Omit<Choice, 'plate'> & { text: string };

/**
 * Position-wise majority, weighted by summed confidence, over the texts as long as the winner
 * (ties keep the winner's character). Its votes are the reads it was composed from.
 * Undefined when it would only repeat the winner.
 */
export function composeByPosition(tallies: Map<string, Tally>, winner: Tally): ComposedText | undefined {
  const winnerChars = Array.from(winner.text);
  const sameLength = [...tallies.values()].filter((t) => codePointLength(t.text) === winnerChars.length);
  if (sameLength.length < 2) return undefined;
  const columns = winnerChars.map(() => new Map<string, number>());
  for (const tally of sameLength) {
    Array.from(tally.text).forEach((ch, i) => {
      const column = columns[i]!;
      column.set(ch, (column.get(ch) ?? 0) + tally.confidenceSum);
    });
  }
  const text = columns
    .map((column, i) => {
      let best = winnerChars[i]!;
      for (const [ch, weight] of column) if (weight > column.get(best)!) best = ch;
      return best;
    })
    .join('');
  if (text === winner.text) return undefined;
  return {
    text,
    votes: sameLength.reduce((sum, t) => sum + t.count, 0),
    confidenceSum: sameLength.reduce((sum, t) => sum + t.confidenceSum, 0),
    best: sameLength.reduce((a, t) => (t.best.confidence > a.best.confidence ? t : a)).best,
  };
}
