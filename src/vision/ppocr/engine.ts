import * as ort from 'onnxruntime-node';
import type { Box, RgbImage } from '../../core/image.js';
import type { PlateFinder, PlateReader, PlateRegion, RawPlateText } from '../types.js';
import { groupPlateRows } from '../rows.js';
import { ctcGreedyDecode, toRawPlateText } from '../ctc.js';
import { cropResize, detInputSize, toDetTensor } from './det-pre.js';
import { dbBoxes, defaultDbPost, type DbPostOptions } from './det-post.js';
import { cropRow, recWidth, REC_HEIGHT, writeRecSlot } from './rec-pre.js';
import { defaultModelPaths, loadCharset, PPOCR_PINS, type PpOcrModelPaths } from './models.js';
import { readVerifiedModel, type ModelPin } from '../model-manifest.js';

export interface PpOcrOptions {
  models: PpOcrModelPaths;
  /** What each of `models` must be (size and sha256); checked before any session is created. */
  pins: Readonly<Record<keyof PpOcrModelPaths, ModelPin>>;
  /** Longest side of the detector's input; larger finds smaller text but costs time. */
  detMaxSide: number;
  /** Small images are enlarged to at least this longest side before detection. */
  detMinSide: number;
  db: DbPostOptions;
  /** Widest row crop fed to the recogniser, in pixels at height 48. */
  recMaxWidth: number;
  /** Threads per model session; the gate computer has two cores. */
  threads: number;
}

export const defaultPpOcrOptions = (): PpOcrOptions => ({
  models: defaultModelPaths(),
  pins: PPOCR_PINS,
  detMaxSide: 960,
  detMinSide: 640,
  db: defaultDbPost,
  recMaxWidth: 480,
  threads: 1,
});

/**
 * The first recognition engine: PaddleOCR's PP-OCRv4 text detector finds text lines, which are
 * grouped into one- and two-row plate candidates, and its recogniser reads each row. Sessions
 * are created once in `create`; scratch tensors are reused between calls of the same size.
 */
export class PpOcrEngine implements PlateFinder, PlateReader {
  private detScratch = { input: new Float32Array(0), labels: new Int32Array(0) };

  private constructor(
    private readonly det: ort.InferenceSession,
    private readonly rec: ort.InferenceSession,
    private readonly charset: string[],
    private readonly opts: PpOcrOptions,
  ) {}

  static async create(overrides: Partial<PpOcrOptions> = {}): Promise<PpOcrEngine> {
    const opts = { ...defaultPpOcrOptions(), ...overrides };
    const sessionOpts: ort.InferenceSession.SessionOptions = {
      intraOpNumThreads: opts.threads,
      interOpNumThreads: 1,
      graphOptimizationLevel: 'all',
    };
    // Throws ModelIntegrityError on a file that is not the pinned one.
    const verified = (key: keyof PpOcrModelPaths) =>
      readVerifiedModel(opts.models[key], opts.pins[key], 'the PP-OCRv4 pin');
    const files = {
      detection: verified('detection'),
      recognition: verified('recognition'),
      dictionary: verified('dictionary'),
    };
    const [det, rec] = await Promise.all([
      ort.InferenceSession.create(files.detection, sessionOpts),
      ort.InferenceSession.create(files.recognition, sessionOpts),
    ]);
    return new PpOcrEngine(det, rec, loadCharset(files.dictionary), opts);
  }

  /** Text lines in `roi` (default: the whole image), in image coordinates. */
  async findLines(image: RgbImage, roi: Box = { x: 0, y: 0, w: image.width, h: image.height }) {
    const size = detInputSize(roi.w, roi.h, this.opts.detMaxSide, this.opts.detMinSide);
    const rgb = await cropResize(image, roi, size);
    const n = size.w * size.h;
    if (this.detScratch.input.length !== 3 * n) {
      this.detScratch = { input: new Float32Array(3 * n), labels: new Int32Array(n) };
    }
    const input = new ort.Tensor('float32', toDetTensor(rgb, size.w, size.h, this.detScratch.input), [
      1,
      3,
      size.h,
      size.w,
    ]);
    const out = await this.det.run({ [this.det.inputNames[0]!]: input });
    const prob = out[this.det.outputNames[0]!]!.data as Float32Array;
    const sx = roi.w / size.w;
    const sy = roi.h / size.h;
    return dbBoxes(prob, size.w, size.h, this.opts.db, this.detScratch.labels).map((b) => {
      const x = roi.x + Math.floor(b.x * sx);
      const y = roi.y + Math.floor(b.y * sy);
      const x1 = Math.min(roi.x + roi.w, roi.x + Math.ceil((b.x + b.w) * sx));
      const y1 = Math.min(roi.y + roi.h, roi.y + Math.ceil((b.y + b.h) * sy));
      return { x, y, w: Math.max(1, x1 - x), h: Math.max(1, y1 - y), score: b.score };
    });
  }

  async find(image: RgbImage, roi?: Box): Promise<PlateRegion[]> {
    return groupPlateRows(await this.findLines(image, roi));
  }

  async read(image: RgbImage, regions: readonly PlateRegion[]): Promise<RawPlateText[]> {
    // Regions share rows (a line is offered alone and as half of a pair): read each once.
    const unique = new Map<string, { box: Box; index: number }>();
    for (const region of regions) {
      for (const row of region.rows) {
        const key = boxKey(row);
        if (!unique.has(key)) unique.set(key, { box: row, index: unique.size });
      }
    }
    const decoded = await this.readRows(
      image,
      [...unique.values()].map((u) => u.box),
    );
    return regions.map((region) => toRawPlateText(region.rows.map((row) => decoded[unique.get(boxKey(row))!.index]!)));
  }

  /** Reads several row boxes in one batch. */
  async readRows(image: RgbImage, rows: readonly Box[]) {
    if (rows.length === 0) return [];
    const widths = rows.map((b) => recWidth(b, this.opts.recMaxWidth));
    const batchWidth = Math.max(...widths);
    const data = new Float32Array(rows.length * 3 * REC_HEIGHT * batchWidth);
    const crops = await Promise.all(rows.map((b, i) => cropRow(image, b, widths[i]!)));
    crops.forEach((rgb, i) => writeRecSlot(rgb, widths[i]!, batchWidth, i, data));
    const input = new ort.Tensor('float32', data, [rows.length, 3, REC_HEIGHT, batchWidth]);
    const out = await this.rec.run({ [this.rec.inputNames[0]!]: input });
    const probs = out[this.rec.outputNames[0]!]!;
    const [, steps, classes] = probs.dims as [number, number, number];
    const all = probs.data as Float32Array;
    return rows.map((_, i) =>
      ctcGreedyDecode(all.subarray(i * steps * classes, (i + 1) * steps * classes), steps, classes, this.charset),
    );
  }

  async close(): Promise<void> {
    await Promise.all([this.det.release(), this.rec.release()]);
  }
}

const boxKey = (b: Box) => `${b.x},${b.y},${b.w},${b.h}`;
