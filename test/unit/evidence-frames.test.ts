import { readFileSync } from 'node:fs';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import type { Frame } from '../../src/camera/types.js';
import { laneDecisionsSchema } from '../../src/config/decisions.js';
import { EventBus } from '../../src/core/bus.js';
import { FakeClock } from '../helpers/fake-clock.js';
import type { Logger } from '../../src/core/log.js';
import { EvidenceFrames, type EvidenceRenderer } from '../../src/lane/reading/evidence-frames.js';
import type { LaneEvents } from '../../src/lane/events.js';
import { LaneDecider } from '../../src/lane/deciding/decider.js';
import type { LastPlate } from '../../src/lane/reading/lane-reader.js';
import { parsePlate } from '../../src/plates/parse.js';
import type { VotedPlateRead } from '../../src/plates/voter.js';
import { AnnotatedFrameRenderer } from '../../src/lane/reading/annotated-frame.js';
import { useTempDirs } from '../helpers/store-fixtures.js';

const temp = useTempDirs();
const LANE = { id: 'entry-1', direction: 'entry' as const, rules: laneDecisionsSchema.parse({}) };

type LogLine = { level: string; obj: unknown; msg?: string };

function recordingLogger(lines: LogLine[]): Logger {
  const log = (level: string) => (obj: object | string, msg?: string) => lines.push({ level, obj, msg });
  const logger: Logger = {
    debug: log('debug'),
    info: log('info'),
    warn: log('warn'),
    error: log('error'),
    child: () => logger,
  };
  return logger;
}

function voted(text: string, clock: FakeClock): VotedPlateRead {
  const at = clock.now();
  return {
    plate: parsePlate([text], { countries: ['VN', 'CN'] }),
    confidence: 0.95,
    votes: 3,
    reads: 3,
    box: { x: 4, y: 4, w: 8, h: 4 },
    frameAt: at,
    firstSeenAt: at,
    lastSeenAt: at,
    trigger: 'agreed',
  };
}

const smallJpeg = () =>
  sharp({ create: { width: 16, height: 16, channels: 3, background: '#204060' } })
    .jpeg()
    .toBuffer();

/** A renderer whose pictures arrive when the test says so. */
class HeldRenderer implements EvidenceRenderer {
  readonly calls: { laneId: string; plate: LastPlate; release: (jpeg: Buffer) => void }[] = [];
  renderLatest(laneId: string, plate: LastPlate): Promise<Buffer | null> {
    return new Promise((resolve) => this.calls.push({ laneId, plate, release: resolve }));
  }
}

/** A real store, a real decider (which records the decision and emits its event id), and the service. */
async function setUp(renderer: EvidenceRenderer, maxInFlight?: number) {
  const clock = new FakeClock(Date.UTC(2026, 10, 25, 3, 0, 0));
  const store = temp.open(temp.make(), {}, clock);
  const lines: LogLine[] = [];
  const log = recordingLogger(lines);
  const bus = new EventBus<LaneEvents>(log);
  const decider = new LaneDecider({ bus, log, clock }, { sink: store.events, lists: store.lists });
  const evidence = new EvidenceFrames({ bus, log }, { renderer, frames: store.frames }, { maxInFlight });
  await evidence.start();
  return { clock, store, bus, decider, evidence, lines };
}

