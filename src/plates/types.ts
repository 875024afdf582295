export type Country = 'VN' | 'CN';

export type VnPlateKind =
  'car' | 'motorbike' | 'commercial' | 'state' | 'military' | 'foreign-ng' | 'foreign-nn' | 'foreign-qt' | 'temporary';

export type CnPlateKind = 'ordinary' | 'new-energy' | 'trailer' | 'coach' | 'police' | 'hong-kong-macau' | 'embassy';

export type PlateKind = VnPlateKind | CnPlateKind;

export type RowLayout = 'one-row' | 'two-row';

/** A plate's background colour, as src/plates/plate-colour.ts estimates it. */
export type PlateColour = 'white' | 'yellow' | 'blue' | 'red';

/** The result of applying the plate grammars to raw OCR text. */
export interface ParsedPlate {
  /** True when a grammar accepted the text. */
  valid: boolean;
  /** The OCR text as read (rows joined by a space for two-row reads). */
  raw: string;
  /**
   * Canonical text: upper case, letters, digits and CJK only, no separators (`29C12345`,
   * `云A12345`). For an invalid read it is the normalised raw text.
   */
  text: string;
  /** As printed on the plate (`29C-123.45`, `59-P1 664.80`, `云A·12345`); raw text when invalid. */
  display: string;
  country: Country | null;
  kind: PlateKind | null;
  layout: RowLayout;
  /** OCR confusions corrected by position in the grammar (e.g. O→0 in a digit slot). */
  corrections: number;
  /** Why the grammar rejected the read, when it did. */
  reason?: string;
}
