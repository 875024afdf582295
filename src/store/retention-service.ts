import type { Clock, Timer } from '../core/clock.js';
import type { Logger } from '../core/log.js';
import type { Service } from '../core/service.js';
import type { Retention, RetentionAlarm, RetentionResult } from './retention.js';

export interface RetentionServiceContext {
  clock: Clock;
  log: Logger;
}

export interface RetentionServiceOptions {
  intervalMs: number;
  /**
   * Called when the alarm changes to a new non-null value (not on every run while it stays),
   * so a caller that records an `alarm` event adds one per episode, not one per interval.
   */
  onAlarm?: (alarm: RetentionAlarm, result: RetentionResult) => void;
  /** Called after a run that deleted chained events (the daemon records a `retention` checkpoint). */
  onPruned?: (result: RetentionResult) => void;
}

export interface RetentionStats {
  runs: number;
  lastResult: RetentionResult | null;
  /** Totals since start. */
  deletedFrames: number;
  deletedCrops: number;
  deletedEvents: number;
}

/** Runs retention at start and then every `intervalMs` after the previous run ends. */
export class RetentionService implements Service {
  readonly name = 'store-retention';
  private timer: Timer | null = null;
  private running: Promise<void> | null = null;
  private stopped = true;
  private lastAlarm: RetentionAlarm | null = null;
  /** Runs one after another, whether started by the timer or by runOnce. */
  private queue: Promise<unknown> = Promise.resolve();
  private counters: RetentionStats = { runs: 0, lastResult: null, deletedFrames: 0, deletedCrops: 0, deletedEvents: 0 };

  constructor(
    private readonly ctx: RetentionServiceContext,
    private readonly retention: Retention,
    private readonly options: RetentionServiceOptions,
  ) {}

  async start(): Promise<void> {
    this.stopped = false;
    this.schedule(0);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) this.ctx.clock.clearTimeout(this.timer);
    this.timer = null;
    await this.running;
  }

  stats(): RetentionStats {
    return { ...this.counters };
  }

  /** One run now (tests, or an operator's command); also what the timer calls. */
  runOnce(): Promise<RetentionResult> {
    const run = this.queue.then(async () => {
      const result = await this.retention.run();
      this.record(result);
      return result;
    });
    this.queue = run.catch(() => {});
    return run;
  }

  private schedule(ms: number): void {
    this.timer = this.ctx.clock.setTimeout(() => {
      this.timer = null;
      this.running = this.runOnce()
        .then(
          () => {},
          (err: unknown) => this.ctx.log.error({ err }, 'retention run failed'),
        )
        .finally(() => {
          this.running = null;
          // A stop() and start() during the run has already scheduled the next one.
          if (!this.stopped && this.timer === null) this.schedule(this.options.intervalMs);
        });
    }, ms);
    this.timer.unref?.();
  }

  private record(result: RetentionResult): void {
    const c = this.counters;
    c.runs++;
    c.lastResult = result;
    c.deletedFrames += result.byAge.frames + result.byQuota.frames;
    c.deletedCrops += result.byQuota.crops;
    c.deletedEvents += result.byAge.events + result.byQuota.events;

    const summary = {
      byAge: result.byAge,
      byQuota: result.byQuota,
      usedBytes: result.usage.totalBytes,
      quotaBytes: result.quotaBytes,
    };
    if (result.alarm === 'quota-exceeded')
      this.ctx.log.warn(summary, 'store over quota with only undelivered data left');
    else if (result.alarm === 'quota-enforced')
      this.ctx.log.warn(summary, 'store quota reached: deleted delivered data before its retention age');
    else if (result.byAge.events > 0) this.ctx.log.info(summary, 'retention deleted expired delivered events');

    if (result.pruned.length > 0) this.options.onPruned?.(result);
    if (result.alarm !== null && result.alarm !== this.lastAlarm) this.options.onAlarm?.(result.alarm, result);
    this.lastAlarm = result.alarm;
  }
}
