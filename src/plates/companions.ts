import type { Box } from '../core/image.js';
import type { ParsedPlate } from './types.js';

/**
 * Plates of one vehicle. A Chinese truck crossing into Vietnam carries its Chinese plate and a
 * Vietnamese temporary plate; the camera reads both in the same frames, as two texts the voter
 * cannot cluster (they share no characters). The lane must decide on the vehicle with both, or
 * a watch-listed plate beside an allowed one would open the barrier and the truck would take
 * two decisions. These pure rules say which plates read together are one vehicle.
 */

/** Plates on one vehicle are at the same distance: their heights differ by at most this factor
 * (a one-row Chinese plate is 140 mm tall, a two-row Vietnamese one 165 mm, a long one 110 mm). */
export const MAX_HEIGHT_RATIO = 2;

/** Whether two plate boxes in one frame could be on one vehicle: similar height, so not a plate
 * far behind in the queue. */
export function sameDistance(a: Box, b: Box): boolean {
  const lo = Math.min(a.h, b.h);
  return lo > 0 && Math.max(a.h, b.h) / lo <= MAX_HEIGHT_RATIO;
}

/**
 * Whether `other`, read in the same frames as `plate` (`framesTogether` of them), is the
 * vehicle's plate of the other country: both accepted by the grammar, one Vietnamese and one
 * Chinese, seen together in at least `minFrames` frames. Two plates of one country are two
 * vehicles (a queue), never one.
 */
export function isCompanion(
  plate: ParsedPlate,
  other: ParsedPlate,
  framesTogether: number,
  minFrames: number,
): boolean {
  return (
    framesTogether >= minFrames &&
    plate.valid &&
    other.valid &&
    plate.country !== null &&
    other.country !== null &&
    plate.country !== other.country
  );
}
