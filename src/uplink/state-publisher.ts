import type { Clock, Timer } from '../core/clock.js';
import type { Logger } from '../core/log.js';
import type { Service } from '../core/service.js';
import { channels, type GateSnapshot } from './contract.js';
import type { MqttMessage, Publisher } from './publisher.js';

/** Changes within this long (ms) go out as one round of snapshots. */
export const CHANGE_COALESCE_MS = 250;

export interface StatePublisherOptions {
  prefix: string;
  siteId: string;
  intervalMs: number;
  snapshot: () => GateSnapshot;
}

/**
 * Publishes the gate's health and each lane's state as retained snapshots: on every connect,
 * soon after a change (publishSoon), and every `intervalMs` while connected. Nothing is queued while the link is down: a snapshot
 * is only worth its latest value, and the events that matter go through the outbox.
 */
export class StatePublisher implements Service {
  readonly name = 'uplink-state';
  private timer: Timer | null = null;
  private soonTimer: Timer | null = null;
  private unsubscribe: (() => void) | null = null;
  private published = 0;

  constructor(
    private readonly ctx: { clock: Clock; log: Logger },
    private readonly publisher: Publisher,
    private readonly opts: StatePublisherOptions,
  ) {}

  async start(): Promise<void> {
    this.unsubscribe = this.publisher.onConnectionChange((connected) => {
      if (connected) this.publishNow();
    });
    this.schedule();
  }

  async stop(): Promise<void> {
    this.unsubscribe?.();
    this.unsubscribe = null;
    if (this.timer) this.ctx.clock.clearTimeout(this.timer);
    if (this.soonTimer) this.ctx.clock.clearTimeout(this.soonTimer);
    this.timer = null;
    this.soonTimer = null;
  }

  /**
   * Something central should see promptly changed (a lane's phase, a hold, the barrier): one
   * round within CHANGE_COALESCE_MS, however many changes came in that time.
   */
  publishSoon(): void {
    if (this.soonTimer || !this.unsubscribe) return;
    this.soonTimer = this.ctx.clock.setTimeout(() => {
      this.soonTimer = null;
      this.publishNow();
    }, CHANGE_COALESCE_MS);
  }

  stats() {
    return { published: this.published };
  }

  /** One round of snapshots, if connected. */
  publishNow(): void {
    if (!this.publisher.connected) return;
    let snapshot: GateSnapshot;
    try {
      snapshot = this.opts.snapshot();
    } catch (err) {
      this.ctx.log.error({ err }, 'gate snapshot failed');
      return;
    }
    const { prefix, siteId } = this.opts;
    const messages: MqttMessage[] = [
      ...snapshot.lanes.map((lane) =>
        message(channels.laneState, channels.laneState.topic(prefix, siteId, lane.laneId), lane),
      ),
      message(channels.health, channels.health.topic(prefix, siteId), snapshot.health),
    ];
    for (const m of messages) {
      this.publisher.publish(m, (err) => {
        if (err) this.ctx.log.debug({ err, topic: m.topic }, 'state snapshot not sent');
        else this.published++;
      });
    }
  }

  private schedule(): void {
    this.timer = this.ctx.clock.setTimeout(() => {
      this.publishNow();
      this.schedule();
    }, this.opts.intervalMs);
  }
}

function message(channel: { qos: 0 | 1; retain: boolean }, topic: string, payload: unknown): MqttMessage {
  return { topic, payload: JSON.stringify(payload), qos: channel.qos, retain: channel.retain };
}
