import type { Clock } from '../../core/clock.js';
import type { EventBus } from '../../core/bus.js';
import type { Box } from '../../core/image.js';
import type { Logger } from '../../core/log.js';
import type { Service } from '../../core/service.js';
import type { Frame, FrameSource } from '../../camera/types.js';
import { MotionGate, type MotionOptions } from '../../vision/motion.js';
import type { PlateEngine } from '../../vision/types.js';
import { readPlates, type PlateReading } from './plate-reading.js';
import { PlateVoter, type PlateObservation, type VoterOptions } from '../../plates/voter.js';
import type { Country } from '../../plates/types.js';
import type { LaneEvents } from '../events.js';

export interface LaneReaderSettings {
  laneId: string;
  roi: Box;
  countries: Country[];
  minConfidence: number;
  /** A read whose least certain character is below this is not a plate (0: keep them all). */
  minCharConfidence: number;
  /** Null disables the motion gate: every frame is read. */
  motion: (MotionOptions & { holdMs: number }) | null;
  voting: VoterOptions;
}

export interface LaneReaderContext {
  clock: Clock;
  log: Logger;
  bus: EventBus<LaneEvents>;
}

export interface LaneReaderStats {
  framesProcessed: number;
  framesSkippedNoMotion: number;
  inferences: number;
  lastInferenceMs: number | null;
  platesEmitted: number;
}

/** The plate last seen on the lane, for drawing on the live picture. */
export interface LastPlate {
  box: Box;
  /** As printed (`29C-123.45`). */
  display: string;
  /** Wall time of the frame it was read in, ms since the epoch. */
  at: number;
}

/**
 * The reading half of a lane: takes the newest frame from the camera, runs the recogniser on
 * the lane's region of interest when something moves there, and votes the reads of each
 * vehicle into one `plate.read` event.
 */
export class LaneReader implements Service {
  readonly name: string;
  private readonly voter: PlateVoter;
  private readonly motion: MotionGate | null;
  private lastMotionAt = Number.NEGATIVE_INFINITY;
  private abort: AbortController | null = null;
  private loop: Promise<void> | null = null;
  private counters: LaneReaderStats = {
    framesProcessed: 0,
    framesSkippedNoMotion: 0,
    inferences: 0,
    lastInferenceMs: null,
    platesEmitted: 0,
  };
  private newestFrame: { frame: Frame; at: number } | null = null;
  private newestPlate: LastPlate | null = null;

  constructor(
    private readonly ctx: LaneReaderContext,
    private readonly settings: LaneReaderSettings,
    private readonly source: FrameSource,
    private readonly engine: PlateEngine,
  ) {
    this.name = `lane-reader:${settings.laneId}`;
    this.voter = new PlateVoter(settings.voting, ctx.clock);
    this.motion = settings.motion ? new MotionGate(settings.roi, settings.motion) : null;
  }

  async start(): Promise<void> {
    this.abort = new AbortController();
    this.loop = this.run(this.abort.signal);
  }

  async stop(): Promise<void> {
    this.abort?.abort();
    await this.loop;
    this.emit(this.voter.flush());
  }

  stats(): LaneReaderStats {
    return { ...this.counters };
  }

  /**
   * The newest frame processed (`at`: its wall time), or null before the first. Held by
   * reference: the camera gives each frame its own buffer and never writes to a frame it
   * handed out (src/camera/frame-splitter.ts), so this costs no copy.
   */
  latestFrame(): { frame: Frame; at: number } | null {
    return this.newestFrame;
  }

  /** The newest plate seen: a frame's most confident read, or a voted read if that is as recent. */
  lastPlate(): LastPlate | null {
    return this.newestPlate;
  }

  private async run(signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      let frame: Frame | null;
      try {
        frame = await this.source.next(signal);
      } catch (err) {
        if (signal.aborted) return;
        throw err;
      }
      if (!frame) {
        this.ctx.log.info('camera ended');
        return;
      }
      try {
        await this.process(frame);
      } catch (err) {
        // One bad frame must not stop the lane.
        this.ctx.log.error({ err }, 'frame processing failed');
      }
    }
  }

  /** Reads one frame (or skips it when nothing moves) and feeds the voter. */
  async process(frame: Frame): Promise<void> {
    this.counters.framesProcessed++;
    this.newestFrame = { frame, at: frame.capturedAt };
    if (!this.shouldRead(frame)) {
      this.counters.framesSkippedNoMotion++;
      this.emit(this.voter.observe([]));
      return;
    }
    const started = this.ctx.clock.monotonic();
    const { plates, rejected } = await readPlates(this.engine, frame, this.settings.roi, {
      countries: this.settings.countries,
      minConfidence: this.settings.minConfidence,
      minCharConfidence: this.settings.minCharConfidence,
      withCrops: true,
    });
    this.counters.inferences++;
    this.counters.lastInferenceMs = this.ctx.clock.monotonic() - started;
    // Rejected reads go to the voter too, flagged: a vehicle whose plate never fits the
    // grammar still produces one (invalid) read for the operator instead of nothing.
    const observe = (r: PlateReading): PlateObservation => ({
      plate: r.plate,
      confidence: r.confidence,
      box: r.box,
      ...(r.crop ? { crop: r.crop } : {}),
      frameAt: frame.capturedAt,
      monotonicAt: frame.monotonicAt,
    });
    // Grammar-valid reads first: the box drawn on the live picture should be the real plate.
    const best = bestRead(plates) ?? bestRead(rejected);
    if (best) this.notePlate({ box: best.box, display: best.plate.display, at: frame.capturedAt });
    this.emit(this.voter.observe([...plates, ...rejected].map(observe)));
  }

  private notePlate(plate: LastPlate): void {
    if (!this.newestPlate || plate.at >= this.newestPlate.at) this.newestPlate = plate;
  }

  private shouldRead(frame: Frame): boolean {
    if (!this.motion || !this.settings.motion) return true;
    const now = frame.monotonicAt;
    if (this.motion.moving(frame)) this.lastMotionAt = now;
    // Keep reading a little after motion stops: a vehicle waiting at the barrier stands still.
    return now - this.lastMotionAt <= this.settings.motion.holdMs;
  }

  private emit(reads: ReturnType<PlateVoter['observe']>): void {
    for (const read of reads) {
      this.counters.platesEmitted++;
      this.notePlate({ box: read.box, display: read.plate.display, at: read.frameAt });
      this.ctx.bus.emit('plate.read', { laneId: this.settings.laneId, read });
    }
  }
}

function bestRead(reads: readonly PlateReading[]): PlateReading | undefined {
  return reads.reduce<PlateReading | undefined>(
    (best, r) => (!best || r.confidence > best.confidence ? r : best),
    undefined,
  );
}
