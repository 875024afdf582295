import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import type { CameraStats, Frame, FrameSource } from '../../src/camera/types.js';
import { EventBus } from '../../src/core/bus.js';
import { FakeClock } from '../helpers/fake-clock.js';
import type { Box, RgbImage } from '../../src/core/image.js';
import { silentLogger } from '../../src/core/log.js';
import type { LaneEvents } from '../../src/lane/events.js';
import { LaneReader, type LastPlate } from '../../src/lane/reading/lane-reader.js';
import type { PlateFinder, PlateReader, PlateRegion, RawPlateText } from '../../src/vision/types.js';
import { AnnotatedFrameRenderer, overlaySvg, type LaneFrames } from '../../src/lane/reading/annotated-frame.js';

const W = 1280;
const H = 720;
const BOX: Box = { x: 480, y: 400, w: 240, h: 80 };

/** A smooth gradient, so JPEG keeps it close and any drawing stands out. */
function syntheticFrame(clock: FakeClock, seq = 1): Frame {
  const data = Buffer.alloc(W * H * 3);
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < W; x++) {
      const i = (y * W + x) * 3;
      data[i] = Math.round((x / W) * 200);
      data[i + 1] = Math.round((y / H) * 200);
      data[i + 2] = 90;
    }
  }
  return { width: W, height: H, data, seq, capturedAt: clock.now(), monotonicAt: clock.monotonic() };
}

class StubLane implements LaneFrames {
  frame: { frame: Frame; at: number } | null = null;
  plate: LastPlate | null = null;
  latestFrame() {
    return this.frame;
  }
  lastPlate() {
    return this.plate;
  }
}

async function decode(jpeg: Buffer): Promise<{ data: Buffer; width: number; height: number }> {
  const { data, info } = await sharp(jpeg).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  return { data, width: info.width, height: info.height };
}

/** The plain frame at the output size, as the renderer would send it without a plate. */
async function plain(frame: Frame, width: number, height: number): Promise<Buffer> {
  return sharp(frame.data, { raw: { width: frame.width, height: frame.height, channels: 3 } })
    .resize(width, height, { fit: 'fill' })
    .raw()
    .toBuffer();
}

/** Mean absolute difference per channel inside `box` (output pixels). */
function meanDiff(a: Buffer, b: Buffer, width: number, box: Box): number {
  let sum = 0;
  let n = 0;
  for (let y = box.y; y < box.y + box.h; y++) {
    for (let x = box.x; x < box.x + box.w; x++) {
      for (let c = 0; c < 3; c++) {
        const i = (y * width + x) * 3 + c;
        sum += Math.abs(a[i]! - b[i]!);
        n++;
      }
    }
  }
  return sum / n;
}

/** The box's outline strip (3 px on its top edge), in output pixels at 960/1280 scale. */
const TOP_EDGE: Box = { x: 360 + 10, y: 300 - 1, w: 160, h: 3 };
/** A corner far from the box and the label. */
const FAR_CORNER: Box = { x: 900, y: 20, w: 40, h: 40 };

function setup(options = {}) {
  const clock = new FakeClock();
  const lane = new StubLane();
  const renderer = new AnnotatedFrameRenderer((id) => (id === 'lane-1' ? lane : undefined), clock, options);
  return { clock, lane, renderer };
}

