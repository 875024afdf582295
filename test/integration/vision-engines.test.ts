import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createEngine, createEngines, DEFAULT_MODELS_DIR, type EngineName } from '../../src/vision/engines.js';
import { ModelIntegrityError } from '../../src/vision/model-manifest.js';
import { PPOCR_PINS } from '../../src/vision/ppocr/models.js';
import { PpOcrEngine } from '../../src/vision/ppocr/engine.js';
import { PlateNetEngine } from '../../src/vision/platenet/engine.js';

describe('createEngine', () => {
  it('refuses an unknown name', async () => {
    await expect(createEngine('tesseract' as EngineName)).rejects.toThrow(
      'unknown recognition engine "tesseract" (expected ppocr or platenet)',
    );
  });

  it('refuses PP-OCRv4 files that are not the pinned ones, before loading them', async () => {
    const pins = { ...PPOCR_PINS, recognition: { ...PPOCR_PINS.recognition, sha256: '0'.repeat(64) } };
    const err = await PpOcrEngine.create({ pins }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ModelIntegrityError);
    expect((err as Error).message).toMatch(
      /ch_PP-OCRv4_rec_infer\.onnx: not the model the PP-OCRv4 pin describes: expected sha256 0{64}, actual sha256 06b3e6af/,
    );
  });
});

describe('PlateNetEngine.create', () => {
  it("refuses a manifest whose tensor names are not the graph's, naming the file", async () => {
    const dir = await mkdtemp(join(tmpdir(), 'smartgate-names-'));
    try {
      await cp(DEFAULT_MODELS_DIR, dir, { recursive: true });
      const path = join(dir, 'plate-reader.manifest.json');
      const manifest = JSON.parse(await readFile(path, 'utf8'));
      manifest.input.name = 'pixels';
      await writeFile(path, JSON.stringify(manifest));
      const err = await PlateNetEngine.create({ modelsDir: dir }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ModelIntegrityError);
      expect((err as Error).message).toContain(
        `${join(dir, 'plate-reader.onnx')}: no input named "pixels" as its manifest says (has image)`,
      );
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('createEngines', () => {
  it('creates each engine the lanes name once and shares it', async () => {
    const set = await createEngines([
      { engine: 'platenet' },
      { engine: 'ppocr' },
      { engine: 'ppocr', modelsDir: '/elsewhere' },
    ]);
    try {
      const platenet = set.forChoice({ engine: 'platenet' });
      expect(platenet).toBeInstanceOf(PlateNetEngine);
      expect(set.forChoice({ engine: 'ppocr' })).toBeInstanceOf(PpOcrEngine);
      // ppocr's models come from its package: a models folder does not make another one.
      expect(set.forChoice({ engine: 'ppocr', modelsDir: '/elsewhere' })).toBe(set.forChoice({ engine: 'ppocr' }));
      expect(() => set.forChoice({ engine: 'platenet', modelsDir: '/elsewhere' })).toThrow(
        /no platenet engine was created/,
      );
    } finally {
      await set.close();
    }
  });
});
