import { execFile } from 'node:child_process';
import { copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RgbImage } from '../../src/core/image.js';
import { decodeImage } from '../../src/cli/recognize.js';
import { DEFAULT_MODELS_DIR } from '../../src/vision/engines.js';
import { PlateNetEngine } from '../../src/vision/platenet/engine.js';
import { ModelIntegrityError, readManifest } from '../../src/vision/model-manifest.js';
import {
  DETECTOR_FILE,
  READER_FILE,
  readerManifestSchema,
  SECOND_READER_FILE,
} from '../../src/vision/platenet/manifests.js';
import { boxCorners, expandQuad } from '../../src/vision/platenet/rectify.js';
import { REREAD_MARGINS } from '../../src/vision/platenet/reread.js';
import { toRawPlateText } from '../../src/vision/ctc.js';
import type { PlateRegion } from '../../src/vision/types.js';
import { demoClip } from '../helpers/demo-clip.js';

// The shipped models on a real frame. Only what holds for any correctly wired model is
// asserted (shapes, coordinates, strings over the charset), not accuracy: the models are
// still being trained.

let dir: string;
let frame: RgbImage;
let engine: PlateNetEngine;
/** The same models with every cell a detection, so decoding is exercised whatever the model scores. */
let eager: PlateNetEngine;
const charset = readManifest(join(DEFAULT_MODELS_DIR, READER_FILE), readerManifestSchema).charset;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'smartgate-platenet-'));
  const still = join(dir, 'frame.png');
  const { path } = await demoClip();
  await promisify(execFile)('/usr/bin/ffmpeg', [
    '-hide_banner',
    '-loglevel',
    'error',
    '-ss',
    '3',
    '-i',
    path,
    '-frames:v',
    '1',
    '-y',
    still,
  ]);
  frame = await decodeImage(still);
  engine = await PlateNetEngine.create({ modelsDir: DEFAULT_MODELS_DIR });
  eager = await PlateNetEngine.create({
    modelsDir: DEFAULT_MODELS_DIR,
    detection: { threshold: 0, nmsIou: 0.4, maxPlates: 8, minArea: 0 },
  });
}, 60_000);

afterAll(async () => {
  await engine?.close();
  await eager?.close();
  await rm(dir, { recursive: true, force: true });
});

const inside = (p: readonly [number, number], box: { x: number; y: number; w: number; h: number }) =>
  p[0] >= box.x && p[0] <= box.x + box.w && p[1] >= box.y && p[1] <= box.y + box.h;

/** The whole frame offered as a plate crop, as readPlateCrop offers one: as one row, and as two halves. */
function frameAsCrop(): { whole: PlateRegion; halves: PlateRegion } {
  const box = { x: 0, y: 0, w: frame.width, h: frame.height };
  const half = Math.floor(frame.height / 2);
  return {
    whole: { box, rows: [box], score: 1 },
    halves: {
      box,
      rows: [
        { ...box, h: half },
        { ...box, y: half, h: frame.height - half },
      ],
      score: 1,
    },
  };
}

/**
 * A models folder with the shipped detector and reader, and the shipped reader again as
 * plate-reader-2.onnx, its manifest changed by `edit` (the `model` field names the new file);
 * with `edit` null, no second reader.
 */
async function modelsWithSecondReader(
  name: string,
  edit: ((m: Record<string, unknown>) => Record<string, unknown>) | null,
) {
  const models = join(dir, name);
  await mkdir(models);
  const manifestOf = (file: string) => file.replace(/\.onnx$/, '.manifest.json');
  for (const file of [DETECTOR_FILE, READER_FILE]) {
    await copyFile(join(DEFAULT_MODELS_DIR, file), join(models, file));
    await copyFile(join(DEFAULT_MODELS_DIR, manifestOf(file)), join(models, manifestOf(file)));
  }
  if (!edit) return models;
  await copyFile(join(DEFAULT_MODELS_DIR, READER_FILE), join(models, SECOND_READER_FILE));
  const manifest = JSON.parse(await readFile(join(DEFAULT_MODELS_DIR, manifestOf(READER_FILE)), 'utf8')) as Record<
    string,
    unknown
  >;
  await writeFile(
    join(models, manifestOf(SECOND_READER_FILE)),
    JSON.stringify(edit({ ...manifest, model: SECOND_READER_FILE })),
  );
  return models;
}

const readable = (text: string) => [...text].every((c) => charset.includes(c) && c !== '|' && c !== charset[0]);

