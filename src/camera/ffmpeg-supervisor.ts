import type { Clock, Timer } from '../core/clock.js';
import type { Logger } from '../core/log.js';
import { backoffDelayMs, type BackoffOptions } from '../core/backoff.js';
import { redactCredentials } from './ffmpeg-args.js';
import { spawnGroupProcess, type GroupProcess, type ProcessEnd, type SpawnGroupProcess } from './process-group.js';

export interface FfmpegSupervisorOptions {
  /** Default /usr/bin/ffmpeg, the system one the gate computers run. */
  ffmpegPath?: string;
  args: readonly string[];
  /** Allowed from spawning ffmpeg to its first progress() (connecting and probing take seconds). */
  firstProgressTimeoutMs: number;
  /** No progress() for this long after the first means ffmpeg is stuck: kill it (and restart). */
  stallTimeoutMs: number;
  backoff: BackoffOptions;
  /** Between SIGTERM and SIGKILL. */
  killGraceMs: number;
  /** One run making progress for this long starts the back-off over. */
  healthyAfterMs: number;
  /** The input ends (a clip played once): ffmpeg exiting 0 on its own is the end, not a failure. */
  finite: boolean;
}

export interface FfmpegSupervisorDeps {
  clock: Clock;
  log: Logger;
  /** Injected by unit tests; the real one spawns ffmpeg as a process-group leader. */
  spawn?: SpawnGroupProcess;
}

/** What the owner hears about; all called synchronously. */
export interface FfmpegSupervisorEvents {
  /** A run is about to be spawned (first start or restart): reset what is kept per run. */
  onRunStart?(): void;
  /** stdout of the current run. Output of a run being killed or replaced never arrives here. */
  onStdout(chunk: Buffer): void;
  /** The watchdog found the current run idle for too long and is killing it. */
  onStall?(): void;
  /** A run failed (exited, was killed by the watchdog, or could not be spawned); a restart is scheduled. */
  onBackoff?(): void;
  /** A finite input's run exited 0 on its own: nothing is restarted; start() may be called again. */
  onFinished?(): void;
}

/** One ffmpeg process and what we know about it. */
interface Run {
  proc: GroupProcess;
  /** Last sign of progress for the watchdog: the start, then each progress(). */
  lastProgressAt: number;
  firstProgressAt: number | null;
  killing: boolean;
  killTimer: Timer | null;
  hasEnded: boolean;
  ended: Promise<void>;
  markEnded: () => void;
}

const MAX_STDERR_LINE = 4_096;

/**
 * Keeps one ffmpeg running for its owner: spawned in a process group of its own, killed (SIGTERM
 * to the group, SIGKILL after a grace period) when the owner's progress() calls stop coming, and
 * restarted with exponential back-off whenever it ends, until stop(). Its last stderr line, with
 * credentials hidden, is lastError. What the output means (frames, video packets) is the owner's.
 */
export class FfmpegSupervisor {
  private readonly clock: Clock;
  private readonly log: Logger;
  private readonly spawn: SpawnGroupProcess;
  /** Between start() and stop() (or a finite input's end): runs are restarted. */
  private active = false;
  private current: Run | null = null;
  /** Every run not yet ended, including ones being killed or replaced. */
  private readonly runs = new Set<Run>();
  private watchdogTimer: Timer | null = null;
  private restartTimer: Timer | null = null;
  /** Restarts since the last healthy stretch: the back-off exponent. */
  private attempt = 0;
  private restartCount = 0;
  private error: string | null = null;
  private stderrPartial = '';

  constructor(
    private readonly opts: FfmpegSupervisorOptions,
    deps: FfmpegSupervisorDeps,
    private readonly events: FfmpegSupervisorEvents,
  ) {
    this.clock = deps.clock;
    this.log = deps.log;
    this.spawn = deps.spawn ?? spawnGroupProcess;
  }

  /** How many times ffmpeg was restarted (watchdog, exit or failed spawn), over the object's life. */
  get restarts(): number {
    return this.restartCount;
  }

  /** ffmpeg's last stderr line (or why it could not be started), credentials hidden. */
  get lastError(): string | null {
    return this.error;
  }

  /** A run is spawned and has not ended (false while waiting to restart, and after stop()). */
  get running(): boolean {
    return this.active && this.current !== null;
  }

  /** Spawns ffmpeg; does nothing while a run is active or a restart is pending. */
  start(): void {
    if (this.active) return;
    this.active = true;
    this.startRun();
  }

  /**
   * The current run made progress (a frame, a chunk of video): resets the watchdog and counts
   * towards a healthy stretch. Returns true for the run's first progress.
   */
  progress(): boolean {
    const run = this.current;
    if (!run || run.killing) return false;
    const now = this.clock.monotonic();
    run.lastProgressAt = now;
    const first = run.firstProgressAt === null;
    if (first) {
      run.firstProgressAt = now;
      // From now on the (shorter) stall timeout applies.
      this.clearTimer('watchdogTimer');
      this.armWatchdog(run, this.opts.stallTimeoutMs);
    }
    if (this.attempt > 0 && now - (run.firstProgressAt ?? now) >= this.opts.healthyAfterMs) this.attempt = 0;
    return first;
  }

