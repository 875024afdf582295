import { ctcGreedyDecode, type DecodedChar } from '../ctc.js';

/**
 * Decodes one plate's reader output [steps, classes] into its rows of characters: greedy CTC
 * over the whole sequence, then split at the row-break class (`59P1|66480` → two rows). The
 * break is never a character of a row nor a runner-up of one; empty rows are dropped.
 */
export function decodePlateRows(
  probs: Float32Array,
  steps: number,
  classes: number,
  charset: readonly string[],
  rowBreak: string,
): DecodedChar[][] {
  const breakIndex = charset.indexOf(rowBreak);
  const chars = ctcGreedyDecode(probs, steps, classes, charset, 3, breakIndex > 0 ? [breakIndex] : []);
  const rows: DecodedChar[][] = [[]];
  for (const c of chars) {
    if (c.char === rowBreak) rows.push([]);
    else rows[rows.length - 1]!.push(c);
  }
  return rows.filter((r) => r.length > 0);
}
