import { slotReadings } from './confusions.js';
import type { Country, PlateColour, PlateKind } from './types.js';

/**
 * One plate format as a fixed sequence of character slots. The grammars are lists of these;
 * matching is position by position, which is what lets a correction depend on the slot.
 */
export interface Slot {
  /** Characters allowed in this position. */
  readonly allowed: string;
  /** What the position holds, for rejection reasons ("digit", "series letter"). */
  readonly label: string;
}

export interface PlateFormat {
  readonly country: Country;
  /** Short name for tests and logs, e.g. `vn-car-5`. */
  readonly name: string;
  readonly slots: readonly Slot[];
  /** True when the plate exists printed on one row. */
  readonly oneRow: boolean;
  /**
   * Characters on the first row when the plate is printed on two rows: `[]` when it never is,
   * `null` when the split is not known (any split is accepted without preference).
   */
  readonly twoRowSplits: readonly number[] | null;
  /** A reason when the fitted text breaks a rule slots cannot express (unknown province code). */
  readonly check?: (text: string) => string | null;
  readonly describe: (text: string) => { kind: PlateKind; display: string };
  /** The only background colours the format is printed in; absent: any. */
  readonly colours?: readonly PlateColour[];
}

/** One way to read the text in a format: the fitted text and how many characters were corrected. */
export interface Reading {
  text: string;
  corrections: number;
}

export type FormatMatch =
  /** Several readings when a look-alike fits a slot more than one way (`0` as D or U). */
  | { ok: true; format: PlateFormat; readings: Reading[] }
  /**
   * `closeness` ranks failures to report the nearest format's reason: characters accepted as
   * read before the failure; -1 when the length differs. `breadth`: how many characters the
   * failing slot allows (a "province character" says more than a fixed "使").
   */
  | { ok: false; format: PlateFormat; reason: string; closeness: number; breadth: number };

/** More ambiguous slots than this in one read is noise, not a plate. */
const MAX_READINGS = 8;

export function slot(allowed: string, label: string): Slot {
  return { allowed, label };
}

export function repeat(s: Slot, n: number): Slot[] {
  return Array.from({ length: n }, () => s);
}

/** Slots that each admit one fixed character (`NG`, `挂`). */
export function literal(chars: string, label: string): Slot[] {
  return [...chars].map((c) => slot(c, label));
}

/**
 * Fits normalised `text` to `format` position by position, correcting look-alikes the slot
 * allows. A slot that allows several look-alikes forks the reading; each fork counts one
 * correction, so the caller sees the ambiguity instead of a guess.
 */
export function matchFormat(text: string, format: PlateFormat): FormatMatch {
  const chars = [...text];
  if (chars.length !== format.slots.length) {
    return {
      ok: false,
      format,
      reason: `${chars.length} characters, expected ${format.slots.length}`,
      closeness: -1,
      breadth: 0,
    };
  }
  let readings: Reading[] = [{ text: '', corrections: 0 }];
  for (let i = 0; i < chars.length; i++) {
    const c = chars[i]!;
    const s = format.slots[i]!;
    const options = slotReadings(c, s.allowed);
    if (options.length === 0) {
      const reason = `'${c}' at position ${i + 1} is not a ${s.label}`;
      return { ok: false, format, reason, closeness: i - readings[0]!.corrections, breadth: s.allowed.length };
    }
    readings = readings.flatMap((r) =>
      options.map((o) => ({ text: r.text + o.char, corrections: r.corrections + (o.corrected ? 1 : 0) })),
    );
    if (readings.length > MAX_READINGS) {
      return {
        ok: false,
        format,
        reason: `too many ambiguous characters for a ${format.name} plate`,
        closeness: i,
        breadth: 0,
      };
    }
  }
  const problems = readings.map((r) => format.check?.(r.text) ?? null);
  const valid = readings.filter((_, k) => problems[k] === null);
  if (valid.length === 0) {
    return {
      ok: false,
      format,
      reason: problems[0]!,
      closeness: chars.length - readings[0]!.corrections,
      breadth: Infinity,
    };
  }
  return { ok: true, format, readings: valid };
}

/** 0 when the rows as read fit how the format is printed, 1 when they do not. */
export function layoutMismatch(format: PlateFormat, rowLengths: readonly number[]): 0 | 1 {
  if (rowLengths.length <= 1) return format.oneRow ? 0 : 1;
  if (format.twoRowSplits === null) return 0;
  return format.twoRowSplits.includes(rowLengths[0]!) ? 0 : 1;
}

/** `12345` → `123.45`; four digits stay as they are (older plates). */
export function dottedOrder(digits: string): string {
  return digits.length === 5 ? `${digits.slice(0, 3)}.${digits.slice(3)}` : digits;
}