describe('EvidenceFrames', () => {
  it('stores the rendered frame of a decision as the decision event’s frame file', async () => {
    const jpeg = await smallJpeg();
    const seen: { laneId: string; plate: LastPlate }[] = [];
    const { clock, store, decider, evidence } = await setUp({
      renderLatest: async (laneId, plate) => (seen.push({ laneId, plate }), jpeg),
    });
    const read = voted('29C12345', clock);
    const { event } = decider.decide(LANE, read);
    // Rendering started within the emit: the frame is the one of the decision's moment.
    expect(seen).toEqual([
      { laneId: 'entry-1', plate: { box: read.box, display: read.plate.display, at: read.frameAt } },
    ]);
    await evidence.stop(); // waits for the write under way

    const record = store.frames.get(event.eventId);
    expect(record).toMatchObject({ eventId: event.eventId, bytes: jpeg.length });
    expect(readFileSync(store.frames.absolutePath(record!))).toEqual(jpeg);
    expect(evidence.stats()).toEqual({ written: 1, noFrame: 0, failed: 0, skippedBusy: 0, inFlight: 0 });
  });

  it('keeps nothing, quietly, before the lane has a frame', async () => {
    const { clock, store, decider, evidence } = await setUp({ renderLatest: async () => null });
    const { event } = decider.decide(LANE, voted('29C12345', clock));
    await evidence.stop();
    expect(store.frames.get(event.eventId)).toBeUndefined();
    expect(evidence.stats()).toMatchObject({ written: 0, noFrame: 1, failed: 0 });
  });

  it('logs and counts a renderer that throws or rejects; the decision stands and the lane goes on', async () => {
    let n = 0;
    const { clock, store, decider, evidence, lines } = await setUp({
      renderLatest: (): Promise<Buffer | null> => {
        if (++n === 1) throw new Error('sharp exploded');
        return Promise.reject(new Error('corrupt frame'));
      },
    });
    const first = decider.decide(LANE, voted('29C12345', clock));
    const second = decider.decide(LANE, voted('30A11111', clock));
    await evidence.stop();

    expect(first.decision.action).toBeDefined();
    expect(store.events.listed(first.event.eventId)).toBeDefined();
    expect(store.frames.get(first.event.eventId)).toBeUndefined();
    expect(store.frames.get(second.event.eventId)).toBeUndefined();
    expect(evidence.stats()).toMatchObject({ written: 0, failed: 2 });
    const warnings = lines.filter((l) => l.level === 'warn');
    expect(warnings.map((l) => l.msg)).toEqual(['evidence frame not kept', 'evidence frame not kept']);
    expect(warnings.map((l) => (l.obj as { err: Error }).err.message)).toEqual(['sharp exploded', 'corrupt frame']);
    // Nothing reached the bus's own error handler: the emitter never saw a throw.
    expect(lines.filter((l) => l.level === 'error')).toEqual([]);
  });

  it('logs and counts a frame that cannot be written', async () => {
    const jpeg = await smallJpeg();
    const { bus, evidence, lines } = await setUp({ renderLatest: async () => jpeg });
    const read = voted('29C12345', new FakeClock());
    // An event id the store never recorded: FrameFiles refuses it.
    bus.emit('lane.decision', {
      laneId: 'entry-1',
      eventId: '01JUNKNOWNEVENT000000000000',
      read,
      decision: { action: 'open' } as never,
    });
    await evidence.stop();
    expect(evidence.stats()).toMatchObject({ written: 0, failed: 1 });
    expect(lines.find((l) => l.level === 'warn')?.msg).toBe('evidence frame not kept');
  });

  it('skips and counts decisions beyond the frames in flight, and keeps the others', async () => {
    const renderer = new HeldRenderer();
    const { clock, store, decider, evidence, lines } = await setUp(renderer, 2);
    const decided = ['29C12345', '30A11111', '51F22222', '29C33333'].map(
      (text) => decider.decide(LANE, voted(text, clock)).event,
    );

    expect(renderer.calls).toHaveLength(2);
    expect(evidence.stats()).toMatchObject({ skippedBusy: 2, inFlight: 2 });
    expect(lines.filter((l) => l.msg?.startsWith('evidence frame skipped'))).toHaveLength(2);

    const jpeg = await smallJpeg();
    for (const call of renderer.calls) call.release(jpeg);
    await evidence.stop();
    expect(decided.map((e) => store.frames.get(e.eventId) !== undefined)).toEqual([true, true, false, false]);
    expect(evidence.stats()).toEqual({ written: 2, noFrame: 0, failed: 0, skippedBusy: 2, inFlight: 0 });

    // A slot freed is a slot used again.
    await evidence.start();
    const later = decider.decide(LANE, voted('29C44444', clock)).event;
    renderer.calls.at(-1)!.release(jpeg);
    await evidence.stop();
    expect(store.frames.get(later.eventId)).toBeDefined();
  });

  it('stops listening on stop', async () => {
    const { clock, decider, evidence } = await setUp({ renderLatest: async () => null });
    await evidence.stop();
    decider.decide(LANE, voted('29C12345', clock));
    expect(evidence.stats()).toMatchObject({ noFrame: 0, inFlight: 0 });
  });
});

describe('AnnotatedFrameRenderer.renderLatest', () => {
  it('draws the given plate on the newest frame, past the picture cached for viewers', async () => {
    const clock = new FakeClock();
    const data = Buffer.alloc(64 * 48 * 3, 90);
    const frame: Frame = { width: 64, height: 48, data, seq: 1, capturedAt: clock.now(), monotonicAt: 0 };
    const lane = { latestFrame: () => ({ frame, at: frame.capturedAt }), lastPlate: () => null };
    const renderer = new AnnotatedFrameRenderer((id) => (id === 'entry-1' ? lane : undefined), clock);

    const cached = await renderer.latestJpeg('entry-1'); // no plate: a plain frame, cached
    const evidence = await renderer.renderLatest('entry-1', {
      box: { x: 8, y: 8, w: 30, h: 12 },
      display: '29C-123.45',
      at: frame.capturedAt,
    });
    expect(evidence).not.toBeNull();
    expect(evidence!.equals(cached!)).toBe(false);
    expect((await sharp(evidence!).metadata()).format).toBe('jpeg');
    await expect(
      renderer.renderLatest('exit-1', { box: { x: 0, y: 0, w: 1, h: 1 }, display: 'X', at: 0 }),
    ).resolves.toBeNull();
  });
});
