import type { Clock, Timer } from '../core/clock.js';
import type { Logger } from '../core/log.js';
import { backoffDelayMs, type BackoffOptions } from './backoff.js';
import { ffmpegArgs, redactCredentials, type FfmpegInput } from './ffmpeg-args.js';
import { FrameSplitter } from './frame-splitter.js';
import { LatestFrameSlot } from './latest-frame.js';
import { spawnGroupProcess, type GroupProcess, type ProcessEnd, type SpawnGroupProcess } from './process-group.js';
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

/** One ffmpeg process and what we know about it. */
interface Run {
  proc: GroupProcess;
  /** Last sign of progress for the watchdog: the start, then each frame. */
  lastProgressAt: number;
  firstFrameAt: number | null;
  killing: boolean;
  killTimer: Timer | null;
  hasEnded: boolean;
  ended: Promise<void>;
  markEnded: () => void;
}

const MAX_STDERR_LINE = 4_096;

/**
 * Frames from ffmpeg: an RTSP camera, or a video clip played at real time. Keeps only the newest
 * frame, and keeps ffmpeg running: restarted with exponential back-off when it exits or stops
 * delivering frames, until stop().
 */
export class FfmpegSource implements FrameSource {
  readonly id: string;
  private readonly clock: Clock;
  private readonly log: Logger;
  private readonly spawn: SpawnGroupProcess;
  private readonly slot: LatestFrameSlot;
  private readonly splitter: FrameSplitter;
  private state: CameraState = 'stopped';
  private started = false;
  private stopping: Promise<void> | null = null;
  private current: Run | null = null;
  private watchdogTimer: Timer | null = null;
  private restartTimer: Timer | null = null;
  /** Restarts since the last healthy stretch: the back-off exponent. */
  private attempt = 0;
  private restarts = 0;
  private lastError: string | null = null;
  private stderrPartial = '';
  private seq = 0;

  constructor(
    private readonly opts: FfmpegSourceOptions,
    deps: FfmpegSourceDeps,
  ) {
    this.id = opts.id;
    this.clock = deps.clock;
    this.log = deps.log;
    this.spawn = deps.spawn ?? spawnGroupProcess;
    this.slot = new LatestFrameSlot(deps.clock);
    this.splitter = new FrameSplitter(opts.width * opts.height * 3, (data) => this.onFrameData(data));
  }

  async start(): Promise<void> {
    if (this.started || this.stopping) return;
    this.started = true;
    this.startRun();
  }

  stop(): Promise<void> {
    this.stopping ??= this.shutdown();
    return this.stopping;
  }

  next(signal?: AbortSignal): Promise<Frame | null> {
    return this.slot.take(signal);
  }

  stats(): CameraStats {
    return { state: this.state, ...this.slot.counters(), restarts: this.restarts, lastError: this.lastError };
  }

  private async shutdown(): Promise<void> {
    this.clearTimer('restartTimer');
    this.clearTimer('watchdogTimer');
    this.slot.close('discard');
    const run = this.current;
    if (run) await this.kill(run);
    this.current = null;
    this.state = 'stopped';
    this.log.info({ restarts: this.restarts }, 'camera stopped');
  }

  private startRun(): void {
    const args = ffmpegArgs(this.opts);
    this.state = 'starting';
    this.splitter.reset();
    this.stderrPartial = '';
    let markEnded!: () => void;
    const ended = new Promise<void>((resolve) => (markEnded = resolve));
    let proc: GroupProcess;
    try {
      proc = this.spawn(this.opts.ffmpegPath ?? '/usr/bin/ffmpeg', args);
    } catch (err) {
      // spawn() throws synchronously only for hopeless arguments; keep trying like any failure.
      const error = err instanceof Error ? err : new Error(String(err));
      this.lastError = redactCredentials(error.message);
      return this.scheduleRestart({ code: null, signal: null, error });
    }
    const run: Run = {
      proc,
      lastProgressAt: this.clock.monotonic(),
      firstFrameAt: null,
      killing: false,
      killTimer: null,
      hasEnded: false,
      ended,
      markEnded,
    };
    this.current = run;
    this.log.debug({ pid: proc.pid, args: args.map(redactCredentials) }, 'ffmpeg started');
    // Output of a run we gave up on (being killed, or replaced) is ignored.
    const live = () => this.current === run && !run.killing;
    proc.onStdout((chunk) => live() && this.splitter.push(chunk));
    proc.onStderr((chunk) => live() && this.onStderr(chunk));
    proc.onEnd((end) => this.onRunEnded(run, end));
    this.armWatchdog(run, this.allowedIdleMs(run));
  }

