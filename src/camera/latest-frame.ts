import type { Clock } from '../core/clock.js';
import type { Frame } from './types.js';

/** Events per second over a sliding window (a few seconds), on the monotonic clock. */
export class RateMeter {
  private times: number[] = [];
  private firstAt: number | null = null;

  constructor(
    private readonly clock: Clock,
    private readonly windowMs = 5_000,
  ) {}

  mark(): void {
    const now = this.clock.monotonic();
    this.firstAt ??= now;
    this.times.push(now);
    this.prune(now);
  }

  perSecond(): number {
    const now = this.clock.monotonic();
    this.prune(now);
    if (this.firstAt === null || this.times.length === 0) return 0;
    // Until a full window has passed, divide by the time actually observed (at least 1 s, so a
    // single early event does not read as a huge rate).
    const spanMs = Math.min(this.windowMs, Math.max(1_000, now - this.firstAt));
    return (this.times.length * 1_000) / spanMs;
  }

  private prune(now: number): void {
    let stale = 0;
    while (stale < this.times.length && this.times[stale]! <= now - this.windowMs) stale++;
    if (stale > 0) this.times.splice(0, stale);
  }
}

export interface SlotCounters {
  framesIn: number;
  framesProcessed: number;
  framesDropped: number;
  fpsIn: number;
  fpsProcessed: number;
  lastFrameAgeMs: number | null;
}

interface Waiter {
  resolve(frame: Frame | null): void;
}

/**
 * Latest frame wins: holds at most one frame. A newer frame replaces an untaken one (counted
 * as dropped), so a slow consumer never makes a queue grow.
 */
export class LatestFrameSlot {
  private frame: Frame | null = null;
  private waiters: Waiter[] = [];
  private isClosed = false;
  private framesIn = 0;
  private framesProcessed = 0;
  private framesDropped = 0;
  private lastFrameAt: number | null = null;
  private readonly inRate: RateMeter;
  private readonly processedRate: RateMeter;

  constructor(private readonly clock: Clock) {
    this.inRate = new RateMeter(clock);
    this.processedRate = new RateMeter(clock);
  }

  get closed(): boolean {
    return this.isClosed;
  }

  /**
   * Offers a new frame. Returns the frame it replaced, which nobody took and nobody holds, so its
   * buffer may be reused; null otherwise. Ignored once closed.
   */
  put(frame: Frame): Frame | null {
    if (this.isClosed) return null;
    this.framesIn++;
    this.inRate.mark();
    this.lastFrameAt = frame.monotonicAt;
    const waiter = this.waiters.shift();
    if (waiter) {
      this.markProcessed();
      waiter.resolve(frame);
      return null;
    }
    const replaced = this.frame;
    if (replaced) this.framesDropped++;
    this.frame = frame;
    return replaced;
  }

  /**
   * The newest frame not taken yet, waiting for one if needed; null once closed (after the
   * held frame, if the slot was closed with 'drain'). Rejects with the signal's reason on abort.
   */
  take(signal?: AbortSignal): Promise<Frame | null> {
    if (signal?.aborted) return Promise.reject(signal.reason);
    if (this.frame) {
      const frame = this.frame;
      this.frame = null;
      this.markProcessed();
      return Promise.resolve(frame);
    }
    if (this.isClosed) return Promise.resolve(null);
    return new Promise((resolve, reject) => {
      const onAbort = () => {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        reject(signal?.reason);
      };
      const waiter: Waiter = {
        resolve: (frame) => {
          signal?.removeEventListener('abort', onAbort);
          resolve(frame);
        },
      };
      this.waiters.push(waiter);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  /**
   * No more frames will come. 'drain' lets the consumer still take the held frame (a finite
   * source that ended); 'discard' drops it (stop). Waiting takers get null either way.
   */
  close(mode: 'drain' | 'discard'): void {
    this.isClosed = true;
    if (mode === 'discard') this.frame = null;
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w.resolve(null);
  }

  counters(): SlotCounters {
    return {
      framesIn: this.framesIn,
      framesProcessed: this.framesProcessed,
      framesDropped: this.framesDropped,
      fpsIn: this.inRate.perSecond(),
      fpsProcessed: this.processedRate.perSecond(),
      lastFrameAgeMs: this.lastFrameAt === null ? null : this.clock.monotonic() - this.lastFrameAt,
    };
  }

  private markProcessed(): void {
    this.framesProcessed++;
    this.processedRate.mark();
  }
}
