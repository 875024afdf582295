import type { Clock } from '../../src/core/clock.js';
import { silentLogger } from '../../src/core/log.js';
import { StoreTransactions } from '../../src/store/transactions.js';
import type { EventSink, NewEvent, Outbox, OutboxEntry, StoredEvent, Transactions } from '../../src/store/types.js';

/**
 * An in-memory outbox that obeys the contract of src/store/types.ts (recording order,
 * idempotent markDelivered, onAppend after each commit, transactions that keep all or nothing),
 * for unit tests of the uplink and the lanes. Seqs continue per lane across `newBoot()`, as the
 * store's do across restarts. `failWith`: every append throws it (a full disk), until cleared.
 */
export class MemoryOutbox implements Outbox, EventSink, Transactions {
  failWith: Error | null = null;
  private readonly tx = new StoreTransactions(null, silentLogger);
  private entries: OutboxEntry[] = [];
  private readonly delivered = new Set<number>();
  private seqs = new Map<string, number>();
  private readonly listeners = new Set<() => void>();
  private nextOutboxId = 1;
  private nextEventNumber = 1;
  /** Every id passed to markDelivered, in order, repeats included. */
  readonly markCalls: number[][] = [];

  constructor(
    private readonly clock: Clock,
    private readonly siteId = 'test-site',
    public bootId = 'boot-1',
  ) {}

  transaction<T>(fn: () => T): T {
    const entries = [...this.entries];
    const seqs = new Map(this.seqs);
    try {
      return this.tx.transaction(fn);
    } catch (err) {
      this.entries = entries;
      this.seqs = seqs;
      throw err;
    }
  }

  afterCommit(fn: () => void): void {
    this.tx.afterCommit(fn);
  }

  append(event: NewEvent): StoredEvent {
    if (this.failWith) throw this.failWith;
    const seq = (this.seqs.get(event.laneId) ?? 0) + 1;
    this.seqs.set(event.laneId, seq);
    const stored: StoredEvent = {
      eventId: fakeUlid(this.nextEventNumber++),
      bootId: this.bootId,
      seq,
      siteId: this.siteId,
      laneId: event.laneId,
      type: event.type,
      ts: this.clock.now(),
      monoAt: this.clock.monotonic(),
      payload: structuredClone(event.payload),
      hasCrop: event.crop !== undefined,
      chain: null,
    };
    this.entries.push({ outboxId: this.nextOutboxId++, event: stored });
    this.tx.afterCommit(() => {
      for (const listener of [...this.listeners]) listener();
    });
    return stored;
  }

  /** As after a restart of the daemon: a new boot id, seqs carry on. */
  newBoot(bootId: string): void {
    this.bootId = bootId;
  }

  pending(limit: number, afterOutboxId = 0): OutboxEntry[] {
    if (!Number.isInteger(limit) || limit < 1)
      throw new RangeError(`pending(limit): limit must be a whole number ≥ 1, got ${limit}`);
    const out: OutboxEntry[] = [];
    for (const entry of this.entries) {
      if (out.length >= limit) break;
      if (entry.outboxId > afterOutboxId && !this.delivered.has(entry.outboxId)) out.push(structuredClone(entry));
    }
    return out;
  }

  markDelivered(outboxIds: readonly number[]): void {
    this.markCalls.push([...outboxIds]);
    for (const id of outboxIds) if (id < this.nextOutboxId) this.delivered.add(id);
  }

  pendingCount(): number {
    return this.entries.length - this.delivered.size;
  }

  onAppend(listener: () => void): () => void {
    const wrapped = () => listener();
    this.listeners.add(wrapped);
    return () => this.listeners.delete(wrapped);
  }

  listenerCount(): number {
    return this.listeners.size;
  }

  isDelivered(outboxId: number): boolean {
    return this.delivered.has(outboxId);
  }
}

const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

/** A valid ULID-shaped id whose order follows `n`. */
export function fakeUlid(n: number): string {
  let out = '';
  for (let rest = n; out.length < 16; rest = Math.floor(rest / 32)) out = CROCKFORD[rest % 32] + out;
  return `01J0000000${out}`;
}
