import type { Clock } from '../../core/clock.js';
import { errorMessage } from '../../core/error-message.js';
import type { Logger } from '../../core/log.js';

export interface StoreHealthDeps {
  clock: Pick<Clock, 'now'>;
  log: Logger;
  /** Records an alarm event; throws when the store cannot take it. */
  recordAlarm(
    alarm: 'lane.store-failed' | 'lane.store-recovered',
    detail: string,
    extra: Record<string, unknown>,
  ): void;
  /** The lane's snapshot changed (its `storeError`). */
  changed(): void;
}

/**
 * A lane's record of the event store failing it. Every failed write is logged; the last error
 * shows in the lane's snapshot until a write works again. The episode is alarmed at its start
 * (`lane.store-failed`, if the store still takes that alarm) and at its end
 * (`lane.store-recovered`, with how many writes failed since when: what they held is lost).
 */
export class StoreHealth {
  private failure: { since: number; error: string; failures: number } | null = null;
  /** Failed writes since start. */
  failures = 0;

  constructor(private readonly deps: StoreHealthDeps) {}

  /** The last error while the store fails the lane; null when it works. */
  get error(): string | null {
    return this.failure?.error ?? null;
  }

  failed(err: unknown): void {
    const error = errorMessage(err);
    const previous = this.failure;
    this.failure = { since: previous?.since ?? this.deps.clock.now(), error, failures: (previous?.failures ?? 0) + 1 };
    this.failures++;
    this.deps.log.error(
      { err: error, failures: this.failure.failures },
      'the event store failed: what the lane did is not recorded',
    );
    if (!previous) {
      try {
        this.deps.recordAlarm('lane.store-failed', `the event store failed: ${error}`, {});
      } catch {
        // As expected while the store is down: the log and the snapshot say it.
      }
    }
    this.deps.changed();
  }

  /** A write worked: ends a failure episode, if one is open. */
  works(): void {
    const failure = this.failure;
    if (!failure) return;
    this.failure = null;
    const detail = `the event store works again; ${failure.failures} write(s) failed since ${new Date(failure.since).toISOString()} (last: ${failure.error}), and what they held is not recorded`;
    try {
      this.deps.recordAlarm('lane.store-recovered', detail, { failures: failure.failures, since: failure.since });
    } catch (err) {
      this.failure = failure;
      return this.failed(err);
    }
    this.deps.changed();
  }
}
