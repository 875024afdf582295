import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import type { Box, RgbImage } from '../../core/image.js';
import { toRawPlateText } from '../ctc.js';
import { loadVerifiedModel, ModelIntegrityError } from '../model-manifest.js';
import type { PlateFinder, PlateReader, PlateRegion, PlateRereader, RawPlateText } from '../types.js';
import {
  decodeDetections,
  defaultDetectorDecode,
  DETECTOR_CHANNELS,
  type DetectedPlate,
  type DetectorDecodeOptions,
} from './detector-decode.js';
import { letterbox, shrinkIntoLetterbox } from './detector-input.js';
import type { Point } from './homography.js';
import {
  DETECTOR_FILE,
  detectorManifestSchema,
  READER_FILE,
  readerManifestSchema,
  SECOND_READER_FILE,
  type DetectorManifest,
  type ReaderManifest,
} from './manifests.js';
import { toRegion } from './plate-region.js';
import { decodePlateRows } from './reader-decode.js';
import { boxCorners, expandQuad, rectifyLuma } from './rectify.js';
import { REREAD_MARGINS, rereadQuads } from './reread.js';
import { ScratchPool } from './scratch.js';
import { agreeAcrossReaders, agreeOrAbstain, SECOND_READ_MARGIN } from './second-opinion.js';

export interface PlateNetOptions {
  /**
   * The folder holding plate-detector.onnx, plate-reader.onnx and their manifests, and
   * plate-reader-2.onnx with its manifest for `secondReader`.
   */
  modelsDir: string;
  /** Threads per model session; the gate computer has two cores. */
  threads: number;
  detection: DetectorDecodeOptions;
  /** A plate whose two-row probability reaches this gets two row boxes (the reader decides the text's rows itself). */
  twoRowThreshold: number;
  /**
   * Read each plate a second time from its quad pushed out by SECOND_READ_MARGIN, in the same
   * batch; a character counts only where both reads agree (second-opinion.ts).
   */
  secondRead: boolean;
  /**
   * Read each plate with plate-reader-2.onnx too (another training run), from the same rectified
   * input; a character counts only where both readers agree (second-opinion.ts).
   */
  secondReader: boolean;
}

/** A reader model: its session, its manifest (charset, rows), and its file, for errors. */
interface ReaderModel {
  file: string;
  session: ort.InferenceSession;
  manifest: ReaderManifest;
}

/**
 * The project's own engine: a single-shot detector gives each plate's four corners and whether
 * it has two rows; the plate is rectified by its corners to 160x64 and a CTC reader reads
 * both rows (`ROW1|ROW2`). With `secondReader`, a second reader reads the same rectified plate
 * and a character counts only where both agree. Every model is checked against
 * its manifest before its session is created; sessions are created once, input buffers reused.
 */
export class PlateNetEngine implements PlateFinder, PlateReader, PlateRereader {
  private readonly scratch = new ScratchPool();

  private constructor(
    private readonly det: ort.InferenceSession,
    private readonly detManifest: DetectorManifest,
    /** The first reader's manifest is the engine's: input size, charset and rows (the others match it). */
    private readonly readers: readonly [ReaderModel, ...ReaderModel[]],
    private readonly opts: PlateNetOptions,
  ) {}

  static async create(overrides: Partial<PlateNetOptions> & { modelsDir: string }): Promise<PlateNetEngine> {
    const opts: PlateNetOptions = {
      threads: 1,
      detection: defaultDetectorDecode,
      twoRowThreshold: 0.5,
      secondRead: false,
      secondReader: false,
      ...overrides,
    };
    // Throws ModelIntegrityError before any session exists.
    const detector = loadVerifiedModel(join(opts.modelsDir, DETECTOR_FILE), detectorManifestSchema);
    const readerFiles = opts.secondReader ? [READER_FILE, SECOND_READER_FILE] : [READER_FILE];
    const readerModels = readerFiles.map((file) => ({
      file,
      ...loadVerifiedModel(join(opts.modelsDir, file), readerManifestSchema),
    }));
    for (const other of readerModels.slice(1)) {
      const differs = readerMismatch(readerModels[0]!.manifest, other.manifest);
      if (differs)
        throw new ModelIntegrityError(
          join(opts.modelsDir, other.file),
          `${other.file}: its ${differs} differs from ${READER_FILE}'s; a second reader must read the same input into the same characters`,
        );
    }
    const sessionOpts: ort.InferenceSession.SessionOptions = {
      intraOpNumThreads: opts.threads,
      interOpNumThreads: 1,
      graphOptimizationLevel: 'all',
    };
    const [det, ...recs] = await Promise.all([
      ort.InferenceSession.create(detector.data, sessionOpts),
      ...readerModels.map((r) => ort.InferenceSession.create(r.data, sessionOpts)),
    ]);
    const readers = readerModels.map((r, i) => ({ file: r.file, session: recs[i]!, manifest: r.manifest }));
    const missing = [
      ...namesMissing(join(opts.modelsDir, DETECTOR_FILE), det, detector.manifest),
      ...readers.flatMap((r) => namesMissing(join(opts.modelsDir, r.file), r.session, r.manifest)),
    ];
    if (missing.length) {
      await Promise.all([det.release(), ...recs.map((r) => r.release())]);
      throw new ModelIntegrityError(missing[0]!.file, missing.map((m) => m.problem).join('; '));
    }
    return new PlateNetEngine(det, detector.manifest, readers as [ReaderModel, ...ReaderModel[]], opts);
  }