describe('PlateNetEngine on a real frame', () => {
  it('finds regions whose corners and rows lie inside the image and the region', async () => {
    for (const e of [engine, eager]) {
      const regions = await e.find(frame);
      expect(regions.length).toBeLessThanOrEqual(8);
      for (const r of regions) {
        expect(r.corners).toHaveLength(4);
        const image = { x: 0, y: 0, w: frame.width, h: frame.height };
        for (const c of r.corners!) expect(inside(c, image)).toBe(true);
        for (const c of r.corners!)
          expect(inside(c, { x: r.box.x - 1, y: r.box.y - 1, w: r.box.w + 2, h: r.box.h + 2 })).toBe(true);
        expect(r.rows.length === 1 || r.rows.length === 2).toBe(true);
        expect(r.score).toBeGreaterThanOrEqual(e === engine ? 0.3 : 0);
        expect(r.score).toBeLessThanOrEqual(1);
      }
    }
    expect((await eager.find(frame)).length).toBe(8);
  });

  it('keeps the detections of a region of interest inside the image, offset to it', async () => {
    const roi = { x: 240, y: 280, w: 800, h: 440 };
    const whole = await eager.detect(frame);
    const inRoi = await eager.detect(frame, roi);
    expect(inRoi).toHaveLength(8);
    expect(inRoi).not.toEqual(whole);
    for (const p of inRoi)
      for (const c of p.corners) expect(inside(c, { x: 0, y: 0, w: frame.width, h: frame.height })).toBe(true);
  });

  it('reads every region as rows over the charset, batched, the same as one by one', async () => {
    const regions: PlateRegion[] = [
      ...(await eager.find(frame)).slice(0, 3),
      { box: { x: 500, y: 400, w: 240, h: 80 }, rows: [{ x: 500, y: 400, w: 240, h: 80 }], score: 1 },
    ];
    const batch = await engine.read(frame, regions);
    expect(batch).toHaveLength(regions.length);
    for (const [i, text] of batch.entries()) {
      expect(text.confidence).toBeGreaterThanOrEqual(0);
      expect(text.confidence).toBeLessThanOrEqual(1);
      for (const row of text.rows) {
        expect(row.length).toBeGreaterThan(0);
        expect(readable(row)).toBe(true);
      }
      expect(text.alternatives!.map((r) => r.length)).toEqual(text.rows.map((r) => r.length));
      const [alone] = await engine.read(frame, [regions[i]!]);
      expect(alone!.rows).toEqual(text.rows);
      expect(alone!.confidence).toBeCloseTo(text.confidence, 4);
    }
  });

  it('reads a crop offered whole and as two halves once, as one plate', async () => {
    const { whole, halves } = frameAsCrop();
    const [a, b] = await engine.read(frame, [whole, halves]);
    expect(b).toEqual(a);
  });

  it('rereads a crop offered whole from its other cuts, once for both ways it is offered, and no detected plate', async () => {
    const [found] = await eager.find(frame);
    const { whole, halves } = frameAsCrop();
    const regions: PlateRegion[] = [whole, found!, halves];
    const rereads = await engine.reread(frame, regions);
    expect(rereads.map((r) => r.length)).toEqual([REREAD_MARGINS.length, 0, REREAD_MARGINS.length]);
    // Each cut is the box moved by the cut's margin, read alone.
    for (const [k, margin] of REREAD_MARGINS.entries()) {
      const [alone] = await engine.readQuads(frame, [expandQuad(boxCorners(whole.box), margin)]);
      expect(rereads[0]![k]!.rows).toEqual(toRawPlateText(alone!).rows);
      expect(rereads[0]![k]!.confidence).toBeCloseTo(toRawPlateText(alone!).confidence, 4);
    }
    expect(rereads[2]).toEqual(rereads[0]);
    expect(REREAD_MARGINS).not.toContain(0); // a cut of no margin would be the first read again
  });

  it('reads with the second reader when asked: the same reader twice reads what one reads', async () => {
    const models = await modelsWithSecondReader('twice', (m) => m);
    const twice = await PlateNetEngine.create({ modelsDir: models, secondReader: true });
    const once = await PlateNetEngine.create({ modelsDir: models });
    try {
      expect([engine.readerCount, once.readerCount, twice.readerCount]).toEqual([1, 1, 2]);
      const regions = [...(await eager.find(frame)).slice(0, 3), frameAsCrop().whole];
      const [one, two] = [await engine.read(frame, regions), await twice.read(frame, regions)];
      expect(two.map((t) => t.rows)).toEqual(one.map((t) => t.rows));
      two.forEach((t, i) => expect(t.confidence).toBeCloseTo(one[i]!.confidence, 5));
    } finally {
      await twice.close();
      await once.close();
    }
  });

  it('refuses to read with a second reader its models folder does not hold', async () => {
    const created = PlateNetEngine.create({
      modelsDir: await modelsWithSecondReader('none', null),
      secondReader: true,
    });
    await expect(created).rejects.toBeInstanceOf(ModelIntegrityError);
    await expect(created).rejects.toThrow(SECOND_READER_FILE);
  });

  it('refuses a second reader whose characters are not the first reader\u2019s', async () => {
    const models = await modelsWithSecondReader('other-charset', (m) => ({
      ...m,
      charset: [...(m.charset as string[])].reverse(),
    }));
    const created = PlateNetEngine.create({ modelsDir: models, secondReader: true });
    await expect(created).rejects.toBeInstanceOf(ModelIntegrityError);
    await expect(created).rejects.toThrow(
      `${SECOND_READER_FILE}: its charset differs from ${READER_FILE}'s; a second reader must read the same input into the same characters`,
    );
  });

  it('finds no plate in a flat grey image', async () => {
    const grey = { width: 640, height: 360, data: Buffer.alloc(640 * 360 * 3, 128) };
    expect(await engine.find(grey)).toEqual([]);
  });
});
