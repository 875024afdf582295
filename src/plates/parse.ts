import { CN_FORMATS } from './cn.js';
import { layoutMismatch, matchFormat, type FormatMatch, type PlateFormat, type Reading } from './format.js';
import { normalisePlateText, separatorPositions } from './normalise.js';
import type { Country, ParsedPlate, PlateColour, PlateKind, RowLayout } from './types.js';
import { VN_FORMATS } from './vn.js';

export type { PlateColour } from './types.js';

export interface ParsePlateOptions {
  /** Grammars to try; both by default. */
  countries?: readonly Country[];
  /**
   * Background colour, when a classifier knows it. Vietnamese only: yellow makes a car
   * `commercial`, blue makes a car or motorbike `state`. A format printed only in some colours
   * (military plates: red) does not match a plate known to be another colour: a Chinese plate
   * read without its province character looks like a military one. A civilian text on red is
   * a misread the text cannot fix, so red adds nothing to the civilian formats.
   */
  color?: PlateColour;
  /**
   * Reads needing more look-alike corrections than this are rejected. Default 2; beyond one,
   * corrections are only made when the read's rows and separators agree with the format.
   */
  maxCorrections?: number;
}

const FORMATS: Readonly<Record<Country, readonly PlateFormat[]>> = { VN: VN_FORMATS, CN: CN_FORMATS };
const ALL_COUNTRIES: readonly Country[] = ['VN', 'CN'];
const DEFAULT_MAX_CORRECTIONS = 2;

/** One reading of the text in one format, with how well the read's layout agrees with it. */
interface Candidate extends Reading {
  format: PlateFormat;
  /** Contradictions between the read's rows/separators and the format as printed. */
  mismatch: number;
  /** Position of the format in the grammar: more specific formats come first. */
  order: number;
}

/**
 * Applies the plate grammars to OCR rows (top to bottom; one or two). Every allowed country's
 * formats are tried; the reading needing the fewest corrections wins, then the one whose
 * printed layout (rows, separators) fits the read best, then the more specific format. When
 * two readings tie but disagree on the text, the correction is ambiguous and the read is
 * rejected. A second correction is only made when the read's layout agrees with the format.
 * A rejected read keeps its raw text, with `valid: false` and a reason.
 */
export function parsePlate(rows: readonly string[], opts: ParsePlateOptions = {}): ParsedPlate {
  const raw = rows.join(' ');
  const normRows = rows.map(normalisePlateText).filter((r) => r.length > 0);
  const text = normRows.join('');
  const readLayout: RowLayout = normRows.length >= 2 ? 'two-row' : 'one-row';
  const reject = (reason: string): ParsedPlate => ({
    valid: false,
    raw,
    text,
    display: raw,
    country: null,
    kind: null,
    layout: readLayout,
    corrections: 0,
    reason,
  });
  if (text === '') return reject('empty read');

  const countries = opts.countries ?? ALL_COUNTRIES;
  const rowLengths = normRows.map((r) => [...r].length);
  const separators = separatorPositions(raw);
  const matches = countries
    .flatMap((c) => FORMATS[c])
    .filter((f) => !opts.color || !f.colours || f.colours.includes(opts.color))
    .map((f) => matchFormat(text, f));
  const candidates: Candidate[] = matches
    .flatMap((m, order) =>
      m.ok
        ? m.readings.map((r) => ({
            ...r,
            format: m.format,
            order,
            mismatch: layoutEvidence(m.format, r.text, rowLengths, separators),
          }))
        : [],
    )
    .sort((a, b) => a.corrections - b.corrections || a.mismatch - b.mismatch || a.order - b.order);
  if (candidates.length === 0) return reject(closestFailure(matches, text, countries));

  const max = opts.maxCorrections ?? DEFAULT_MAX_CORRECTIONS;
  const allowed = candidates.filter((c) => c.corrections <= (c.mismatch === 0 ? max : Math.min(1, max)));
  const best = allowed[0];
  if (!best) return reject(`needs ${candidates[0]!.corrections} corrections to read as ${candidates[0]!.text}`);
  const rivals = allowed.filter(
    (c) => c.corrections === best.corrections && c.mismatch === best.mismatch && c.text !== best.text,
  );
  if (rivals.length > 0) {
    return reject(`ambiguous correction: ${[...new Set([best, ...rivals].map((c) => c.text))].join(' or ')}`);
  }

  const { kind, display } = best.format.describe(best.text);
  return {
    valid: true,
    raw,
    text: best.text,
    display,
    country: best.format.country,
    kind: withColour(best.format.country, kind, opts.color),
    layout: plateLayout(best.format, readLayout),
    corrections: best.corrections,
  };
}

/**
 * How plausible the rows are as a plate, for ranking recogniser hypotheses: 1 for a clean
 * parse, 0.2 less per correction, 0 when no grammar accepts them.
 */
export function grammarFit(rows: readonly string[], opts: ParsePlateOptions = {}): number {
  const plate = parsePlate(rows, opts);
  return plate.valid ? Math.max(0, 1 - 0.2 * plate.corrections) : 0;
}

/**
 * How much the read's layout contradicts the format as printed: rows where it has none or a
 * different row split, and separators where its display has none. `29A12345` is both a car
 * (`29A-123.45`) and a motorbike (`29-A1 2345`); only the layout of the read tells them apart.
 */
function layoutEvidence(
  format: PlateFormat,
  text: string,
  rowLengths: readonly number[],
  separators: readonly number[],
): number {
  const printed = new Set(separatorPositions(format.describe(text).display));
  return layoutMismatch(format, rowLengths) + separators.filter((p) => !printed.has(p)).length;
}

/** The reason of the format the read came closest to fitting. */
function closestFailure(matches: readonly FormatMatch[], text: string, countries: readonly Country[]): string {
  const failures = matches
    .filter((m): m is Extract<FormatMatch, { ok: false }> => !m.ok && m.closeness >= 0)
    .sort((a, b) => b.closeness - a.closeness || b.breadth - a.breadth);
  const closest = failures[0];
  if (!closest) return `no ${countries.join('/')} plate format has ${[...text].length} characters`;
  // Name the format only when it stands out; formats tied at the same slot fail alike.
  const tied = failures.filter((m) => m.closeness === closest.closeness && m.breadth === closest.breadth);
  return tied.length === 1 ? `${closest.reason} (${closest.format.name})` : closest.reason;
}

function withColour(country: Country, kind: PlateKind, color: PlateColour | undefined): PlateKind {
  if (country !== 'VN') return kind;
  if (color === 'yellow' && kind === 'car') return 'commercial';
  if (color === 'blue' && (kind === 'car' || kind === 'motorbike')) return 'state';
  return kind;
}

/** The plate's layout: fixed by the format when it is printed only one way, else as read. */
function plateLayout(format: PlateFormat, readLayout: RowLayout): RowLayout {
  if (!format.oneRow) return 'two-row';
  if (format.twoRowSplits !== null && format.twoRowSplits.length === 0) return 'one-row';
  return readLayout;
}