  /** How many readers must agree on a plate: 1, or 2 with `secondReader`. */
  get readerCount(): number {
    return this.readers.length;
  }

  /** Plates in `roi` (default: the whole image) with their corners, in image coordinates. */
  async detect(image: RgbImage, roi: Box = { x: 0, y: 0, w: image.width, h: image.height }): Promise<DetectedPlate[]> {
    const { width: inW, height: inH } = this.detManifest.input_size;
    const stride = this.detManifest.stride;
    const lb = letterbox(roi.w, roi.h, inW, inH);
    const input = this.scratch.take(3 * inW * inH);
    try {
      shrinkIntoLetterbox(image, roi, lb, inW, inH, input);
      const tensor = new ort.Tensor('float32', input, [1, 3, inH, inW]);
      const out = (await this.det.run({ [this.detManifest.input.name]: tensor }))[this.detManifest.output.name]!;
      const [, channels, gridH, gridW] = out.dims as [number, number, number, number];
      if (channels !== DETECTOR_CHANNELS || gridH * stride !== inH || gridW * stride !== inW) {
        throw new Error(
          `${DETECTOR_FILE}: output [${out.dims.join(', ')}], expected [1, ${DETECTOR_CHANNELS}, ${inH / stride}, ${inW / stride}]`,
        );
      }
      const map = {
        scaleX: lb.scaleX,
        scaleY: lb.scaleY,
        originX: roi.x,
        originY: roi.y,
        imageW: image.width,
        imageH: image.height,
      };
      return decodeDetections(out.data as Float32Array, gridW, gridH, stride, map, this.opts.detection);
    } finally {
      this.scratch.give(input);
    }
  }

  async find(image: RgbImage, roi?: Box): Promise<PlateRegion[]> {
    return (await this.detect(image, roi)).map((p) => toRegion(p, this.opts.twoRowThreshold, image));
  }

  async read(image: RgbImage, regions: readonly PlateRegion[]): Promise<RawPlateText[]> {
    const { quads, indexOf } = uniqueQuads(regions);
    if (!this.opts.secondRead) {
      const decoded = await this.readQuads(image, quads);
      return indexOf.map((i) => toRawPlateText(decoded[i]!));
    }
    // One batch: each quad as cut, then each pushed out.
    const both = await this.readQuads(image, [...quads, ...quads.map((q) => expandQuad(q, SECOND_READ_MARGIN))]);
    const decoded = quads.map((_, i) => agreeOrAbstain(both[i]!, both[i + quads.length]!));
    return indexOf.map((i) => toRawPlateText(decoded[i]!));
  }

  /**
   * Each region given as a box (a crop offered whole) read again from the cuts of reread.ts, all
   * in one batch, one read per cut (no second read). A region the detector found gets none: its
   * corners already fit the plate, while a crop's edges are wherever its maker put them (on the
   * lane track the one reread of a detected plate that the grammar took was a plate half out of
   * the frame, read short).
   */
  async reread(image: RgbImage, regions: readonly PlateRegion[]): Promise<RawPlateText[][]> {
    const boxes = regions.filter((region) => !region.corners);
    const { quads, indexOf } = uniqueQuads(boxes);
    const cuts = quads.map(rereadQuads);
    const decoded = (await this.readQuads(image, cuts.flat())).map(toRawPlateText);
    let box = 0;
    return regions.map((region) => {
      if (region.corners) return [];
      const i = indexOf[box++]!;
      return decoded.slice(i * REREAD_MARGINS.length, (i + 1) * REREAD_MARGINS.length);
    });
  }

