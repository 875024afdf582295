import type { Clock, Timer } from '../core/clock.js';
import { Coalescer } from '../core/coalescer.js';
import type { Logger } from '../core/log.js';
import type { Service } from '../core/service.js';
import type { YardState } from '../yard/yard-state.js';
import { channels, type YardStateMessage } from './contract.js';
import type { Publisher } from './publisher.js';

/** A yard's state goes out at most this often (ms) on changes; the last change of a burst always goes out. */
export const YARD_STATE_MIN_INTERVAL_MS = 1000;

/** What the publisher needs of the yards (the YardService). */
export interface YardStates {
  yardIds(): string[];
  state(yardId: string): YardState | null;
}

export interface YardStatePublisherOptions {
  prefix: string;
  siteId: string;
  /** Every yard's state is replaced this often (ms) while connected: dwell grows without a change. */
  intervalMs: number;
  yards: YardStates;
}

// Fails to compile when YardState and the wire schema drift apart.
const onTheWire = (state: YardState): YardStateMessage => state;

/**
 * Publishes each yard's state, retained at QoS 0: soon after a change (changed(), coalesced per
 * yard to at most one a second, always ending with the latest state), on every connect, and
 * every `intervalMs` while connected. Nothing is queued while the link is down: on the next
 * connect every yard goes out anew, and the yard's events go through the outbox.
 */
export class YardStatePublisher implements Service {
  readonly name = 'uplink-yard-state';
  private timer: Timer | null = null;
  /** Per yard: its changes, at most one message a second. */
  private readonly changes: Coalescer<string>;
  private unsubscribe: (() => void) | null = null;
  private published = 0;
  /** A broker's refusal was logged on this connection: once is enough to point at the ACL. */
  private refusalLogged = false;

  constructor(
    private readonly ctx: { clock: Clock; log: Logger },
    private readonly publisher: Publisher,
    private readonly opts: YardStatePublisherOptions,
  ) {
    this.changes = new Coalescer(ctx.clock, YARD_STATE_MIN_INTERVAL_MS);
  }

  async start(): Promise<void> {
    this.unsubscribe = this.publisher.onConnectionChange((connected) => {
      if (!connected) return;
      this.refusalLogged = false;
      this.publishAll();
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
   * The yard changed (its `yard.changed` event): its state goes out once the current call stack
   * is done (so a burst of changes in one passage is one message, read after the store committed
   * them), and no sooner than YARD_STATE_MIN_INTERVAL_MS after the last one.
   */
  changed(yardId: string): void {
    if (!this.unsubscribe || !this.publisher.connected) return;
    this.changes.request(yardId, (id) => this.publish(id));
  }

  stats() {
    return { published: this.published };
  }

  /** Every yard's state, if connected. */
  publishAll(): void {
    for (const yardId of this.opts.yards.yardIds()) this.publish(yardId);
  }

  private publish(yardId: string): void {
    if (!this.publisher.connected) return;
    let state: YardState | null;
    try {
      state = this.opts.yards.state(yardId);
    } catch (err) {
      this.ctx.log.error({ err, yard: yardId }, 'yard state failed');
      return;
    }
    if (!state) return;
    const { yardState } = channels;
    const topic = yardState.topic(this.opts.prefix, this.opts.siteId, yardId);
    this.changes.sent(yardId);
    this.publisher.publish(
      { topic, payload: JSON.stringify(onTheWire(state)), qos: yardState.qos, retain: yardState.retain },
      (err) => {
        if (!err) return void this.published++;
        // A PUBACK reason code: the broker refused it, most likely an ACL without `yards/+/state`.
        const refused = typeof (err as { code?: unknown }).code === 'number';
        if (refused && !this.refusalLogged) {
          this.refusalLogged = true;
          this.ctx.log.warn(
            { err: err.message, topic },
            'the broker refused the yard state: its ACL must let the gate write {prefix}/{site}/yards/+/state (docs/mqtt-security.md)',
          );
        } else this.ctx.log.debug({ err: err.message, topic }, 'yard state not sent');
      },
    );
  }

  private schedule(): void {
    this.timer = this.ctx.clock.setTimeout(() => {
      this.publishAll();
      this.schedule();
    }, this.opts.intervalMs);
  }
}
