import type { DecodedChar } from '../ctc.js';

/**
 * How much further than the engine's own margin the second read's quad is pushed out, per side
 * (a fraction of the plate's width and height). A read that depends on exactly where the corners
 * fell (a character half cut, a sticker at the edge) changes when they move; a sound one does not.
 */
export const SECOND_READ_MARGIN = 0.05;

/**
 * One plate's two reads — from the quad as cut and from the quad pushed out — combined so that the
 * plate counts only where they agree (issue 24: a reader that abstains rather than guesses).
 *
 * - Same characters in the same places: each character keeps the lower of its two probabilities,
 *   so the character floor judges the less sure of the two reads.
 * - Same length, some characters differ: the differing characters get probability 0, so the read
 *   falls under any character floor and is reported as rejected, with its text, for the operator.
 * - Different lengths (a character gained or lost at an edge): every character gets 0.
 *
 * The rows of the first read are kept: the second read decides only how sure the first one is.
 * Runners-up stay the first read's, so the grammar's repair of a look-alike still has them.
 */
export function agreeOrAbstain(first: DecodedChar[][], second: DecodedChar[][]): DecodedChar[][] {
  const a = first.flat();
  const b = second.flat();
  if (a.length !== b.length) return first.map((row) => row.map((c) => ({ ...c, p: 0 })));
  let k = 0;
  return first.map((row) =>
    row.map((c) => {
      const other = b[k++]!;
      return { ...c, p: other.char === c.char ? Math.min(c.p, other.p) : 0 };
    }),
  );
}

/**
 * Each plate of a batch as every reader read it (`byReader[r][plate]`), combined into one read per
 * plate: the first reader's, judged by agreeOrAbstain against each other reader in turn.
 */
export function agreeAcrossReaders(byReader: readonly (readonly DecodedChar[][][])[]): DecodedChar[][][] {
  const [first = [], ...others] = byReader;
  return first.map((read, i) => others.reduce((agreed, other) => agreeOrAbstain(agreed, other[i]!), read));
}
