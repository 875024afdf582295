import type { Clock } from '../core/clock.js';
import type { Logger } from '../core/log.js';
import type { Database } from './database.js';
import type { EventSink, EventType, NewEvent, Outbox, OutboxEntry, StoredEvent } from './types.js';
import { UlidFactory } from './ulid.js';

export interface EventStoreContext {
  clock: Clock;
  log: Logger;
}

export interface EventStoreIdentity {
  siteId: string;
  /** This process's boot id (see StoredEvent.bootId). */
  bootId: string;
}

interface EventRow {
  outbox_id: number;
  event_id: string;
  boot_id: string;
  seq: number;
  site_id: string;
  lane_id: string;
  type: string;
  ts: number;
  mono_at: number;
  payload: string;
  has_crop: number;
}

const EVENT_COLUMNS = `o.outbox_id, e.event_id, e.boot_id, e.seq, e.site_id, e.lane_id, e.type, e.ts, e.mono_at, e.payload,
  e.crop IS NOT NULL AS has_crop`;

/**
 * Events and their outbox in SQLite. `append` writes the event, its lane's next seq and its
 * outbox row in one transaction, so a crash leaves all three or none; the uplink reads the
 * outbox in order and marks what the broker acknowledged.
 */
export class EventStore implements EventSink, Outbox {
  private readonly ids: UlidFactory;
  private readonly listeners = new Set<() => void>();
  private readonly sql;
  private readonly appendTx;
  private readonly markTx;

  constructor(
    private readonly db: Database,
    private readonly ctx: EventStoreContext,
    private readonly identity: EventStoreIdentity,
  ) {
    this.ids = new UlidFactory(ctx.clock);
    this.sql = {
      nextSeq: db.prepare<[string], { last_seq: number }>(
        `INSERT INTO lane_seq (lane_id, last_seq) VALUES (?, 1)
         ON CONFLICT (lane_id) DO UPDATE SET last_seq = last_seq + 1 RETURNING last_seq`,
      ),
      insertEvent: db.prepare(
        `INSERT INTO events (event_id, boot_id, seq, site_id, lane_id, type, ts, mono_at, payload, crop)
         VALUES (@eventId, @bootId, @seq, @siteId, @laneId, @type, @ts, @monoAt, @payload, @crop)`,
      ),
      insertOutbox: db.prepare<[string]>('INSERT INTO outbox (event_id) VALUES (?)'),
      pending: db.prepare<[number, number], EventRow>(
        `SELECT ${EVENT_COLUMNS} FROM outbox o JOIN events e ON e.event_id = o.event_id
         WHERE o.delivered_at IS NULL AND o.outbox_id > ? ORDER BY o.outbox_id LIMIT ?`,
      ),
      markDelivered: db.prepare<[number, number]>('UPDATE outbox SET delivered_at = ? WHERE outbox_id = ? AND delivered_at IS NULL'),
      pendingCount: db.prepare<[], { n: number }>('SELECT COUNT(*) AS n FROM outbox WHERE delivered_at IS NULL'),
      byId: db.prepare<[string], EventRow>(`SELECT ${EVENT_COLUMNS} FROM events e JOIN outbox o ON o.event_id = e.event_id WHERE e.event_id = ?`),
      crop: db.prepare<[string], { crop: Buffer | null }>('SELECT crop FROM events WHERE event_id = ?'),
    };
    this.appendTx = db.transaction((event: StoredEvent, payload: string, crop: Buffer | null) => {
      const seq = this.sql.nextSeq.get(event.laneId)!.last_seq;
      this.sql.insertEvent.run({ ...event, seq, payload, crop });
      const outboxId = Number(this.sql.insertOutbox.run(event.eventId).lastInsertRowid);
      return { seq, outboxId };
    });
    this.markTx = db.transaction((outboxIds: readonly number[], at: number) => {
      let changed = 0;
      for (const id of outboxIds) changed += this.sql.markDelivered.run(at, id).changes;
      return changed;
    });
  }

  get bootId(): string {
    return this.identity.bootId;
  }

  append(event: NewEvent): StoredEvent {
    if (!event.laneId) throw new Error(`event of type ${event.type} has no laneId`);
    const payload = serialisePayload(event);
    const stored: StoredEvent = {
      eventId: this.ids.next(),
      bootId: this.identity.bootId,
      seq: 0,
      siteId: this.identity.siteId,
      laneId: event.laneId,
      type: event.type,
      ts: this.ctx.clock.now(),
      monoAt: this.ctx.clock.monotonic(),
      payload: JSON.parse(payload) as Record<string, unknown>,
      hasCrop: event.crop !== undefined,
    };
    const { seq } = this.appendTx.immediate(stored, payload, event.crop ?? null);
    stored.seq = seq;
    for (const listener of this.listeners) {
      try {
        listener();
      } catch (err) {
        this.ctx.log.error({ err }, 'outbox append listener failed');
      }
    }
    return stored;
  }

  pending(limit: number, afterOutboxId = 0): OutboxEntry[] {
    if (!Number.isInteger(limit) || limit < 1) throw new RangeError(`pending(limit): limit must be a whole number ≥ 1, got ${limit}`);
    return this.sql.pending.all(afterOutboxId, limit).map(toEntry);
  }

  /** Returns how many entries changed from pending to delivered (0 for repeats). */
  markDelivered(outboxIds: readonly number[]): number {
    if (outboxIds.length === 0) return 0;
    return this.markTx(outboxIds, this.ctx.clock.now());
  }

  pendingCount(): number {
    return this.sql.pendingCount.get()!.n;
  }

  onAppend(listener: () => void): () => void {
    // Wrapped so the same function registered twice is called twice and unsubscribes once.
    const wrapped = () => listener();
    this.listeners.add(wrapped);
    return () => this.listeners.delete(wrapped);
  }

  /** The event with its outbox position, delivered or not; undefined once retention removed it. */
  get(eventId: string): OutboxEntry | undefined {
    const row = this.sql.byId.get(eventId);
    return row && toEntry(row);
  }

  /** The plate crop stored with an event; undefined when there is none (or no such event). */
  getCrop(eventId: string): Buffer | undefined {
    return this.sql.crop.get(eventId)?.crop ?? undefined;
  }
}

/** JSON text of the payload; refuses what JSON would silently change or cannot write. */
function serialisePayload(event: NewEvent): string {
  const { payload } = event;
  if (typeof payload !== 'object' || payload === null || Array.isArray(payload)) {
    throw new TypeError(`${event.type} event for lane ${event.laneId}: payload must be an object`);
  }
  try {
    return JSON.stringify(payload);
  } catch (err) {
    throw new TypeError(`${event.type} event for lane ${event.laneId}: payload is not JSON-serialisable: ${(err as Error).message}`);
  }
}

function toEntry(row: EventRow): OutboxEntry {
  return {
    outboxId: row.outbox_id,
    event: {
      eventId: row.event_id,
      bootId: row.boot_id,
      seq: row.seq,
      siteId: row.site_id,
      laneId: row.lane_id,
      type: row.type as EventType,
      ts: row.ts,
      monoAt: row.mono_at,
      payload: JSON.parse(row.payload) as Record<string, unknown>,
      hasCrop: row.has_crop === 1,
    },
  };
}
