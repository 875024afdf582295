import type { Clock } from '../core/clock.js';
import type { Logger } from '../core/log.js';
import type { Database } from './database.js';
import { chainFieldsOf, type ChainColumns } from './chain-columns.js';
import { StoreTransactions } from './transactions.js';
import type { EventSink, EventType, NewEvent, Outbox, OutboxEntry, StoredEvent, Transactions } from './types.js';
import { UlidFactory } from './ulid.js';
import { canonicalJson } from '../evidence/canonical-json.js';
import { chainFieldsFor } from '../evidence/chain.js';
import type { DecisionAction } from '../domain/decisions.js';

export interface EventStoreContext {
  clock: Clock;
  log: Logger;
}

export interface EventStoreIdentity {
  siteId: string;
  /** This process's boot id (see StoredEvent.bootId). */
  bootId: string;
}

interface EventRow extends ChainColumns {
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

/** An event's envelope before the append gives it its seq and chain fields. */
type Recording = Pick<StoredEvent, 'eventId' | 'bootId' | 'siteId' | 'laneId' | 'type' | 'ts' | 'monoAt'>;

/** What the status page may filter the event list by (docs/web.md, GET /api/events). */
export interface EventFilter {
  laneId?: string;
  type?: EventType;
  /** Canonical plate text, matched anywhere in the event's plate (`29C123` finds `29C12345`). */
  plate?: string;
  /** A decision's action: only decisions are returned. */
  action?: DecisionAction;
  /** Epoch ms, inclusive. */
  from?: number;
  to?: number;
  /** Only events older than this event id (the previous page's `next`). */
  before?: string;
  /** 1..200; default 50. */
  limit?: number;
}

/** An event as the status page lists it: whether central has it yet. */
export interface ListedEvent extends StoredEvent {
  delivered: boolean;
}

export interface EventPage {
  events: ListedEvent[];
  /** The `before` cursor of the next page; null at the end. */
  next: string | null;
}

export const EVENT_QUERY_MAX_LIMIT = 200;
export const EVENT_QUERY_DEFAULT_LIMIT = 50;
/** Events of one vehicle lie within this long of each other (GET /api/events/:eventId). */
export const RELATED_WINDOW_MS = 10 * 60_000;

/**
 * The plate text of any event: a string `plate` (actuations, alarms, operator actions, vehicle
 * outcomes), an object `plate.text` (decisions) or the top-level `text` of a plate read.
 */
const PLATE_TEXT = `COALESCE(
  CASE WHEN json_type(e.payload, '$.plate') = 'text' THEN json_extract(e.payload, '$.plate') END,
  json_extract(e.payload, '$.plate.text'),
  CASE WHEN e.type = 'plate.read' THEN json_extract(e.payload, '$.text') END)`;

interface ListedRow extends EventRow {
  delivered: number;
}

const EVENT_COLUMNS = `o.outbox_id, e.event_id, e.boot_id, e.seq, e.site_id, e.lane_id, e.type, e.ts, e.mono_at, e.payload,
  e.crop IS NOT NULL AS has_crop, e.payload_hash, e.crop_hash, e.prev_hash, e.chain_hash`;

/**
 * Events and their outbox in SQLite. `append` writes the event with its link in the lane's
 * evidence chain (src/evidence/chain.ts), the lane's next seq and chain head, and its outbox
 * row in one transaction, so a crash leaves all of them or none; the uplink reads the
 * outbox in order and marks what the broker acknowledged. `transaction` groups appends with
 * any other write of the store (see Transactions); the append listeners run after the commit.
 */
export class EventStore implements EventSink, Outbox, Transactions {
  private readonly ids: UlidFactory;
  private readonly listeners = new Set<() => void>();
  private readonly sql;
  private readonly appendTx;
  private readonly markTx;

