import { codePointLength, levenshtein } from '../../plates/similarity.js';
import type { ListIndex } from './list-entries.js';
import type { ListName } from '../../domain/lists.js';

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
  const filter = new SharedCharacters(text);
  const found: NearMiss[] = [];
  for (const list of LIST_ORDER) {
    for (const plate of lists[list].keys()) {
      if (
        plate === text ||
        filter.surelyFartherThan(plate, maxDistance) ||
        Math.abs(codePointLength(plate) - length) > maxDistance
      )
        continue;
      const distance = levenshtein(text, plate);
      if (distance <= maxDistance) found.push({ plate, distance, list });
    }
  }
  found.sort(
    (a, b) =>
      a.distance - b.distance ||
      LIST_ORDER.indexOf(a.list) - LIST_ORDER.indexOf(b.list) ||
      (a.plate < b.plate ? -1 : a.plate > b.plate ? 1 : 0),
  );
  return found.slice(0, MAX_NEAR_MISSES);
}

/**
 * A cheap lower bound of the edit distance, so a hold does not run the full distance against
 * every listed plate (200 000 of them take tens of ms; docs/benchmarks.md): each edit matches up
 * at most one more character of either plate, so two plates sharing `c` characters (as
 * multisets) are at least max(|a| - c, |b| - c) edits apart. Counted in UTF-16 units, which are
 * the characters of every canonical plate; a plate with a surrogate pair is never filtered.
 */
class SharedCharacters {
  /** The read's characters, counted by UTF-16 unit; one table for all calls (decide() is synchronous). */
  private static readonly counts = new Int32Array(0x10000);
  private static readonly taken: number[] = [];
  private readonly text: string;
  private readonly usable: boolean;

  constructor(text: string) {
    this.text = text;
    this.usable = !/[\ud800-\udfff]/.test(text);
  }

  surelyFartherThan(plate: string, maxDistance: number): boolean {
    if (!this.usable) return false;
    const { counts, taken } = SharedCharacters;
    for (let i = 0; i < this.text.length; i++) counts[this.text.charCodeAt(i)]!++;
    let unmatched = 0;
    let farther = false;
    for (let i = 0; i < plate.length; i++) {
      const unit = plate.charCodeAt(i);
      if (unit >= 0xd800 && unit <= 0xdfff) {
        unmatched = -Infinity; // a surrogate pair: no bound
        break;
      }
      if (counts[unit]! > 0) {
        counts[unit]!--;
        taken.push(unit);
      } else if (++unmatched > maxDistance) {
        farther = true;
        break;
      }
    }
    const shared = taken.length;
    // Back to all zeros for the next plate.
    for (const unit of taken) counts[unit]!++;
    taken.length = 0;
    for (let i = 0; i < this.text.length; i++) counts[this.text.charCodeAt(i)]!--;
    if (unmatched === -Infinity) return false;
    return farther || this.text.length - shared > maxDistance;
  }
}
