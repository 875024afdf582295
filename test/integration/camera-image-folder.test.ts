import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemClock } from '../../src/core/clock.js';
import { silentLogger } from '../../src/core/log.js';
import { createFrameSource } from '../../src/camera/factory.js';
import type { Frame, FrameSource } from '../../src/camera/types.js';

const W = 16;
const H = 8;
/** What each image should decode to, in file-name order (2 before 10: numeric order). */
const EXPECTED_RGB = [
  [255, 0, 0],
  [0, 200, 0],
  [128, 128, 128],
  [0, 0, 255],
];

async function makeImages(dir: string): Promise<void> {
  const solid = (r: number, g: number, b: number, width: number, height: number) =>
    sharp({ create: { width, height, channels: 3, background: { r, g, b } } });
  await solid(255, 0, 0, 64, 48).png().toFile(join(dir, 'img1.png'));
  // An opaque alpha channel must go, not end up as a fourth byte per pixel.
  await sharp({ create: { width: 40, height: 40, channels: 4, background: { r: 0, g: 200, b: 0, alpha: 1 } } })
    .png()
    .toFile(join(dir, 'img2.png'));
  // A greyscale JPEG still becomes three channels.
  await sharp(Buffer.alloc(32 * 32, 128), { raw: { width: 32, height: 32, channels: 1 } })
    .jpeg({ quality: 100 })
    .toFile(join(dir, 'img3.jpg'));
  await solid(0, 0, 255, 8, 8).png().toFile(join(dir, 'img10.png'));
  await writeFile(join(dir, 'notes.txt'), 'not an image');
}

function folderSource(dir: string, loop: boolean): FrameSource {
  return createFrameSource(
    {
      id: 'folder-test',
      url: pathToFileURL(dir).href,
      fps: 20,
      width: W,
      height: H,
      stallTimeoutMs: 5_000,
      backoff: { initialMs: 250, maxMs: 2_000 },
      loop,
    },
    { clock: systemClock, log: silentLogger },
  );
}

/** Every pixel of the frame, checked against the colour of the image it must come from. */
function expectImage(frame: Frame, imageIndex: number): void {
  expect(frame).toMatchObject({ width: W, height: H });
  expect(frame.data.length).toBe(W * H * 3);
  const rgb = EXPECTED_RGB[imageIndex]!;
  const worst = Math.max(...Array.from(frame.data, (v, i) => Math.abs(v - rgb[i % 3]!)));
  expect(worst).toBeLessThanOrEqual(2); // JPEG rounding
}

describe('image-folder source', () => {
  let dir: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'smartgate-images-'));
    await makeImages(dir);
  });

  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('shows each image once, in name order, then ends', async () => {
    const source = folderSource(dir, false);
    await source.start();
    const frames: Frame[] = [];
    try {
      for (
        let f = await source.next(AbortSignal.timeout(10_000));
        f;
        f = await source.next(AbortSignal.timeout(10_000))
      ) {
        frames.push(f);
      }
    } finally {
      await source.stop();
    }
    // seq n is the n-th image shown; a frame the consumer missed would be a gap, not a mix-up.
    for (const frame of frames) expectImage(frame, frame.seq - 1);
    const stats = source.stats();
    expect(stats.framesIn).toBe(4);
    expect(frames.length + stats.framesDropped).toBe(4);
    expect(frames.length).toBeGreaterThan(0);
  });

  it('starts over after the last image when looping', async () => {
    const source = folderSource(dir, true);
    await source.start();
    try {
      let frame: Frame | null = null;
      while (!frame || frame.seq <= 9) {
        frame = await source.next(AbortSignal.timeout(10_000));
        if (frame) expectImage(frame, (frame.seq - 1) % 4);
      }
      expect(source.stats().state).toBe('streaming');
    } finally {
      await source.stop();
    }
    expect(source.stats().state).toBe('stopped');
    expect(await source.next()).toBeNull();
  });
});
