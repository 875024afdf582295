import type { Clock, Timer } from '../core/clock.js';
import { Coalescer } from '../core/coalescer.js';
import type { Logger } from '../core/log.js';
import type { Service } from '../core/service.js';
import type { Reconciliation } from '../postcheck/reconcile.js';
import { channels, type PostcheckSummaryMessage } from './contract.js';
import type { Publisher } from './publisher.js';

/** The summary goes out at most this often (ms) on changes: a day's report reads the whole day. */
export const POSTCHECK_SUMMARY_MIN_INTERVAL_MS = 5000;
/** The flagged passages the summary names, newest first; the totals count them all. */
export const POSTCHECK_SUMMARY_MAX_FLAGGED = 100;

/** What the publisher needs of the post-check: the reconciliation of the site's current local day. */
export interface PostcheckToday {
  today(): Reconciliation;
}

export interface PostcheckSummaryPublisherOptions {
  prefix: string;
  siteId: string;
  /** The summary is replaced this often (ms) while connected: the day turns without a passage. */
  intervalMs: number;
  postcheck: PostcheckToday;
}

/** The day's reconciliation as central gets it: the totals and the latest flagged passages, bounded. Pure. */
export function postcheckSummary(r: Reconciliation, ts: number): PostcheckSummaryMessage {
  return {
    day: r.day,
    timeZone: r.timeZone,
    from: r.from,
    to: r.to,
    ts,
    totals: r.totals,
    flagged: r.flagged
      .slice(-POSTCHECK_SUMMARY_MAX_FLAGGED)
      .reverse()
      .map((p) => ({
        passageId: p.passageId,
        flagEventId: p.flagEventId,
        laneId: p.laneId,
        plate: p.plate,
        passedAt: p.passedAt,
        declarationId: p.declarationId,
        flags: p.flags.map((f) => f.kind),
      })),
  };
}

/**
 * Publishes the post-check summary of the current day, retained at QoS 0 like the yard state:
 * a few seconds after a passage (changed(), coalesced to at most one every
 * POSTCHECK_SUMMARY_MIN_INTERVAL_MS, always ending with the latest), on every connect, and every
 * `intervalMs` while connected. Nothing is queued while the link is down: the next connect sends
 * it anew, and the flagged passages go through the outbox as `postcheck.flagged` events.
 */
export class PostcheckSummaryPublisher implements Service {
  readonly name = 'uplink-postcheck-summary';
  private timer: Timer | null = null;
  /** Passages, at most one summary every POSTCHECK_SUMMARY_MIN_INTERVAL_MS. */
  private readonly changes: Coalescer<'summary'>;
  private unsubscribe: (() => void) | null = null;
  private published = 0;

  constructor(
    private readonly ctx: { clock: Clock; log: Logger },
    private readonly publisher: Publisher,
    private readonly opts: PostcheckSummaryPublisherOptions,
  ) {
    this.changes = new Coalescer(ctx.clock, POSTCHECK_SUMMARY_MIN_INTERVAL_MS);
  }

  async start(): Promise<void> {
    this.unsubscribe = this.publisher.onConnectionChange((connected) => {
      if (connected) this.publish();
    });
    this.schedule();
  }

  async stop(): Promise<void> {
    this.unsubscribe?.();
    this.unsubscribe = null;
    if (this.timer) this.ctx.clock.clearTimeout(this.timer);
    this.timer = null;
    this.changes.clear();
  }

  /**
   * A passage was recorded (`postcheck.changed`): the summary goes out once the current call
   * stack is done, and no sooner than POSTCHECK_SUMMARY_MIN_INTERVAL_MS after the last one.
   */
  changed(): void {
    if (!this.unsubscribe || !this.publisher.connected) return;
    this.changes.request('summary', () => this.publish());
  }

  stats() {
    return { published: this.published };
  }

  /** The summary now, if connected. */
  publish(): void {
    if (!this.publisher.connected) return;
    let summary: PostcheckSummaryMessage;
    try {
      summary = postcheckSummary(this.opts.postcheck.today(), this.ctx.clock.now());
    } catch (err) {
      this.ctx.log.error({ err }, 'post-check summary failed');
      return;
    }
    const { postcheckSummary: channel } = channels;
    const topic = channel.topic(this.opts.prefix, this.opts.siteId);
    this.changes.sent('summary');
    this.publisher.publish(
      { topic, payload: JSON.stringify(summary), qos: channel.qos, retain: channel.retain },
      (err) => {
        if (!err) return void this.published++;
        this.ctx.log.debug({ err: err.message, topic }, 'post-check summary not sent');
      },
    );
  }

  private schedule(): void {
    this.timer = this.ctx.clock.setTimeout(() => {
      this.publish();
      this.schedule();
    }, this.opts.intervalMs);
  }
}