  /**
   * Reads several quads (TL TR BR BL, image coordinates) in one batch: their rows of decoded
   * characters. With a second reader, both read the same batch and each plate keeps the first
   * reader's characters where they agree (second-opinion.ts).
   */
  async readQuads(image: RgbImage, quads: readonly (readonly Point[])[]) {
    if (quads.length === 0) return [];
    const manifest = this.readers[0].manifest;
    const [, , height, width] = manifest.input.shape as [unknown, unknown, number, number];
    const slot = height * width;
    const input = this.scratch.take(quads.length * slot);
    try {
      // A degenerate quad reads as a blank (mid-grey) input: nothing, rather than garbage.
      quads.forEach((q, i) => {
        if (!rectifyLuma(image, q, width, height, input, i * slot)) input.fill(0, i * slot, (i + 1) * slot);
      });
      const tensor = new ort.Tensor('float32', input, [quads.length, 1, height, width]);
      // One after the other: onnxruntime-node runs a session on the JavaScript thread anyway.
      const byReader = [];
      for (const reader of this.readers) byReader.push(await runReader(reader, tensor, quads.length));
      return agreeAcrossReaders(byReader);
    } finally {
      this.scratch.give(input);
    }
  }

  async close(): Promise<void> {
    await Promise.all([this.det.release(), ...this.readers.map((r) => r.session.release())]);
  }
}

/** One reader's decoded rows for each of a batch's `count` plates. */
async function runReader(reader: ReaderModel, tensor: ort.Tensor, count: number) {
  const { session, manifest, file } = reader;
  const out = (await session.run({ [manifest.input.name]: tensor }))[manifest.output.name]!;
  const [, steps, classes] = out.dims as [number, number, number];
  const { charset, row_break, row_steps } = manifest;
  if (classes !== charset.length)
    throw new Error(`${file}: ${classes} output classes but ${charset.length} in the manifest's charset`);
  const all = out.data as Float32Array;
  return Array.from({ length: count }, (_, i) =>
    decodePlateRows(
      all.subarray(i * steps * classes, (i + 1) * steps * classes),
      steps,
      classes,
      charset,
      row_break,
      row_steps,
    ),
  );
}

/** What two readers' manifests disagree on that would make their reads incomparable, or null. */
function readerMismatch(a: ReaderManifest, b: ReaderManifest): string | null {
  if (a.input.shape.join(',') !== b.input.shape.join(',')) return 'input shape';
  if (JSON.stringify(a.charset) !== JSON.stringify(b.charset)) return 'charset';
  if (a.row_break !== b.row_break || a.row_steps !== b.row_steps) return 'row layout';
  return null;
}

/**
 * The quads the reader reads `regions` from, once each: the reader decides a plate's rows itself,
 * so regions on the same quad (a crop offered whole and as two halves) are one reading.
 * `indexOf[k]` is region k's quad.
 */
function uniqueQuads(regions: readonly PlateRegion[]): { quads: Point[][]; indexOf: number[] } {
  const index = new Map<string, number>();
  const quads: Point[][] = [];
  const indexOf = regions.map((region) => {
    const corners = region.corners ? expandQuad(region.corners) : boxCorners(region.box);
    const key = corners.map((c) => `${c[0].toFixed(2)},${c[1].toFixed(2)}`).join(' ');
    let i = index.get(key);
    if (i === undefined) {
      i = quads.push(corners) - 1;
      index.set(key, i);
    }
    return i;
  });
  return { quads, indexOf };
}

/** Tensor names the manifest promises and the graph lacks (a manifest written for another export). */
function namesMissing(
  file: string,
  session: ort.InferenceSession,
  m: { input: { name: string }; output: { name: string } },
) {
  const problems: { file: string; problem: string }[] = [];
  const add = (problem: string) => problems.push({ file, problem: `${file}: ${problem}` });
  if (!session.inputNames.includes(m.input.name))
    add(`no input named "${m.input.name}" as its manifest says (has ${session.inputNames.join(', ')})`);
  if (!session.outputNames.includes(m.output.name))
    add(`no output named "${m.output.name}" as its manifest says (has ${session.outputNames.join(', ')})`);
  return problems;
}
