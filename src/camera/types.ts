import type { RgbImage } from '../core/image.js';

/** One decoded frame from a camera. */
export interface Frame extends RgbImage {
  /** Per-source counter, starting at 1; gaps mean frames were dropped. */
  seq: number;
  /** Wall-clock capture time, ms since the epoch (when the frame was fully received). */
  capturedAt: number;
  /** Monotonic capture time, ms (Clock.monotonic). */
  monotonicAt: number;
}

export type CameraState = 'starting' | 'streaming' | 'stalled' | 'backoff' | 'stopped' | 'ended';

export interface CameraStats {
  state: CameraState;
  /** Frames received per second, over the last few seconds. */
  fpsIn: number;
  /** Frames taken by the consumer per second. */
  fpsProcessed: number;
  framesIn: number;
  framesProcessed: number;
  /** Frames replaced by a newer one before the consumer took them. */
  framesDropped: number;
  /** Age of the newest frame in ms, or null before the first frame. */
  lastFrameAgeMs: number | null;
  /** How many times the ffmpeg process was restarted (watchdog or exit). */
  restarts: number;
  /** The last error line ffmpeg printed, if any. */
  lastError: string | null;
}

/**
 * A source of frames. Latest frame wins: the source keeps only the newest frame, so a slow
 * consumer never makes a queue grow; frames it did not take are counted as dropped.
 */
export interface FrameSource {
  readonly id: string;
  start(): Promise<void>;
  stop(): Promise<void>;
  /**
   * Resolves with the newest frame the caller has not taken yet, waiting for one if needed.
   * Resolves null once the source is stopped or (for a finite source) has ended.
   */
  next(signal?: AbortSignal): Promise<Frame | null>;
  stats(): CameraStats;
}
