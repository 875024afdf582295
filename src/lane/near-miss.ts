import { codePointLength, levenshtein } from '../plates/similarity.js';
import type { ListName } from '../uplink/commands-contract.js';
import type { ListIndex } from './list-entries.js';

/** A listed plate one or a few characters off the read: a hint for the operator, never an open. */
export interface NearMiss {
  plate: string;
  distance: number;
  list: ListName;
}

/** At most this many hints; more would bury the likely one. */
export const MAX_NEAR_MISSES = 5;

const LIST_ORDER: readonly ListName[] = ['deny', 'watch', 'allow'];

/**
 * Listed plates within `maxDistance` edits of `text`, but not equal to it, closest first (then
 * deny, watch, allow, then by plate); none when `maxDistance` is 0 or the text is empty.
 */
export function nearMisses(text: string, lists: ListIndex, maxDistance: number): NearMiss[] {
  if (maxDistance <= 0 || text === '') return [];
  const length = codePointLength(text);
  const found: NearMiss[] = [];
  for (const list of LIST_ORDER) {
    for (const plate of lists[list].keys()) {
      if (plate === text || Math.abs(codePointLength(plate) - length) > maxDistance) continue;
      const distance = levenshtein(text, plate);
      if (distance <= maxDistance) found.push({ plate, distance, list });
    }
  }
  found.sort((a, b) => a.distance - b.distance || LIST_ORDER.indexOf(a.list) - LIST_ORDER.indexOf(b.list) || (a.plate < b.plate ? -1 : a.plate > b.plate ? 1 : 0));
  return found.slice(0, MAX_NEAR_MISSES);
}
