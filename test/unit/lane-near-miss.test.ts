import { describe, expect, it } from 'vitest';
import { DeclarationIndex, type ListIndex } from '../../src/lane/deciding/list-entries.js';
import { MAX_NEAR_MISSES, nearMisses } from '../../src/lane/deciding/near-miss.js';
import { levenshtein } from '../../src/plates/similarity.js';

// The near-miss search skips plates that share too few characters with the read before it
// computes their distance; it must find exactly what comparing with every plate finds.

/** Deterministic pseudo-random plates, with near copies of each other, Chinese ones among them. */
function plates(count: number): string[] {
  let seed = 7;
  const next = () => (seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648) / 2_147_483_648;
  const alphabet = '0123456789ABCDEFGHKLMNPSTUVXYZ云桂粤';
  const out = new Set<string>();
  while (out.size < count) {
    const length = 6 + Math.floor(next() * 4);
    let plate = Array.from({ length }, () => alphabet[Math.floor(next() * alphabet.length)]).join('');
    if (out.size > 0 && next() < 0.3) {
      // An edit or two of a plate already listed: the near misses the search is for.
      const base = [...out][Math.floor(next() * out.size)]!;
      const at = Math.floor(next() * base.length);
      plate =
        next() < 0.5
          ? `${base.slice(0, at)}${alphabet[Math.floor(next() * 10)]}${base.slice(at + 1)}`
          : `${base.slice(0, at)}${base.slice(at + 1)}`;
    }
    out.add(plate);
  }
  return [...out];
}

function bruteForce(text: string, lists: ListIndex, maxDistance: number) {
  const order = ['deny', 'watch', 'allow'] as const;
  return order
    .flatMap((list) => [...lists[list].keys()].map((plate) => ({ plate, distance: levenshtein(text, plate), list })))
    .filter((m) => m.plate !== text && m.distance <= maxDistance)
    .sort(
      (a, b) =>
        a.distance - b.distance ||
        order.indexOf(a.list) - order.indexOf(b.list) ||
        (a.plate < b.plate ? -1 : a.plate > b.plate ? 1 : 0),
    )
    .slice(0, MAX_NEAR_MISSES);
}

describe('nearMisses', () => {
  it('finds what comparing with every listed plate finds, at every distance', () => {
    const all = plates(3000);
    const index: ListIndex = {
      allow: new Map(all.slice(0, 2000).map((key) => [key, { key }])),
      deny: new Map(all.slice(2000, 2500).map((key) => [key, { key }])),
      watch: new Map(all.slice(2500).map((key) => [key, { key }])),
      declarations: new DeclarationIndex(),
      meta: { allow: null, deny: null, watch: null, declarations: null },
    };
    let found = 0;
    for (const read of plates(3400).slice(2900)) {
      for (const maxDistance of [1, 2, 3]) {
        const expected = bruteForce(read, index, maxDistance);
        found += expected.length;
        expect(nearMisses(read, index, maxDistance), `${read} within ${maxDistance}`).toEqual(expected);
      }
    }
    expect(found).toBeGreaterThan(100); // the reads do have near misses
  });
});
