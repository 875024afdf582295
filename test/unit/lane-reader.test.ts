import { describe, expect, it, vi } from 'vitest';
import { EventBus } from '../../src/core/bus.js';
import { FakeClock } from '../helpers/fake-clock.js';
import type { Box, RgbImage } from '../../src/core/image.js';
import { silentLogger, type Logger } from '../../src/core/log.js';
import type { CameraStats, Frame, FrameSource } from '../../src/camera/types.js';
import type { LaneEvents } from '../../src/lane/events.js';
import { LaneReader, type LaneReaderSettings } from '../../src/lane/reading/lane-reader.js';
import type { PlateFinder, PlateReader, PlateRegion, RawPlateText } from '../../src/vision/types.js';

const W = 64;
const H = 48;
const ROI: Box = { x: 0, y: 0, w: W, h: H };
const PLATE_BOX: Box = { x: 8, y: 16, w: 40, h: 12 };
const FRAME_MS = 200;

/** An engine that "reads" whatever text the test scripted for the frame's grey level. */
class ScriptedEngine implements PlateFinder, PlateReader {
  finds = 0;
  constructor(private readonly textFor: (image: RgbImage) => string | null | Error) {}

  async find(image: RgbImage): Promise<PlateRegion[]> {
    this.finds++;
    const text = this.textFor(image);
    if (text instanceof Error) throw text;
    return text === null ? [] : [{ box: PLATE_BOX, rows: [PLATE_BOX], score: 0.9 }];
  }

  async read(image: RgbImage, regions: readonly PlateRegion[]): Promise<RawPlateText[]> {
    return regions.map(() => ({ rows: [String(this.textFor(image))], confidence: 0.95, charConfidence: [[0.95]] }));
  }
}

/** Frames whose pixels are all `level`, so the motion gate sees change only when the level changes. */
function frameOf(clock: FakeClock, seq: number, level: number): Frame {
  return {
    width: W,
    height: H,
    data: Buffer.alloc(W * H * 3, level),
    seq,
    capturedAt: clock.now(),
    monotonicAt: clock.monotonic(),
  };
}

const texts = new Map<number, string>();
const levelText = (image: RgbImage) => texts.get(image.data[0]!) ?? null;

function setup<E extends PlateFinder & PlateReader = ScriptedEngine>(
  settings: Partial<LaneReaderSettings> = {},
  engine: E = new ScriptedEngine(levelText) as unknown as E,
  log: Logger = silentLogger,
) {
  const clock = new FakeClock();
  const bus = new EventBus<LaneEvents>(silentLogger);
  const reads: LaneEvents['plate.read'][] = [];
  bus.on(reads, 'plate.read', (e) => reads.push(e));
  const full: LaneReaderSettings = {
    laneId: 'lane-1',
    roi: ROI,
    countries: ['VN', 'CN'],
    minConfidence: 0.6,
    minCharConfidence: 0,
    motion: null,
    voting: { minVotes: 3, vehicleGapMs: 1000 },
    ...settings,
  };
  let seq = 0;
  const source = new ListSource([]);
  const reader = new LaneReader({ clock, log, bus }, full, source, engine);
  const feed = async (level: number, count = 1) => {
    for (let i = 0; i < count; i++) {
      clock.advance(FRAME_MS);
      await reader.process(frameOf(clock, ++seq, level));
    }
  };
  return { clock, reads, reader, engine, feed, source };
}

/** A finite camera: hands out its frames, then ends. */
class ListSource implements FrameSource {
  readonly id = 'list';
  constructor(public frames: Frame[]) {}
  async start(): Promise<void> {}
  async stop(): Promise<void> {}
  async next(): Promise<Frame | null> {
    return this.frames.shift() ?? null;
  }
  stats(): CameraStats {
    return {
      state: 'streaming',
      fpsIn: 0,
      fpsProcessed: 0,
      framesIn: 0,
      framesProcessed: 0,
      framesDropped: 0,
      lastFrameAgeMs: null,
      restarts: 0,
      lastError: null,
    };
  }
}

texts.set(10, '29C12345');
texts.set(20, '29C 123.45');
texts.set(30, '12345'); // no plate format has five characters
texts.set(40, 'Q'); // not plate-like text at all

