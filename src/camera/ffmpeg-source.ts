import type { Clock } from '../core/clock.js';
import type { Logger } from '../core/log.js';
import type { BackoffOptions } from '../core/backoff.js';
import { ffmpegArgs, type FfmpegInput } from './ffmpeg-args.js';
import { FfmpegSupervisor } from './ffmpeg-supervisor.js';
import { FrameSplitter } from './frame-splitter.js';
import { LatestFrameSlot } from './latest-frame.js';
import type { SpawnGroupProcess } from './process-group.js';
import type { CameraState, CameraStats, Frame, FrameSource } from './types.js';

export interface FfmpegSourceOptions {
  id: string;
  input: FfmpegInput;
  fps: number;
  width: number;
  height: number;
  /** No frame for this long means ffmpeg is stuck: restart it. */
  stallTimeoutMs: number;
  /**
   * Allowed from spawning ffmpeg to its first frame (connecting, probing the stream, waiting for
   * a keyframe take seconds). Default: stallTimeoutMs, but at least 10 s.
   */
  firstFrameTimeoutMs?: number;
  backoff: BackoffOptions;
  /** Between SIGTERM and SIGKILL when stopping ffmpeg. Default 2 s. */
  killGraceMs?: number;
  /** One ffmpeg run delivering frames for this long starts the back-off over. Default 10 s. */
  healthyAfterMs?: number;
  /** Default /usr/bin/ffmpeg, the system one the gate computers run. */
  ffmpegPath?: string;
}

export interface FfmpegSourceDeps {
  clock: Clock;
  log: Logger;
  /** Injected by unit tests; the real one spawns ffmpeg as a process-group leader. */
  spawn?: SpawnGroupProcess;
}

/**
 * Frames from ffmpeg: an RTSP camera, or a video clip played at real time. Keeps only the newest
 * frame, and keeps ffmpeg running: restarted with exponential back-off when it exits or stops
 * delivering frames, until stop().
 */
export class FfmpegSource implements FrameSource {
  readonly id: string;
  private readonly clock: Clock;
  private readonly log: Logger;
  private readonly slot: LatestFrameSlot;
  private readonly splitter: FrameSplitter;
  /** Spawning, the stall watchdog, killing and restarting; a whole frame is its progress. */
  private readonly ffmpeg: FfmpegSupervisor;
  private state: CameraState = 'stopped';
  private started = false;
  private stopping: Promise<void> | null = null;
  private seq = 0;

  constructor(
    private readonly opts: FfmpegSourceOptions,
    deps: FfmpegSourceDeps,
  ) {
    this.id = opts.id;
    this.clock = deps.clock;
    this.log = deps.log;
    this.slot = new LatestFrameSlot(deps.clock);
    this.splitter = new FrameSplitter(opts.width * opts.height * 3, (data) => this.onFrameData(data));
    const { input, stallTimeoutMs } = opts;
    this.ffmpeg = new FfmpegSupervisor(
      {
        ffmpegPath: opts.ffmpegPath,
        args: ffmpegArgs(opts),
        firstProgressTimeoutMs: opts.firstFrameTimeoutMs ?? Math.max(stallTimeoutMs, 10_000),
        stallTimeoutMs,
        backoff: opts.backoff,
        killGraceMs: opts.killGraceMs ?? 2_000,
        healthyAfterMs: opts.healthyAfterMs ?? 10_000,
        // A clip played once ends; a looping clip or a camera that exits is restarted.
        finite: input.kind === 'clip' && !input.loop,
      },
      deps,
      {
        onRunStart: () => {
          this.state = 'starting';
          this.splitter.reset();
        },
        onStdout: (chunk) => this.splitter.push(chunk),
        onStall: () => (this.state = 'stalled'),
        onBackoff: () => (this.state = 'backoff'),
        onFinished: () => {
          this.state = 'ended';
          this.slot.close('drain');
          this.log.info('clip ended');
        },
      },
    );
  }

  async start(): Promise<void> {
    if (this.started || this.stopping) return;
    this.started = true;
    this.ffmpeg.start();
  }

  stop(): Promise<void> {
    this.stopping ??= this.shutdown();
    return this.stopping;
  }

  next(signal?: AbortSignal): Promise<Frame | null> {
    return this.slot.take(signal);
  }

  stats(): CameraStats {
    const { restarts, lastError } = this.ffmpeg;
    return { state: this.state, ...this.slot.counters(), restarts, lastError };
  }

  private async shutdown(): Promise<void> {
    const ended = this.ffmpeg.stop();
    this.slot.close('discard');
    await ended;
    this.state = 'stopped';
    this.log.info({ restarts: this.ffmpeg.restarts }, 'camera stopped');
  }

  /** Called by the splitter, only ever for stdout of the current run. */
  private onFrameData(data: Buffer): void {
    if (this.ffmpeg.progress()) this.log.info({ restarts: this.ffmpeg.restarts }, 'camera streaming');
    this.state = 'streaming';
    const frame: Frame = {
      width: this.opts.width,
      height: this.opts.height,
      data,
      seq: ++this.seq,
      capturedAt: this.clock.now(),
      monotonicAt: this.clock.monotonic(),
    };
    const dropped = this.slot.put(frame);
    if (dropped) this.splitter.recycle(dropped.data);
  }
}
