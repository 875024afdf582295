import type { Clock, Timer } from './clock.js';

/**
 * Sends what changed often, per key, at most once every `minIntervalMs` and always ending with
 * the latest: a request runs its send after the current call stack (so a burst of changes in one
 * step is one send, made after the step's commit), or once the interval since the key's last
 * send has passed; requests meanwhile fold into the one waiting. For retained snapshots whose
 * newest value is all that matters (a yard's state, the day's post-check summary).
 */
export class Coalescer<K> {
  private readonly pending = new Map<K, Timer>();
  private readonly lastSentAt = new Map<K, number>();

  constructor(
    private readonly clock: Pick<Clock, 'monotonic' | 'setTimeout' | 'clearTimeout'>,
    private readonly minIntervalMs: number,
  ) {}

  request(key: K, send: (key: K) => void): void {
    if (this.pending.has(key)) return;
    const last = this.lastSentAt.get(key);
    const wait = last === undefined ? 0 : Math.max(0, last + this.minIntervalMs - this.clock.monotonic());
    this.pending.set(
      key,
      this.clock.setTimeout(() => {
        this.pending.delete(key);
        send(key);
      }, wait),
    );
  }

  /** `key` went out now (by a request or not, e.g. on connect): the next request waits from here. */
  sent(key: K): void {
    this.lastSentAt.set(key, this.clock.monotonic());
  }

  /** Drops the sends waiting. */
  clear(): void {
    for (const timer of this.pending.values()) this.clock.clearTimeout(timer);
    this.pending.clear();
  }
}
