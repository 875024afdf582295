import type { Box, RgbImage } from '../core/image.js';

/** A plate found in an image: its box and its text rows (one or two), top to bottom. */
export interface PlateRegion {
  box: Box;
  rows: Box[];
  /** Detector score in [0, 1]. */
  score: number;
  /**
   * The plate's corners in image coordinates, clockwise from its top-left (TL, TR, BR, BL),
   * when the detector gives them; a reader that rectifies the plate uses them instead of `box`.
   */
  corners?: [number, number][];
}

/** What a reader made of one plate region, before any plate grammar is applied. */
export interface RawPlateText {
  /** Recognised text of each row, top to bottom, as the model read it. */
  rows: string[];
  /** Mean per-character probability over all rows, in [0, 1]. */
  confidence: number;
  /**
   * Each character's own probability, per row (the shape of `rows`). The weakest character says
   * more about a misread than the mean: one smeared digit in an otherwise clear plate.
   */
  charConfidence: number[][];
  /** Per-character alternatives: for each row, for each character, candidates best first. */
  alternatives?: { char: string; p: number }[][][];
}

/** Finds candidate plates in (a region of) an image. */
export interface PlateFinder {
  find(image: RgbImage, roi?: Box): Promise<PlateRegion[]>;
}

/** Reads the text of plate regions; one call per frame so rows can be batched and shared. */
export interface PlateReader {
  read(image: RgbImage, regions: readonly PlateRegion[]): Promise<RawPlateText[]>;
}

/**
 * A reader that can read plates again from other cuts of the same regions: a second look at a
 * read the grammar rejected (a character gained at a tight crop's edge, one cut off at a loose
 * corner). What a reread is worth is for the caller to judge: it is one more chance to fit.
 */
export interface PlateRereader {
  /** For each region, its reads from the other cuts, in the order to try them (none: not reread). */
  reread(image: RgbImage, regions: readonly PlateRegion[]): Promise<RawPlateText[][]>;
}

/** What the reading pipeline drives: find and read, and reread when the engine can. */
export type PlateEngine = PlateFinder & PlateReader & Partial<PlateRereader>;