  private onFrameData(data: Buffer): void {
    const run = this.current;
    if (!run) return;
    const now = this.clock.monotonic();
    run.lastProgressAt = now;
    if (run.firstFrameAt === null) {
      run.firstFrameAt = now;
      this.log.info({ restarts: this.restarts }, 'camera streaming');
      // From now on the (shorter) stall timeout applies.
      this.clearTimer('watchdogTimer');
      this.armWatchdog(run, this.opts.stallTimeoutMs);
    } else if (this.attempt > 0 && now - run.firstFrameAt >= (this.opts.healthyAfterMs ?? 10_000)) {
      this.attempt = 0;
    }
    this.state = 'streaming';
    const frame: Frame = {
      width: this.opts.width,
      height: this.opts.height,
      data,
      seq: ++this.seq,
      capturedAt: this.clock.now(),
      monotonicAt: now,
    };
    const dropped = this.slot.put(frame);
    if (dropped) this.splitter.recycle(dropped.data);
  }

  private onStderr(chunk: Buffer): void {
    const lines = (this.stderrPartial + chunk.toString('utf8')).split(/\r\n|\r|\n/);
    this.stderrPartial = (lines.pop() ?? '').slice(-MAX_STDERR_LINE);
    for (const line of lines) this.noteStderrLine(line);
  }

  private noteStderrLine(line: string): void {
    const text = redactCredentials(line.trim()).slice(0, MAX_STDERR_LINE);
    if (!text) return;
    this.lastError = text;
    this.log.debug({ line: text }, 'ffmpeg stderr');
  }

  private allowedIdleMs(run: Run): number {
    if (run.firstFrameAt !== null) return this.opts.stallTimeoutMs;
    return this.opts.firstFrameTimeoutMs ?? Math.max(this.opts.stallTimeoutMs, 10_000);
  }

  /** Fires when the run has been idle too long; re-arms itself for the remainder otherwise. */
  private armWatchdog(run: Run, delayMs: number): void {
    this.watchdogTimer = this.clock.setTimeout(() => {
      this.watchdogTimer = null;
      if (this.current !== run || run.killing) return;
      const idleMs = this.clock.monotonic() - run.lastProgressAt;
      const allowedMs = this.allowedIdleMs(run);
      if (idleMs < allowedMs) return this.armWatchdog(run, allowedMs - idleMs);
      this.state = 'stalled';
      this.log.warn({ idleMs, pid: run.proc.pid }, 'no frame from ffmpeg in time; killing it');
      void this.kill(run);
    }, delayMs);
  }

  /** SIGTERM to the group, SIGKILL after the grace period; resolves once the run has ended. */
  private kill(run: Run): Promise<void> {
    if (!run.killing && !run.hasEnded) {
      run.killing = true;
      // Armed before signalling: if the process ends at once, onRunEnded clears it.
      run.killTimer = this.clock.setTimeout(() => {
        run.killTimer = null;
        this.log.warn({ pid: run.proc.pid }, 'ffmpeg ignored SIGTERM; sending SIGKILL');
        run.proc.signalGroup('SIGKILL');
      }, this.opts.killGraceMs ?? 2_000);
      run.proc.signalGroup('SIGTERM');
    }
    return run.ended;
  }

  private onRunEnded(run: Run, end: ProcessEnd): void {
    run.hasEnded = true;
    if (run.killTimer) this.clock.clearTimeout(run.killTimer);
    run.killTimer = null;
    if (this.current === run && this.stderrPartial) this.noteStderrLine(this.stderrPartial);
    if (end.error) this.lastError = redactCredentials(end.error.message);
    run.markEnded();
    if (this.current !== run || this.stopping) return;
    this.current = null;
    this.clearTimer('watchdogTimer');
    const clipEnded = this.opts.input.kind === 'clip' && !this.opts.input.loop && end.code === 0 && !run.killing;
    if (clipEnded) {
      this.state = 'ended';
      this.slot.close('drain');
      this.log.info('clip ended');
      return;
    }
    this.scheduleRestart(end);
  }

  private scheduleRestart(end: ProcessEnd): void {
    const delayMs = backoffDelayMs(this.attempt++, this.opts.backoff);
    this.state = 'backoff';
    this.log.warn(
      { code: end.code, signal: end.signal, lastError: this.lastError, delayMs },
      'ffmpeg ended; restarting after back-off',
    );
    this.restartTimer = this.clock.setTimeout(() => {
      this.restartTimer = null;
      this.restarts++;
      this.startRun();
    }, delayMs);
  }

  private clearTimer(name: 'watchdogTimer' | 'restartTimer'): void {
    const timer = this[name];
    if (timer) this.clock.clearTimeout(timer);
    this[name] = null;
  }
}