describe('LaneReader', () => {
  it('emits one plate.read per vehicle once three reads agree, with the grammar applied and a crop', async () => {
    const { reads, feed, reader } = setup();
    await feed(10, 2);
    expect(reads).toEqual([]);
    await feed(20, 1); // the same plate, punctuated differently: the same canonical text
    expect(reads).toHaveLength(1);
    expect(reads[0]!.laneId).toBe('lane-1');
    expect(reads[0]!.read).toMatchObject({ trigger: 'agreed', votes: 3, reads: 3, box: PLATE_BOX });
    expect(reads[0]!.read.plate).toMatchObject({
      text: '29C12345',
      display: '29C-123.45',
      country: 'VN',
      kind: 'car',
      valid: true,
    });
    expect(reads[0]!.read.crop?.subarray(0, 2)).toEqual(Buffer.from([0xff, 0xd8]));
    await feed(10, 10); // the vehicle is still there: no second read
    await feed(0, 10); // and gone
    expect(reads).toHaveLength(1);
    expect(reader.stats()).toMatchObject({ framesProcessed: 23, inferences: 23, platesEmitted: 1 });
  });

  it("reports a truck's Chinese plate and Vietnamese temporary plate as one vehicle", async () => {
    const second: Box = { x: 4, y: 30, w: 44, h: 12 };
    const engine: PlateFinder & PlateReader = {
      async find(image) {
        return image.data[0] === 50
          ? [
              { box: PLATE_BOX, rows: [PLATE_BOX], score: 0.9 },
              { box: second, rows: [second], score: 0.9 },
            ]
          : [];
      },
      async read(_image, regions) {
        return regions.map((r) => ({
          rows: [r.box === second ? 'T29-123.45' : '云A·12345'],
          confidence: 0.95,
          charConfidence: [[0.95]],
        }));
      },
    };
    const { reads, feed } = setup({}, engine);
    await feed(50, 6);
    await feed(0, 10);
    expect(reads).toHaveLength(1);
    expect(reads[0]!.read.plate.text).toBe('云A12345');
    expect(reads[0]!.read.otherPlates?.map((p) => [p.text, p.kind])).toEqual([['T2912345', 'temporary']]);
  });

  it('reports a plate the grammar rejects, flagged with its raw text, once its reads agree', async () => {
    const { reads, feed } = setup();
    await feed(30, 3);
    await feed(0, 10);
    expect(reads).toHaveLength(1);
    expect(reads[0]!.read.trigger).toBe('agreed');
    expect(reads[0]!.read.plate).toMatchObject({ valid: false, raw: '12345' });
    expect(reads[0]!.read.plate.reason).toMatch(/5 characters/);
  });

  it('drops a plate the grammar rejects when read in fewer than minReadsUnreadable frames (a glimpse)', async () => {
    const { reads, feed } = setup();
    await feed(30, 2);
    await feed(0, 10);
    expect(reads).toEqual([]);
  });

  it('ignores text that does not look like a plate at all', async () => {
    const { reads, feed } = setup();
    await feed(40, 5);
    await feed(0, 10);
    expect(reads).toEqual([]);
  });

  it('skips inference when nothing moves in the region, after the hold time', async () => {
    const { reads, feed, engine, reader } = setup({
      motion: { threshold: 4, minChangedFraction: 0.01, gridWidth: 16, holdMs: 1000 },
    });
    await feed(10, 1); // first frame: counts as motion
    await feed(10, 20); // standing still for 4 s
    const finds = engine.finds;
    // Read during the first second (the hold), then not at all.
    expect(finds).toBe(1 + 1000 / FRAME_MS);
    expect(reader.stats().framesSkippedNoMotion).toBe(21 - finds);
    expect(reads).toHaveLength(1); // enough reads while held
    await feed(20, 1); // something changed: read again
    expect(engine.finds).toBe(finds + 1);
  });

  it('keeps going after a frame fails and ends when the camera ends, flushing open vehicles', async () => {
    const errors: unknown[] = [];
    const log: Logger = { ...silentLogger, error: (obj) => void errors.push(obj), child: () => log };
    const engine: ScriptedEngine = new ScriptedEngine((): string | Error =>
      engine.finds === 2 ? new Error('inference failed') : '29C12345',
    );
    const { reads, reader, source, clock } = setup({}, engine, log);
    source.frames = [1, 2, 3].map((seq) => frameOf(clock, seq, 10));
    await reader.start();
    await vi.waitFor(() => expect(reader.stats().framesProcessed).toBe(3));
    expect(reads).toEqual([]); // two reads: not yet agreed
    await reader.stop(); // the camera has ended; stop flushes the open vehicle
    expect(errors).toHaveLength(1);
    expect(reader.stats()).toMatchObject({ framesProcessed: 3, inferences: 2 });
    expect(reads.map((r) => [r.read.plate.text, r.read.votes, r.read.trigger])).toEqual([['29C12345', 2, 'timeout']]);
  });
});
