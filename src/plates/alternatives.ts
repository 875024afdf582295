import type { RawPlateText } from '../vision/types.js';
import type { ParsedPlate } from './types.js';

export interface AlternativeSearchOptions {
  /** How many of the least certain characters may be swapped for a runner-up. */
  maxPositions: number;
  /** A runner-up below this probability is never considered. */
  minAlternativeP: number;
}

export const defaultAlternativeSearch: AlternativeSearchOptions = { maxPositions: 4, minAlternativeP: 0.03 };

export interface ResolvedReading {
  plate: ParsedPlate;
  /** Mean probability of the characters finally chosen. */
  confidence: number;
  /** Lowest probability among the characters finally chosen (0 when nothing was read). */
  weakestChar: number;
  /** How many characters were replaced by the model's own runner-up. */
  substitutions: number;
}

/**
 * Reads the text as the model ranked it, and when the grammar rejects the top reading, tries
 * the model's runner-up characters at its least certain positions, most probable combination
 * first. A substitution is only taken from what the model itself considered at that time
 * step, and only when the grammar then accepts the whole plate: "54-11" whose second "1" had
 * "T" as runner-up becomes "54-T1". Returns the first accepted reading, else the top one.
 */
export function resolveWithAlternatives(
  raw: RawPlateText,
  parse: (rows: string[]) => ParsedPlate,
  opts: AlternativeSearchOptions = defaultAlternativeSearch,
): ResolvedReading {
  const top = {
    plate: parse(raw.rows),
    confidence: raw.confidence,
    weakestChar: weakest(raw.charConfidence),
    substitutions: 0,
  };
  if (top.plate.valid || !raw.alternatives) return top;

  // Characters with a plausible runner-up, least certain first.
  const slots: { row: number; col: number; options: { char: string; p: number }[] }[] = [];
  raw.alternatives.forEach((row, r) =>
    row.forEach((alts, c) => {
      const options = alts.filter((a) => a.p >= opts.minAlternativeP);
      if (options.length > 1) slots.push({ row: r, col: c, options });
    }),
  );
  slots.sort((a, b) => b.options[1]!.p / b.options[0]!.p - a.options[1]!.p / a.options[0]!.p);
  const chosen = slots.slice(0, opts.maxPositions);
  if (chosen.length === 0) return top;

  // Every combination of the chosen slots' options, most probable first.
  const combos: { picks: number[]; logP: number }[] = [];
  const walk = (i: number, picks: number[], logP: number) => {
    if (i === chosen.length) return void combos.push({ picks: [...picks], logP });
    chosen[i]!.options.forEach((o, k) => {
      picks.push(k);
      walk(i + 1, picks, logP + Math.log(o.p));
      picks.pop();
    });
  };
  walk(0, [], 0);
  combos.sort((a, b) => b.logP - a.logP);

  const charRows = raw.rows.map((row) => [...row]);
  const total = raw.alternatives.reduce((n, row) => n + row.length, 0);
  for (const combo of combos) {
    if (combo.picks.every((k) => k === 0)) continue;
    const rows = charRows.map((row) => [...row]);
    const charP = raw.charConfidence.map((row) => [...row]);
    let delta = 0;
    let substitutions = 0;
    combo.picks.forEach((k, i) => {
      if (k === 0) return;
      const slot = chosen[i]!;
      rows[slot.row]![slot.col] = slot.options[k]!.char;
      if (charP[slot.row]) charP[slot.row]![slot.col] = slot.options[k]!.p;
      delta += slot.options[k]!.p - slot.options[0]!.p;
      substitutions++;
    });
    const plate = parse(rows.map((r) => r.join('')));
    if (plate.valid)
      return {
        plate,
        confidence: raw.confidence + delta / Math.max(1, total),
        weakestChar: weakest(charP),
        substitutions,
      };
  }
  return top;
}

function weakest(charConfidence: readonly (readonly number[])[]): number {
  const all = charConfidence.flat();
  return all.length ? Math.min(...all) : 0;
}
