import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_MODELS_DIR } from '../../src/vision/engines.js';
import { PlateNetEngine } from '../../src/vision/platenet/engine.js';
import { boxCorners } from '../../src/vision/platenet/rectify.js';

// scripts/train/detector-crops.mjs on a small labels.tsv folder of frames drawn with the demo
// clip's plate art: the shipped detector finds each plate, the crop is cut at its corners with
// context around it, held-out frames are never written, a frame without a plate is skipped.

const run = promisify(execFile);
const SCRIPT = new URL('../../scripts/train/detector-crops.mjs', import.meta.url).pathname;

interface PlateArt {
  renderPlate(
    spec: Record<string, string>,
    widthPx: number,
    opts: { random: () => number },
  ): Promise<{ png: Buffer; w: number; h: number }>;
  mulberry32(seed: number): () => number;
}
interface HeldOut {
  isHeldOut(folder: string, image: string): boolean;
}
// Imported by URL so the type checker leaves the JavaScript modules alone.
const { renderPlate, mulberry32 } = (await import(
  new URL('../../scripts/lib/plate-art.mjs', import.meta.url).href
)) as PlateArt;
const { isHeldOut } = (await import(new URL('../../scripts/lib/heldout.mjs', import.meta.url).href)) as HeldOut;

const PLATE = { display: 'T25-135.79', country: 'VN', kind: 'temporary', layout: 'one-row', colour: 'white' };
const FOLDER = 'gate-frames';

let dir: string;
/** Image names in the folder: the training frames with a plate, one held out, one without a plate. */
let trainNames: string[];
let heldOutName: string;
let emptyName: string;

/** A 640x384 grey frame with the plate at (x, y), or none; its box. */
async function frame(file: string, at: { x: number; y: number } | null) {
  const art = await renderPlate(PLATE, 180, { random: mulberry32(3) });
  const composite = at ? [{ input: art.png, left: at.x, top: at.y }] : [];
  await sharp({ create: { width: 640, height: 384, channels: 3, background: '#6f7377' } })
    .composite(composite)
    .png()
    .toFile(file);
  return { x: at?.x ?? 200, y: at?.y ?? 150, w: art.w, h: art.h };
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'detector-crops-'));
  const data = join(dir, FOLDER);
  mkdirSync(join(data, 'images'), { recursive: true });
  // Names chosen by the held-out rule, so the folder holds both kinds whatever the rule gives.
  const names = Array.from({ length: 40 }, (_, i) => `images/frame-${i}.png`);
  trainNames = names.filter((n) => !isHeldOut(FOLDER, n)).slice(0, 3);
  heldOutName = names.find((n) => isHeldOut(FOLDER, n))!;
  emptyName = names.filter((n) => !isHeldOut(FOLDER, n))[3]!;
  const rows = ['image\tx\ty\tw\th\tplate\tdisplay'];
  const spots = [
    { x: 60, y: 80 },
    { x: 300, y: 200 },
    { x: 420, y: 40 },
    { x: 200, y: 150 },
  ];
  for (const [i, name] of [...trainNames, heldOutName].entries()) {
    const b = await frame(join(data, name), spots[i]!);
    rows.push(`${name}\t${b.x}\t${b.y}\t${b.w}\t${b.h}\tT2513579\t${PLATE.display}`);
  }
  const b = await frame(join(data, emptyName), null);
  rows.push(`${emptyName}\t${b.x}\t${b.y}\t${b.w}\t${b.h}\tT2513579\t${PLATE.display}`);
  writeFileSync(join(data, 'labels.tsv'), `${rows.join('\n')}\n`);
  await run(process.execPath, [SCRIPT, '--data', data, '--out', join(dir, 'crops')]);
}, 120_000);

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

function labels() {
  const [head, ...rows] = readFileSync(join(dir, 'crops', 'labels.tsv'), 'utf8')
    .trim()
    .split('\n');
  const cols = head!.split('\t');
  return rows.map((r) => Object.fromEntries(r.split('\t').map((v, i) => [cols[i]!, v])));
}

describe('scripts/train/detector-crops.mjs', () => {
  it("writes one crop per training frame the detector finds, with the source row's columns", () => {
    const rows = labels();
    expect(rows.map((r) => r.source_image)).toEqual(trainNames);
    for (const r of rows) {
      expect(r.plate).toBe('T2513579');
      expect(r.display).toBe(PLATE.display);
      expect(Number(r.iou)).toBeGreaterThanOrEqual(0.5);
    }
  });

  it('never writes a held-out frame and counts what it skipped', () => {
    const manifest = JSON.parse(readFileSync(join(dir, 'crops', 'manifest.json'), 'utf8'));
    expect(manifest.counts).toEqual({ rows: 5, heldOut: 1, written: 3, skipped: { 'detector missed the plate': 1 } });
    expect(manifest.source.name).toBe(FOLDER);
    expect(manifest.split).toContain('--val crops=0');
    expect(labels().map((r) => r.source_image)).not.toContain(heldOutName);
  });

  it('cuts the plate upright with context on every side, and the crop reads as the plate', async () => {
    const engine = await PlateNetEngine.create({ modelsDir: DEFAULT_MODELS_DIR });
    try {
      for (const r of labels()) {
        const { data, info } = await sharp(join(dir, 'crops', r.image!))
          .removeAlpha()
          .toColourspace('srgb')
          .raw()
          .toBuffer({ resolveWithObject: true });
        const box = { x: Number(r.x), y: Number(r.y), w: Number(r.w), h: Number(r.h) };
        // 15 % context per side: the box sits in the middle, 0.15 / 1.3 of the crop from each edge.
        expect(box.x / info.width).toBeCloseTo(0.15 / 1.3, 2);
        expect(box.y / info.height).toBeCloseTo(0.15 / 1.3, 2);
        expect(box.w).toBeGreaterThan(170); // the 180 px plate at its own size, give or take the corners
        expect(box.w).toBeLessThan(200);
        const [rows] = await engine.readQuads({ width: info.width, height: info.height, data }, [boxCorners(box)]);
        expect(rows!.map((row) => row.map((c) => c.char).join('')).join('')).toBe('T2513579');
      }
    } finally {
      await engine.close();
    }
  });

  it('names the option when one is missing or wrong', async () => {
    await expect(run(process.execPath, [SCRIPT, '--out', join(dir, 'x')])).rejects.toMatchObject({
      code: 2,
      stderr: expect.stringContaining('--data is required'),
    });
    await expect(
      run(process.execPath, [SCRIPT, '--data', join(dir, FOLDER), '--out', join(dir, 'x'), '--context', 'lots']),
    ).rejects.toMatchObject({
      code: 2,
      stderr: expect.stringContaining('--context must be a number from 0 to 1, got "lots"'),
    });
    await expect(run(process.execPath, [SCRIPT, '--data', dir, '--out', join(dir, 'x')])).rejects.toMatchObject({
      code: 2,
      stderr: expect.stringContaining('holds no labels.tsv'),
    });
    await expect(run(process.execPath, [SCRIPT, '--frames', dir])).rejects.toMatchObject({
      code: 2,
      stderr: expect.stringMatching(/^detector-crops: Unknown option '--frames'.*\nusage: /s),
    });
  });
});