  constructor(
    private readonly db: Database,
    private readonly ctx: EventStoreContext,
    private readonly identity: EventStoreIdentity,
    /** The store's transactions (one per connection); default: its own. */
    private readonly tx: Transactions = new StoreTransactions(db, ctx.log),
  ) {
    this.ids = new UlidFactory(ctx.clock);
    this.sql = {
      laneHead: db.prepare<[string], { last_seq: number; head_hash: string | null }>(
        'SELECT last_seq, head_hash FROM lane_seq WHERE lane_id = ?',
      ),
      // A new lane's chain starts at its first event (chain_from 1).
      moveHead: db.prepare<[string, number, string]>(
        `INSERT INTO lane_seq (lane_id, last_seq, head_hash, chain_from) VALUES (?, ?, ?, 1)
         ON CONFLICT (lane_id) DO UPDATE SET last_seq = excluded.last_seq, head_hash = excluded.head_hash`,
      ),
      // Positional parameters: on every append, cheaper than named ones.
      insertEvent: db.prepare<
        [
          string,
          string,
          number,
          string,
          string,
          string,
          number,
          number,
          string,
          Buffer | null,
          string,
          string | null,
          string | null,
          string,
        ]
      >(
        `INSERT INTO events (event_id, boot_id, seq, site_id, lane_id, type, ts, mono_at, payload, crop,
           payload_hash, crop_hash, prev_hash, chain_hash)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      ),
      insertOutbox: db.prepare<[string]>('INSERT INTO outbox (event_id) VALUES (?)'),
      pending: db.prepare<[number, number], EventRow>(
        `SELECT ${EVENT_COLUMNS} FROM outbox o JOIN events e ON e.event_id = o.event_id
         WHERE o.delivered_at IS NULL AND o.outbox_id > ? ORDER BY o.outbox_id LIMIT ?`,
      ),
      markDelivered: db.prepare<[number, number]>(
        'UPDATE outbox SET delivered_at = ? WHERE outbox_id = ? AND delivered_at IS NULL',
      ),
      pendingCount: db.prepare<[], { n: number }>('SELECT COUNT(*) AS n FROM outbox WHERE delivered_at IS NULL'),
      byId: db.prepare<[string], EventRow>(
        `SELECT ${EVENT_COLUMNS} FROM events e JOIN outbox o ON o.event_id = e.event_id WHERE e.event_id = ?`,
      ),
      crop: db.prepare<[string], { crop: Buffer | null }>('SELECT crop FROM events WHERE event_id = ?'),
      oldestPendingTs: db.prepare<[], { ts: number | null }>(
        'SELECT MIN(e.ts) AS ts FROM outbox o JOIN events e ON e.event_id = o.event_id WHERE o.delivered_at IS NULL',
      ),
      laneHistory: db.prepare<[{ laneId: string; from: number; types: string }], EventRow>(
        `SELECT ${EVENT_COLUMNS} FROM events e JOIN outbox o ON o.event_id = e.event_id
         WHERE e.ts >= @from AND e.lane_id = @laneId AND e.type IN (SELECT value FROM json_each(@types))
         ORDER BY e.event_id`,
      ),
      related: db.prepare<
        [{ eventId: string; laneId: string; from: number; to: number; plate: string | null; links: string }],
        ListedRow
      >(
        `SELECT ${EVENT_COLUMNS}, o.delivered_at IS NOT NULL AS delivered FROM events e JOIN outbox o ON o.event_id = e.event_id
         WHERE e.lane_id = @laneId AND e.ts BETWEEN @from AND @to AND e.event_id <> @eventId
           AND ((@plate IS NOT NULL AND ${PLATE_TEXT} = @plate)
             OR e.event_id IN (SELECT value FROM json_each(@links))
             OR json_extract(e.payload, '$.decisionId') IN (SELECT value FROM json_each(@links))
             OR json_extract(e.payload, '$.holdId') IN (SELECT value FROM json_each(@links))
             OR json_extract(e.payload, '$.requestId') IN (SELECT value FROM json_each(@links)))
         ORDER BY e.event_id LIMIT 200`,
      ),
    };
    this.appendTx = db.transaction((e: Recording, payload: string, crop: Buffer | null) => {
      const head = this.sql.laneHead.get(e.laneId);
      const seq = (head?.last_seq ?? 0) + 1;
      const chain = chainFieldsFor(
        { eventId: e.eventId, bootId: e.bootId, seq, laneId: e.laneId, type: e.type, ts: e.ts },
        payload,
        crop,
        head?.head_hash ?? null,
      );
      this.sql.moveHead.run(e.laneId, seq, chain.chainHash);
      this.sql.insertEvent.run(
        e.eventId,
        e.bootId,
        seq,
        e.siteId,
        e.laneId,
        e.type,
        e.ts,
        e.monoAt,
        payload,
        crop,
        chain.payloadHash,
        chain.cropHash,
        chain.prevHash,
        chain.chainHash,
      );
      this.sql.insertOutbox.run(e.eventId);
      return { seq, chain };
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

  transaction<T>(fn: () => T): T {
    return this.tx.transaction(fn);
  }

  afterCommit(fn: () => void): void {
    this.tx.afterCommit(fn);
  }

  append(event: NewEvent): StoredEvent {
    if (!event.laneId) throw new Error(`event of type ${event.type} has no laneId`);
    const payload = serialisePayload(event);
    const recording: Recording = {
      eventId: this.ids.next(),
      bootId: this.identity.bootId,
      siteId: this.identity.siteId,
      laneId: event.laneId,
      type: event.type,
      ts: this.ctx.clock.now(),
      monoAt: this.ctx.clock.monotonic(),
    };
    const { seq, chain } = this.appendTx.immediate(recording, payload, event.crop ?? null);
    // Written out, not spread: this runs on every append.
    const stored: StoredEvent = {
      eventId: recording.eventId,
      bootId: recording.bootId,
      siteId: recording.siteId,
      laneId: recording.laneId,
      type: recording.type,
      ts: recording.ts,
      monoAt: recording.monoAt,
      seq,
      payload: JSON.parse(payload) as Record<string, unknown>,
      hasCrop: event.crop !== undefined,
      chain,
    };
    // Inside a transaction the row is not the outbox's until it commits (and never if it rolls back).
    this.tx.afterCommit(() => {
      for (const listener of this.listeners) {
        try {
          listener();
        } catch (err) {
          this.ctx.log.error({ err }, 'outbox append listener failed');
        }
      }
    });
    return stored;
  }

  pending(limit: number, afterOutboxId = 0): OutboxEntry[] {
    if (!Number.isInteger(limit) || limit < 1)
      throw new RangeError(`pending(limit): limit must be a whole number ≥ 1, got ${limit}`);
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

  /** Recording time (epoch ms) of the oldest event central has not acknowledged; null when none. */
  oldestPendingTs(): number | null {
    return this.sql.oldestPendingTs.get()?.ts ?? null;
  }

  /** Events newest first, filtered as the status page asks; `next` pages on to older ones. */
  query(filter: EventFilter = {}): EventPage {
    const limit = Math.min(Math.max(Math.trunc(filter.limit ?? EVENT_QUERY_DEFAULT_LIMIT), 1), EVENT_QUERY_MAX_LIMIT);
    const where: string[] = [];
    const params: Record<string, string | number> = {};
    if (filter.laneId !== undefined) {
      where.push('e.lane_id = @laneId');
      params.laneId = filter.laneId;
    }
    if (filter.type !== undefined) {
      where.push('e.type = @type');
      params.type = filter.type;
    }
    if (filter.action !== undefined) {
      where.push(`e.type = 'decision' AND json_extract(e.payload, '$.action') = @action`);
      params.action = filter.action;
    }
    if (filter.plate !== undefined && filter.plate !== '') {
      where.push(`instr(${PLATE_TEXT}, @plate) > 0`);
      params.plate = filter.plate;
    }
    if (filter.from !== undefined) {
      where.push('e.ts >= @from');
      params.from = filter.from;
    }
    if (filter.to !== undefined) {
      where.push('e.ts <= @to');
      params.to = filter.to;
    }
    if (filter.before !== undefined) {
      where.push('e.event_id < @before');
      params.before = filter.before;
    }
    // One more than asked tells whether there is a next page. Built per call: the filters vary,
    // and better-sqlite3 caches nothing we would miss at a page's request rate.
    const rows = this.db
      .prepare<[Record<string, string | number>], ListedRow>(
        `SELECT ${EVENT_COLUMNS}, o.delivered_at IS NOT NULL AS delivered
         FROM events e JOIN outbox o ON o.event_id = e.event_id
         ${where.length ? `WHERE ${where.map((w) => `(${w})`).join(' AND ')}` : ''}
         ORDER BY e.event_id DESC LIMIT ${limit + 1}`,
      )
      .all(params);
    const page = rows.slice(0, limit).map(toListed);
    return { events: page, next: rows.length > limit ? page[page.length - 1]!.eventId : null };
  }

  /** One event as the page lists it; undefined when unknown or removed by retention. */
  listed(eventId: string): ListedEvent | undefined {
    const row = this.db
      .prepare<[string], ListedRow>(
        `SELECT ${EVENT_COLUMNS}, o.delivered_at IS NOT NULL AS delivered FROM events e JOIN outbox o ON o.event_id = e.event_id WHERE e.event_id = ?`,
      )
      .get(eventId);
    return row && toListed(row);
  }

  /**
   * The other events of the same vehicle, oldest first: same lane, within RELATED_WINDOW_MS, and
   * the same plate or linked by id (a decision and the hold, actuation, operator action and
   * outcome that name it).
   */
  related(eventId: string): ListedEvent[] {
    const event = this.listed(eventId);
    if (!event) return [];
    const p = event.payload;
    const plate =
      typeof p.plate === 'string'
        ? p.plate
        : (plateText(p.plate) ?? (event.type === 'plate.read' && typeof p.text === 'string' ? p.text : null));
    const links = [event.eventId, p.decisionId, p.holdId, p.requestId].filter(
      (id): id is string => typeof id === 'string',
    );
    return this.sql.related
      .all({
        eventId,
        laneId: event.laneId,
        from: event.ts - RELATED_WINDOW_MS,
        to: event.ts + RELATED_WINDOW_MS,
        plate,
        links: JSON.stringify(links),
      })
      .map(toListed);
  }

  /**
   * One lane's events of the given types recorded at or after `fromTs` (epoch ms), oldest first:
   * what the lane replays at start-up (its pending holds, src/lane/flow/pending-holds.ts).
   */
  laneHistory(laneId: string, types: readonly EventType[], fromTs: number): StoredEvent[] {
    return this.sql.laneHistory
      .all({ laneId, from: fromTs, types: JSON.stringify(types) })
      .map((row) => toEntry(row).event);
  }

  /** The plate crop stored with an event; undefined when there is none (or no such event). */
  getCrop(eventId: string): Buffer | undefined {
    return this.sql.crop.get(eventId)?.crop ?? undefined;
  }
}

/**
 * The payload's canonical JSON (src/evidence/canonical-json.ts), stored as it is hashed; refuses
 * what JSON would silently change or cannot write.
 */
function serialisePayload(event: NewEvent): string {
  const { payload } = event;
  if (typeof payload !== 'object' || payload === null || Array.isArray(payload)) {
    throw new TypeError(`${event.type} event for lane ${event.laneId}: payload must be an object`);
  }
  try {
    return canonicalJson(payload);
  } catch (err) {
    throw new TypeError(
      `${event.type} event for lane ${event.laneId}: payload is not JSON-serialisable: ${(err as Error).message}`,
      { cause: err },
    );
  }
}

function plateText(plate: unknown): string | null {
  if (typeof plate !== 'object' || plate === null) return null;
  const text = (plate as { text?: unknown }).text;
  return typeof text === 'string' ? text : null;
}

function toListed(row: ListedRow): ListedEvent {
  return { ...toEntry(row).event, delivered: row.delivered === 1 };
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
      chain: chainFieldsOf(row),
    },
  };
}
