import type { EventBus } from '../../core/bus.js';
import type { Logger } from '../../core/log.js';
import type { Service } from '../../core/service.js';
import type { VotedPlateRead } from '../../plates/voter.js';
import type { FrameFiles } from '../../store/frame-files.js';
import type { LaneEvents } from '../events.js';
import type { LastPlate } from './lane-reader.js';

/** Draws a plate on a lane's newest frame (AnnotatedFrameRenderer gives it). */
export interface EvidenceRenderer {
  /**
   * JPEG of the lane's newest frame with `plate` drawn, or null before its first frame. Must
   * take the frame before returning, so the picture is of the moment it was called.
   */
  renderLatest(laneId: string, plate: LastPlate): Promise<Buffer | null>;
}

export interface EvidenceFramesOptions {
  /** Frames being rendered or written at once; a decision beyond this keeps none. Default 4. */
  maxInFlight?: number;
}

/**
 * Keeps one evidence frame per decision: the lane's newest frame at that moment, with the
 * decided plate drawn, stored as the decision event's frame file (src/store/frame-files.ts).
 * Best effort and off the lane's path: encoding and the durable write run after the decision
 * was acted on, a failure is logged and counted, and on a slow disk at most `maxInFlight`
 * JPEGs wait in memory while further decisions go without a frame.
 */
export class EvidenceFrames implements Service {
  readonly name = 'evidence-frames';
  private readonly inFlight = new Set<Promise<void>>();
  private readonly maxInFlight: number;
  private readonly counters = { written: 0, noFrame: 0, failed: 0, skippedBusy: 0 };

  constructor(
    private readonly ctx: { bus: EventBus<LaneEvents>; log: Logger },
    private readonly deps: { renderer: EvidenceRenderer; frames: Pick<FrameFiles, 'write'> },
    options: EvidenceFramesOptions = {},
  ) {
    this.maxInFlight = options.maxInFlight ?? 4;
  }

  async start(): Promise<void> {
    this.ctx.bus.on(this, 'lane.decision', ({ laneId, eventId, read }) => this.keep(laneId, eventId, read));
  }

  /** Stops listening, then waits for the frames under way so none is cut off by the store closing. */
  async stop(): Promise<void> {
    this.ctx.bus.removeAll(this);
    await Promise.allSettled([...this.inFlight]);
  }

  stats() {
    return { ...this.counters, inFlight: this.inFlight.size };
  }

  private keep(laneId: string, eventId: string, read: VotedPlateRead): void {
    if (this.inFlight.size >= this.maxInFlight) {
      this.counters.skippedBusy++;
      this.ctx.log.warn(
        { lane: laneId, eventId, inFlight: this.inFlight.size },
        'evidence frame skipped: earlier frames are still being written',
      );
      return;
    }
    // Called synchronously, so the renderer takes the frame of the decision's moment.
    const job: Promise<void> = this.renderAndWrite(laneId, eventId, read)
      .catch((err: unknown) => {
        this.counters.failed++;
        this.ctx.log.warn({ err, lane: laneId, eventId }, 'evidence frame not kept');
      })
      .finally(() => this.inFlight.delete(job));
    this.inFlight.add(job);
  }

  private async renderAndWrite(laneId: string, eventId: string, read: VotedPlateRead): Promise<void> {
    // The decided plate, with the box of the frame it was read in (the renderer drops a box too old for the frame).
    const plate: LastPlate = { box: read.box, display: read.plate.display, at: read.frameAt };
    const jpeg = await this.deps.renderer.renderLatest(laneId, plate);
    if (!jpeg) {
      this.counters.noFrame++;
      return;
    }
    await this.deps.frames.write(eventId, jpeg);
    this.counters.written++;
  }
}
