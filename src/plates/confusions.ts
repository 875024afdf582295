/**
 * Letter/digit pairs that plate OCR confuses. A read character outside a slot's alphabet is
 * corrected only to a look-alike the slot allows, so the grammar, not a guess, makes the fix:
 * `O` in a digit slot becomes `0`, `8` in the Vietnamese series slot becomes `B`, but `0`
 * there could be `D` or `U`, and unless the rest of the read decides, it stays an error.
 *
 * Left out on purpose: T/1 and L/1 (a 1 can also be a 7 or an I; too weak to act on alone).
 */
const PAIRS: ReadonlyArray<readonly [letter: string, digit: string]> = [
  ['O', '0'],
  ['Q', '0'],
  ['D', '0'],
  ['U', '0'],
  ['I', '1'],
  ['Z', '2'],
  ['A', '4'],
  ['S', '5'],
  ['G', '6'],
  ['B', '8'],
];

const LOOK_ALIKES: ReadonlyMap<string, readonly string[]> = (() => {
  const map = new Map<string, string[]>();
  const add = (from: string, to: string): void => {
    map.set(from, [...(map.get(from) ?? []), to]);
  };
  for (const [letter, digit] of PAIRS) {
    add(letter, digit);
    add(digit, letter);
  }
  return map;
})();

/** Characters OCR may have misread as `c`. */
export function lookAlikes(c: string): readonly string[] {
  return LOOK_ALIKES.get(c) ?? [];
}

export interface CharReading {
  char: string;
  corrected: boolean;
}

/**
 * What `c`, read in a slot allowing `allowed`, can stand for: itself when allowed, else each
 * allowed look-alike as a correction. Several corrections mean the slot alone cannot decide;
 * the caller keeps them all and lets the whole grammar decide (or reject as ambiguous).
 */
export function slotReadings(c: string, allowed: string): CharReading[] {
  if (allowed.includes(c)) return [{ char: c, corrected: false }];
  return lookAlikes(c)
    .filter((alt) => allowed.includes(alt))
    .map((alt) => ({ char: alt, corrected: true }));
}

/**
 * Every text one look-alike substitution away from `text` (O for 0 in one place, 8 for B in
 * another...): what a read may be of a plate recorded differently. At most a few dozen for a
 * plate, so a lookup by each is constant time however many plates are kept.
 */
export function lookAlikeVariants(text: string): string[] {
  const chars = Array.from(text);
  const variants: string[] = [];
  chars.forEach((c, i) => {
    for (const alt of lookAlikes(c)) variants.push([...chars.slice(0, i), alt, ...chars.slice(i + 1)].join(''));
  });
  return variants;
}
