import type { Clock, Timer } from '../core/clock.js';
import type { Logger } from '../core/log.js';
import type { Service } from '../core/service.js';
import type { CheckpointReason, PrunedRange } from '../evidence/checkpoint.js';
import type { ChainCheckpoints } from './chain-checkpoints.js';

export interface CheckpointStats {
  recorded: number;
  failed: number;
  lastReason: CheckpointReason | null;
  lastEventId: string | null;
}

/**
 * Signs the chain heads on start, every `intervalMs` when something was recorded since the last
 * checkpoint, after retention deleted events, and on stop (stopped after the lanes, so the shutdown checkpoint covers their last
 * events). A failure is logged and counted; the lanes go on.
 */
export class CheckpointService implements Service {
  readonly name = 'chain-checkpoints';
  private timer: Timer | null = null;
  /** The heads as the last checkpoint left them (its own included): unchanged means nothing to sign. */
  private lastHeads = '';
  private counters: CheckpointStats = { recorded: 0, failed: 0, lastReason: null, lastEventId: null };

  constructor(
    private readonly ctx: { clock: Clock; log: Logger },
    private readonly checkpoints: ChainCheckpoints,
    private readonly options: { intervalMs: number },
  ) {}

  async start(): Promise<void> {
    this.record('start');
    this.schedule();
  }

  async stop(): Promise<void> {
    if (this.timer) this.ctx.clock.clearTimeout(this.timer);
    this.timer = null;
    this.record('shutdown');
  }

  /** After retention deleted events: a checkpoint naming the pruned ranges (RetentionResult.pruned). */
  recordRetention(pruned: PrunedRange[]): void {
    this.record('retention', pruned);
  }

  stats(): CheckpointStats {
    return { ...this.counters };
  }

  private schedule(): void {
    this.timer = this.ctx.clock.setTimeout(() => {
      if (JSON.stringify(this.checkpoints.currentHeads()) !== this.lastHeads) this.record('periodic');
      this.schedule();
    }, this.options.intervalMs);
  }

  private record(reason: CheckpointReason, pruned?: PrunedRange[]): void {
    try {
      const { event, heads } = this.checkpoints.recordWithHeads(reason, pruned);
      this.lastHeads = JSON.stringify(heads);
      this.counters = {
        ...this.counters,
        recorded: this.counters.recorded + 1,
        lastReason: reason,
        lastEventId: event.eventId,
      };
    } catch (err) {
      this.counters.failed++;
      this.ctx.log.error({ err, reason }, 'chain checkpoint not recorded');
    }
  }
}