  /**
   * Cancels a pending restart and ends every run still alive (SIGTERM, SIGKILL after the grace
   * period); resolves once all have ended. start() may follow, even before that.
   */
  stop(): Promise<void> {
    this.active = false;
    this.attempt = 0;
    this.clearTimer('restartTimer');
    this.clearTimer('watchdogTimer');
    return Promise.all([...this.runs].map((run) => this.kill(run))).then(() => undefined);
  }

  private startRun(): void {
    // A run still being killed (stop() then start()) is no longer ours to watch or restart.
    this.current = null;
    this.events.onRunStart?.();
    this.stderrPartial = '';
    let markEnded!: () => void;
    const ended = new Promise<void>((resolve) => (markEnded = resolve));
    let proc: GroupProcess;
    try {
      proc = this.spawn(this.opts.ffmpegPath ?? '/usr/bin/ffmpeg', this.opts.args);
    } catch (err) {
      // spawn() throws synchronously only for hopeless arguments; keep trying like any failure.
      const error = err instanceof Error ? err : new Error(String(err));
      this.error = redactCredentials(error.message);
      return this.scheduleRestart({ code: null, signal: null, error });
    }
    const run: Run = {
      proc,
      lastProgressAt: this.clock.monotonic(),
      firstProgressAt: null,
      killing: false,
      killTimer: null,
      hasEnded: false,
      ended,
      markEnded,
    };
    this.current = run;
    this.runs.add(run);
    this.log.debug({ pid: proc.pid, args: this.opts.args.map(redactCredentials) }, 'ffmpeg started');
    // Output of a run we gave up on (being killed, or replaced) is ignored.
    const live = () => this.current === run && !run.killing;
    proc.onStdout((chunk) => live() && this.events.onStdout(chunk));
    proc.onStderr((chunk) => live() && this.onStderr(chunk));
    proc.onEnd((end) => this.onRunEnded(run, end));
    this.armWatchdog(run, this.allowedIdleMs(run));
  }

  private onStderr(chunk: Buffer): void {
    const lines = (this.stderrPartial + chunk.toString('utf8')).split(/\r\n|\r|\n/);
    this.stderrPartial = (lines.pop() ?? '').slice(-MAX_STDERR_LINE);
    for (const line of lines) this.noteStderrLine(line);
  }

  private noteStderrLine(line: string): void {
    const text = redactCredentials(line.trim()).slice(0, MAX_STDERR_LINE);
    if (!text) return;
    this.error = text;
    this.log.debug({ line: text }, 'ffmpeg stderr');
  }

  private allowedIdleMs(run: Run): number {
    return run.firstProgressAt === null ? this.opts.firstProgressTimeoutMs : this.opts.stallTimeoutMs;
  }

  /** Fires when the run has been idle too long; re-arms itself for the remainder otherwise. */
  private armWatchdog(run: Run, delayMs: number): void {
    this.watchdogTimer = this.clock.setTimeout(() => {
      this.watchdogTimer = null;
      if (this.current !== run || run.killing) return;
      const idleMs = this.clock.monotonic() - run.lastProgressAt;
      const allowedMs = this.allowedIdleMs(run);
      if (idleMs < allowedMs) return this.armWatchdog(run, allowedMs - idleMs);
      this.events.onStall?.();
      this.log.warn({ idleMs, pid: run.proc.pid }, 'no progress from ffmpeg in time; killing it');
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
      }, this.opts.killGraceMs);
      run.proc.signalGroup('SIGTERM');
    }
    return run.ended;
  }

  private onRunEnded(run: Run, end: ProcessEnd): void {
    run.hasEnded = true;
    this.runs.delete(run);
    if (run.killTimer) this.clock.clearTimeout(run.killTimer);
    run.killTimer = null;
    if (this.current === run && this.stderrPartial) this.noteStderrLine(this.stderrPartial);
    if (end.error) this.error = redactCredentials(end.error.message);
    run.markEnded();
    if (this.current !== run) return;
    this.current = null;
    this.clearTimer('watchdogTimer');
    if (!this.active) return;
    if (this.opts.finite && end.code === 0 && !run.killing) {
      this.active = false;
      this.events.onFinished?.();
      return;
    }
    this.scheduleRestart(end);
  }

  private scheduleRestart(end: ProcessEnd): void {
    const delayMs = backoffDelayMs(this.attempt++, this.opts.backoff);
    this.events.onBackoff?.();
    this.log.warn(
      { code: end.code, signal: end.signal, lastError: this.error, delayMs },
      'ffmpeg ended; restarting after back-off',
    );
    this.restartTimer = this.clock.setTimeout(() => {
      this.restartTimer = null;
      this.restartCount++;
      this.startRun();
    }, delayMs);
  }

  private clearTimer(name: 'watchdogTimer' | 'restartTimer'): void {
    const timer = this[name];
    if (timer) this.clock.clearTimeout(timer);
    this[name] = null;
  }
}
