import { ctcGreedyDecode, type DecodedChar } from '../ctc.js';

/**
 * Decodes one plate's reader output [steps, classes] into its rows of characters. With
 * `rowSteps` (the manifest's `row_steps`), the sequence is one CTC sequence per plate row, top
 * first (steps 0-39 the top row of a two-row plate, 40-79 its bottom row or a one-row plate's
 * only row), each decoded on its own. Without it, the whole sequence is decoded and split at the
 * row-break class (`59P1|66480` → two rows). Either way the break is never a character of a
 * row nor a runner-up of one, and empty rows are dropped.
 */
export function decodePlateRows(
  probs: Float32Array,
  steps: number,
  classes: number,
  charset: readonly string[],
  rowBreak: string,
  rowSteps?: number,
): DecodedChar[][] {
  const breakIndex = charset.indexOf(rowBreak);
  const exclude = breakIndex > 0 ? [breakIndex] : [];
  const segment = rowSteps && rowSteps > 0 && rowSteps < steps ? rowSteps : steps;
  const rows: DecodedChar[][] = [];
  for (let start = 0; start < steps; start += segment) {
    const n = Math.min(segment, steps - start);
    const chars = ctcGreedyDecode(
      probs.subarray(start * classes, (start + n) * classes),
      n,
      classes,
      charset,
      3,
      exclude,
    );
    rows.push([]);
    for (const c of chars) {
      if (c.char === rowBreak) rows.push([]);
      else rows[rows.length - 1]!.push(c);
    }
  }
  return rows.filter((r) => r.length > 0);
}
