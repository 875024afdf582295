/**
 * The contract between the event store (src/store) and everything that records or forwards
 * events (lanes, src/uplink). An event is durable when `append` returns: the daemon records
 * before it acts, and the uplink forwards from the outbox, never from memory.
 */

import type { EventType } from '../domain/events.js';
import type { ChainFields } from '../evidence/chain.js';

export type { EventType } from '../domain/events.js';

/** An event as a producer hands it to the store. */
export interface NewEvent {
  type: EventType;
  laneId: string;
  /** JSON-serialisable body, specific to `type`. */
  payload: Record<string, unknown>;
  /** A small JPEG (a plate crop), kept as a BLOB beside the event; never sent over MQTT. */
  crop?: Buffer;
}

/** An event as recorded: the envelope central receives, plus the payload. */
export interface StoredEvent {
  /** Unique and sortable by creation time (ULID: 26 characters, Crockford base32). */
  eventId: string;
  /** Random id of the daemon process that recorded it; a new one on every start. */
  bootId: string;
  /** Per lane, +1 per event, persisted across restarts: central finds gaps with (bootId, seq). */
  seq: number;
  siteId: string;
  laneId: string;
  type: EventType;
  /** Wall-clock time of recording, ms since the epoch. */
  ts: number;
  /** Monotonic clock (Clock.monotonic) at recording, meaningful only within `bootId`. */
  monoAt: number;
  payload: Record<string, unknown>;
  /** Whether a crop BLOB is stored with the event. */
  hasCrop: boolean;
  /** Its link in the lane's evidence chain (docs/evidence.md); null for events of an older version. */
  chain: ChainFields | null;
}

/** Records events; each append is one transaction with its outbox row, durable on return. */
export interface EventSink {
  append(event: NewEvent): StoredEvent;
}

/**
 * Groups the store's writes (events, command ids, lists: one connection) so that they commit
 * together or not at all, and defers what must follow only durable writes. An `append` inside
 * `transaction` is durable when the outermost transaction returns, not before.
 */
export interface Transactions {
  /** Runs `fn` in one transaction (inside another: part of it); if `fn` throws, nothing it wrote is kept. */
  transaction<T>(fn: () => T): T;
  /** Runs `fn` once the outermost transaction has committed (at once outside one); never if it rolls back. */
  afterCommit(fn: () => void): void;
}

/** A sink whose appends can be grouped with other writes (the lane's records, a command and its outcome). */
export type TransactionalSink = EventSink & Transactions;

/** A recorded event waiting to reach central. */
export interface OutboxEntry {
  /** Position in the outbox: strictly increasing in recording order. */
  outboxId: number;
  event: StoredEvent;
}

/** The store's side of store-and-forward, as the uplink's drainer sees it. */
export interface Outbox {
  /** Undelivered entries in recording order, oldest first, starting after `afterOutboxId`. */
  pending(limit: number, afterOutboxId?: number): OutboxEntry[];
  /** Marks entries delivered (the broker acknowledged them). Idempotent. */
  markDelivered(outboxIds: readonly number[]): void;
  pendingCount(): number;
  /** Called after each append, so a drainer can wake without polling; returns an unsubscribe. */
  onAppend(listener: () => void): () => void;
}
