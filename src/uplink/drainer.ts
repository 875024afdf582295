import type { Clock, Timer } from '../core/clock.js';
import type { Logger } from '../core/log.js';
import type { Service } from '../core/service.js';
import type { Outbox, OutboxEntry, StoredEvent } from '../store/types.js';
import type { MqttMessage, Publisher } from './publisher.js';
import { errorMessage } from '../core/error-message.js';

export interface DrainerOptions {
  /** The message for an event (topic and encoded payload). */
  encode: (event: StoredEvent) => MqttMessage;
  /** Publishes awaiting PUBACK, at most; the broker's Receive Maximum lowers it. */
  maxInFlight: number;
  /** Entries read from the outbox at a time. Default: 4 × maxInFlight. */
  batchSize?: number;
  /** Acknowledged ids are marked delivered in batches of this many (and whenever the drainer goes idle). */
  markBatch?: number;
  /** Slow safety wake-up in case an append was not signalled. Default 5 s. */
  safetyIntervalMs?: number;
  /** Wait before re-sending after the broker refused a publish. Default 1 s. */
  retryDelayMs?: number;
}

export interface DrainerStats {
  connected: boolean;
  /** Publishes handed to the connection since start (re-sends included). */
  published: number;
  /** Publishes the broker acknowledged. */
  acked: number;
  /** Publishes refused or lost with the link. */
  failed: number;
  inFlight: number;
  /** Undelivered entries in the outbox. */
  pending: number;
  lastError: string | null;
}

/**
 * Forwards the outbox to the broker: while connected, reads undelivered entries in order and
 * publishes them at QoS 1 with a bounded number in flight, marking each delivered only when
 * its PUBACK arrives. On disconnect it forgets everything in flight; on reconnect it re-reads
 * from the oldest undelivered entry in the store, so nothing depends on memory (at-least-once).
 */
export class Drainer implements Service {
  readonly name = 'uplink-drainer';
  private running = false;
  /** Changes on every connect and disconnect, so a stale callback cannot touch the current counters. */
  private generation = 0;
  private cursor: number | undefined;
  private buffer: OutboxEntry[] = [];
  private inFlight = 0;
  private toMark: number[] = [];
  /** The broker refused a publish: re-read from the oldest undelivered once in-flight settles. */
  private rewind = false;
  private pumping = false;
  private retryTimer: Timer | null = null;
  private safetyTimer: Timer | null = null;
  private unsubscribe: (() => void)[] = [];
  private readonly counters = { published: 0, acked: 0, failed: 0, lastError: null as string | null };

  constructor(
    private readonly ctx: { clock: Clock; log: Logger },
    private readonly outbox: Outbox,
    private readonly publisher: Publisher,
    private readonly opts: DrainerOptions,
  ) {}

  async start(): Promise<void> {
    if (this.running) return;
    this.running = true;
    this.unsubscribe = [
      this.outbox.onAppend(() => this.pump()),
      this.publisher.onConnectionChange((connected) => this.onConnectionChange(connected)),
    ];
    this.armSafetyTimer();
    this.restartFromStore();
    this.pump();
  }

  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    for (const off of this.unsubscribe) off();
    this.unsubscribe = [];
    if (this.retryTimer) this.ctx.clock.clearTimeout(this.retryTimer);
    if (this.safetyTimer) this.ctx.clock.clearTimeout(this.safetyTimer);
    this.retryTimer = this.safetyTimer = null;
    this.flushMarks();
  }

  stats(): DrainerStats {
    return {
      connected: this.publisher.connected,
      ...this.counters,
      inFlight: this.inFlight,
      pending: this.outbox.pendingCount(),
    };
  }

  /** Publishes until the in-flight bound is reached or the outbox has nothing more. */
  pump(): void {
    if (!this.running || this.pumping) return;
    this.pumping = true;
    try {
      while (
        this.running &&
        this.publisher.connected &&
        !this.rewind &&
        this.retryTimer === null &&
        this.inFlight < this.limit()
      ) {
        const entry = this.next();
        if (!entry) break;
        this.send(entry);
      }
      if (this.inFlight === 0) this.flushMarks();
    } finally {
      this.pumping = false;
    }
  }

  private limit(): number {
    const quota = this.publisher.sendQuota;
    return quota && quota > 0 ? Math.min(this.opts.maxInFlight, quota) : this.opts.maxInFlight;
  }

  private next(): OutboxEntry | undefined {
    if (this.buffer.length === 0) {
      this.buffer = this.outbox.pending(this.opts.batchSize ?? this.opts.maxInFlight * 4, this.cursor);
    }
    const entry = this.buffer.shift();
    if (entry) this.cursor = entry.outboxId;
    return entry;
  }

  private send(entry: OutboxEntry): void {
    const generation = this.generation;
    let message: MqttMessage;
    try {
      message = this.opts.encode(entry.event);
    } catch (err) {
      // An event that cannot be encoded would block the lane forever; it stays in the outbox.
      this.noteError(err, { outboxId: entry.outboxId }, 'event cannot be encoded: skipped');
      return;
    }
    this.inFlight++;
    this.counters.published++;
    this.publisher.publish(message, (err) => this.settle(entry.outboxId, generation, err));
  }

  private settle(outboxId: number, generation: number, err: Error | null): void {
    // A PUBACK is proof of delivery whatever happened since; a failure of a past connection is moot.
    if (!err) {
      this.counters.acked++;
      this.toMark.push(outboxId);
      // After stop() nothing else would write the batch: in-flight acks still land during shutdown.
      if (!this.running || this.toMark.length >= (this.opts.markBatch ?? 100)) this.flushMarks();
    }
    if (generation !== this.generation) return;
    this.inFlight--;
    if (err) {
      this.counters.failed++;
      this.noteError(err, { outboxId }, 'publish failed');
      this.rewind = true;
    }
    if (this.rewind && this.inFlight === 0) this.scheduleRetry();
    this.pump();
  }

  private onConnectionChange(connected: boolean): void {
    this.generation++;
    this.inFlight = 0;
    this.flushMarks();
    this.restartFromStore();
    if (connected) this.pump();
  }

  /** Next reads start at the oldest undelivered entry in the store. */
  private restartFromStore(): void {
    this.flushMarks();
    this.cursor = undefined;
    this.buffer = [];
    this.rewind = false;
  }

  private scheduleRetry(): void {
    if (this.retryTimer || !this.running) return;
    this.retryTimer = this.ctx.clock.setTimeout(() => {
      this.retryTimer = null;
      this.restartFromStore();
      this.pump();
    }, this.opts.retryDelayMs ?? 1000);
  }

  private armSafetyTimer(): void {
    this.safetyTimer = this.ctx.clock.setTimeout(() => {
      if (!this.running) return;
      this.armSafetyTimer();
      this.pump();
    }, this.opts.safetyIntervalMs ?? 5000);
  }

  private flushMarks(): void {
    if (this.toMark.length === 0) return;
    const ids = this.toMark;
    this.toMark = [];
    try {
      this.outbox.markDelivered(ids);
    } catch (err) {
      // Not marked means sent again later: a duplicate, never a loss.
      this.noteError(err, { count: ids.length }, 'marking delivered failed');
    }
  }

  private noteError(err: unknown, details: object, msg: string): void {
    this.counters.lastError = errorMessage(err);
    this.ctx.log.warn({ ...details, err: this.counters.lastError }, msg);
  }
}