describe('AnnotatedFrameRenderer', () => {
  it('gives null before the first frame and for an unknown lane', async () => {
    const { renderer } = setup();
    expect(await renderer.latestJpeg('lane-1')).toBeNull();
    expect(await renderer.latestJpeg('lane-9')).toBeNull();
  });

  it('draws the plate box and text on a downscaled JPEG of the newest frame', async () => {
    const { clock, lane, renderer } = setup();
    const frame = syntheticFrame(clock);
    lane.frame = { frame, at: frame.capturedAt };
    lane.plate = { box: BOX, display: '29C-123.45', at: frame.capturedAt };
    const jpeg = (await renderer.latestJpeg('lane-1'))!;
    expect(jpeg.subarray(0, 2)).toEqual(Buffer.from([0xff, 0xd8]));
    const image = await decode(jpeg);
    expect([image.width, image.height]).toEqual([960, 540]);
    const reference = await plain(frame, 960, 540);
    expect(meanDiff(image.data, reference, 960, TOP_EDGE)).toBeGreaterThan(40);
    // Above the box: the label with the text.
    expect(meanDiff(image.data, reference, 960, { x: 365, y: 280, w: 100, h: 14 })).toBeGreaterThan(20);
    expect(meanDiff(image.data, reference, 960, FAR_CORNER)).toBeLessThan(4);
  });

  it('leaves a frame without any plate read undrawn, and keeps a small frame at its size', async () => {
    const { clock, lane, renderer } = setup();
    const frame = syntheticFrame(clock);
    lane.frame = { frame, at: frame.capturedAt };
    const image = await decode((await renderer.latestJpeg('lane-1'))!);
    expect(meanDiff(image.data, await plain(frame, 960, 540), 960, TOP_EDGE)).toBeLessThan(4);

    const small = { ...frame, width: 320, height: 180, data: Buffer.alloc(320 * 180 * 3, 128) };
    const other = setup();
    other.lane.frame = { frame: small, at: small.capturedAt };
    const smallImage = await decode((await other.renderer.latestJpeg('lane-1'))!);
    expect([smallImage.width, smallImage.height]).toEqual([320, 180]);
  });

  it('draws no box when the read is older than the frame by more than the allowed age', async () => {
    const { clock, lane, renderer } = setup();
    const frame = syntheticFrame(clock);
    lane.frame = { frame, at: frame.capturedAt };
    lane.plate = { box: BOX, display: '云A·12345', at: frame.capturedAt - 5_000 };
    const image = await decode((await renderer.latestJpeg('lane-1'))!);
    const reference = await plain(frame, 960, 540);
    expect(meanDiff(image.data, reference, 960, TOP_EDGE)).toBeLessThan(4);
    // The text still shows, top left.
    expect(meanDiff(image.data, reference, 960, { x: 4, y: 4, w: 80, h: 16 })).toBeGreaterThan(20);
  });

  it('encodes once for many requests within the cache time, and again for a newer frame after it', async () => {
    const { clock, lane, renderer } = setup();
    const first = syntheticFrame(clock, 1);
    lane.frame = { frame: first, at: first.capturedAt };
    const answers = await Promise.all([1, 2, 3, 4].map(() => renderer.latestJpeg('lane-1')));
    expect(new Set(answers).size).toBe(1);

    clock.advance(200);
    const second = syntheticFrame(clock, 2);
    lane.frame = { frame: second, at: second.capturedAt };
    expect(await renderer.latestJpeg('lane-1')).toBe(answers[0]); // still within 500 ms
    clock.advance(300);
    const third = await renderer.latestJpeg('lane-1');
    expect(third).not.toBe(answers[0]);
    clock.advance(5_000);
    expect(await renderer.latestJpeg('lane-1')).toBe(third); // nothing changed: no new encode
  });

  it('escapes the plate text in the SVG', () => {
    const svg = overlaySvg(960, 540, null, '<b>&"');
    expect(svg).toContain('&lt;b&gt;&amp;&quot;');
    expect(svg).not.toContain('<b>');
  });
});

describe('LaneReader as the renderer sees it', () => {
  /** Finds one plate at BOX and reads 29C12345 in every frame. */
  class OnePlateEngine implements PlateFinder, PlateReader {
    async find(): Promise<PlateRegion[]> {
      return [{ box: BOX, rows: [BOX], score: 0.9 }];
    }
    async read(_image: RgbImage, regions: readonly PlateRegion[]): Promise<RawPlateText[]> {
      return regions.map(() => ({ rows: ['29C12345'], confidence: 0.95, charConfidence: [Array(8).fill(0.95)] }));
    }
  }
  const noCamera: FrameSource = {
    id: 'none',
    start: async () => {},
    stop: async () => {},
    next: async () => null,
    stats: () => ({}) as CameraStats,
  };

  it('keeps the newest frame it processed (the same buffer) and the last plate it read', async () => {
    const clock = new FakeClock();
    const reader = new LaneReader(
      { clock, log: silentLogger, bus: new EventBus<LaneEvents>(silentLogger) },
      {
        laneId: 'lane-1',
        roi: { x: 0, y: 0, w: W, h: H },
        countries: ['VN'],
        minConfidence: 0.6,
        minCharConfidence: 0,
        motion: null,
        voting: { minVotes: 3, vehicleGapMs: 1000 },
      },
      noCamera,
      new OnePlateEngine(),
    );
    expect(reader.latestFrame()).toBeNull();
    expect(reader.lastPlate()).toBeNull();
    const frame = syntheticFrame(clock);
    await reader.process(frame);
    expect(reader.latestFrame()?.frame).toBe(frame);
    expect(reader.latestFrame()?.at).toBe(frame.capturedAt);
    expect(reader.lastPlate()).toEqual({ box: BOX, display: '29C-123.45', at: frame.capturedAt });

    const renderer = new AnnotatedFrameRenderer(() => reader, clock);
    const image = await decode((await renderer.latestJpeg('lane-1'))!);
    expect(meanDiff(image.data, await plain(frame, 960, 540), 960, TOP_EDGE)).toBeGreaterThan(40);
  });
});
