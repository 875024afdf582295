import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RgbImage } from '../../src/core/image.js';
import { DEFAULT_MODELS_DIR } from '../../src/vision/engines.js';
import { PlateNetEngine } from '../../src/vision/platenet/engine.js';

// A Chinese truck's plate and its Vietnamese temporary plate side by side on one bumper, drawn
// as the demo clip draws them (scripts/lib/plate-pair-frame.mjs): the detector must give two
// plates, not one box around both.

interface PlatePairFrame {
  platePairFrame(opts: {
    gap: number;
    cnPx?: number;
    seed?: number;
  }): Promise<{ image: RgbImage; boxes: { x: number; w: number }[] }>;
  PAIR_TEXTS: string[];
}
// Imported by URL so the type checker leaves the JavaScript module alone.
const { platePairFrame, PAIR_TEXTS } = (await import(
  new URL('../../scripts/lib/plate-pair-frame.mjs', import.meta.url).href
)) as PlatePairFrame;

let engine: PlateNetEngine;

beforeAll(async () => {
  engine = await PlateNetEngine.create({ modelsDir: DEFAULT_MODELS_DIR });
}, 60_000);

afterAll(async () => {
  await engine?.close();
});

/** Both plates found and read, each detection on its own plate. */
async function expectBothPlates(gap: number): Promise<void> {
  // The demo clip's scale: 200 px for the Chinese plate's 440 mm.
  const { image, boxes } = await platePairFrame({ gap, cnPx: 200 });
  const found = await engine.detect(image);
  const reads = await engine.readQuads(
    image,
    found.map((p) => p.corners),
  );
  const texts = reads.map((rows) => rows.map((r) => r.map((c) => c.char).join('')).join(''));
  expect(texts.sort()).toEqual(PAIR_TEXTS);
  // Each detection covers most of one plate and reaches at most a tenth of a plate into the
  // other (its corners are a little generous in the gap; the reader reads through that).
  const overlap = (x0: number, x1: number, b: { x: number; w: number }) =>
    Math.max(0, Math.min(x1, b.x + b.w) - Math.max(x0, b.x));
  for (const p of found) {
    const xs = p.corners.map((c) => c[0]);
    const [x0, x1] = [Math.min(...xs), Math.max(...xs)];
    const covered = boxes.map((b) => overlap(x0, x1, b) / b.w);
    expect(
      covered.filter((c) => c > 0.8),
      `corners ${JSON.stringify(p.corners)}`,
    ).toHaveLength(1);
    expect(Math.min(...covered), `corners ${JSON.stringify(p.corners)}`).toBeLessThan(0.1);
  }
}

describe('PlateNetEngine on two plates side by side', () => {
  it('finds and reads both plates 80 px apart (as the demo clip mounts them, 162 px), each box on its own plate', async () => {
    await expectBothPlates(80);
  });

  // The detector is trained with two plates side by side in some scenes (`scenes.mjs --pairs
  // 0.4`, docs/training.md); the first one found one box around both up to 80 px apart.
  it('finds and reads both plates 50 px apart (a quarter of a plate), each box on its own plate', async () => {
    await expectBothPlates(50);
  });

  // Known limitations of the detector of 2026-12-05 at this size (200 px): 36 px apart (0.18 of a
  // plate; the detector of 2026-12-03 split them, this one splits them at 160 and 260 px wide,
  // scripts/sweep-plate-pairs.mjs) and 20 px apart it finds one box around both, or nothing.
  // When a shipped detector splits them, these fail: make them `it`s.
  it.fails('does not split them 36 px apart at this size', async () => {
    await expectBothPlates(36);
  });

  it.fails('does not yet split them 20 px apart', async () => {
    await expectBothPlates(20);
  });
});
