import type { Clock } from '../core/clock.js';
import type { Logger } from '../core/log.js';

export interface LogThrottleOptions {
  /** Lines logged per window at most; the rest are counted. */
  perWindow: number;
  windowMs: number;
}

/**
 * Logs at most `perWindow` lines per window (on the monotonic clock) and counts the rest, so a
 * flood of bad messages from central cannot flood the log; the first line of the next window
 * says how many were left out.
 */
export class LogThrottle {
  private windowStart = Number.NEGATIVE_INFINITY;
  private logged = 0;
  private suppressed = 0;

  constructor(
    private readonly clock: Pick<Clock, 'monotonic'>,
    private readonly log: Logger,
    private readonly opts: LogThrottleOptions = { perWindow: 20, windowMs: 60_000 },
  ) {}

  info(obj: Record<string, unknown>, msg: string): void {
    this.write('info', obj, msg);
  }

  warn(obj: Record<string, unknown>, msg: string): void {
    this.write('warn', obj, msg);
  }

  error(obj: Record<string, unknown>, msg: string): void {
    this.write('error', obj, msg);
  }

  private write(level: 'info' | 'warn' | 'error', obj: Record<string, unknown>, msg: string): void {
    const now = this.clock.monotonic();
    if (now - this.windowStart >= this.opts.windowMs) {
      this.windowStart = now;
      this.logged = 0;
    }
    if (this.logged >= this.opts.perWindow) {
      this.suppressed++;
      return;
    }
    this.logged++;
    const suppressed = this.suppressed;
    this.suppressed = 0;
    this.log[level](suppressed > 0 ? { ...obj, suppressedBefore: suppressed } : obj, msg);
  }
}
