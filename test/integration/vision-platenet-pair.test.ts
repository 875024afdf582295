import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RgbImage } from '../../src/core/image.js';
import { DEFAULT_MODELS_DIR } from '../../src/vision/engines.js';
import { PlateNetEngine } from '../../src/vision/platenet/engine.js';

// A Chinese truck's plate and its Vietnamese temporary plate side by side on one bumper, drawn
// as the demo clip draws them (scripts/lib/plate-art.mjs): the detector must give two plates,
// not one box around both.

interface PlateArt {
  renderPlate(spec: Record<string, string>, widthPx: number, opts: { random: () => number }): Promise<{ png: Buffer; w: number; h: number }>;
  mulberry32(seed: number): () => number;
}
// Imported by URL so the type checker leaves the JavaScript module alone.
const { renderPlate, mulberry32 } = (await import(new URL('../../scripts/lib/plate-art.mjs', import.meta.url).href)) as PlateArt;

const CN = { display: '云A·68420', country: 'CN', kind: 'ordinary', layout: 'one-row', colour: 'yellow' };
const VN = { display: 'T25-135.79', country: 'VN', kind: 'temporary', layout: 'one-row', colour: 'white' };
// The demo clip's scale: 200 px for the Chinese plate's 440 mm, so 236 px for the Vietnamese 520 mm.
const CN_PX = 200, VN_PX = Math.round((200 / 440) * 520);

let engine: PlateNetEngine;

/** A 1280x720 frame: grey road, a red truck front, the two plates `gap` px apart. */
async function truckFrame(gap: number): Promise<{ image: RgbImage; boxes: { x: number; w: number }[] }> {
  const random = mulberry32(7);
  const [cn, vn] = [await renderPlate(CN, CN_PX, { random }), await renderPlate(VN, VN_PX, { random })];
  const left = Math.round((1280 - (CN_PX + gap + VN_PX)) / 2);
  const boxes = [{ x: left, w: CN_PX }, { x: left + CN_PX + gap, w: VN_PX }];
  const { data, info } = await sharp({ create: { width: 1280, height: 720, channels: 3, background: '#7a7d80' } })
    .composite([
      { input: { create: { width: 760, height: 300, channels: 3, background: '#b8452e' } }, left: 260, top: 330 },
      { input: cn.png, left: boxes[0]!.x, top: 500 },
      { input: vn.png, left: boxes[1]!.x, top: 500 },
    ])
    .removeAlpha()
    .raw()
    .toBuffer({ resolveWithObject: true });
  return { image: { width: info.width, height: info.height, data }, boxes };
}

beforeAll(async () => {
  engine = await PlateNetEngine.create({ modelsDir: DEFAULT_MODELS_DIR });
}, 60_000);

afterAll(async () => {
  await engine?.close();
});

/** Both plates found and read, each detection on its own plate. */
async function expectBothPlates(gap: number): Promise<void> {
  const { image, boxes } = await truckFrame(gap);
  const found = await engine.detect(image);
  const reads = await engine.readQuads(image, found.map((p) => p.corners));
  const texts = reads.map((rows) => rows.map((r) => r.map((c) => c.char).join('')).join(''));
  expect(texts.sort()).toEqual(['T2513579', '云A68420']);
  // Each detection covers most of one plate and reaches at most a tenth of a plate into the
  // other (its corners are a little generous in the gap; the reader reads through that).
  const overlap = (x0: number, x1: number, b: { x: number; w: number }) => Math.max(0, Math.min(x1, b.x + b.w) - Math.max(x0, b.x));
  for (const p of found) {
    const xs = p.corners.map((c) => c[0]);
    const [x0, x1] = [Math.min(...xs), Math.max(...xs)];
    const covered = boxes.map((b) => overlap(x0, x1, b) / b.w);
    expect(covered.filter((c) => c > 0.8), `corners ${JSON.stringify(p.corners)}`).toHaveLength(1);
    expect(Math.min(...covered), `corners ${JSON.stringify(p.corners)}`).toBeLessThan(0.1);
  }
}

describe('PlateNetEngine on two plates side by side', () => {
  it('finds and reads both plates 80 px apart (as the demo clip mounts them, 162 px), each box on its own plate', async () => {
    await expectBothPlates(80);
  });

  // The detector was trained with two plates side by side in some scenes (`scenes.mjs --pairs
  // 0.4`, docs/training.md); before that it found one box around both at 36 px.
  it('finds and reads both plates 36 px apart (0.18 of a plate), each box on its own plate', async () => {
    await expectBothPlates(36);
  });

  // Known limitation: 20 px apart (a tenth of a plate) it still finds one box around both, or
  // nothing. When a shipped detector splits them, this fails: make it an `it`.
  it.fails('does not yet split them 20 px apart', async () => {
    await expectBothPlates(20);
  });
});
