import type { Clock } from '../core/clock.js';
import { DEFAULT_MAX_LIST_ENTRIES } from '../config/store.js';
import type { Database } from './database.js';

/** One entry of an allow/deny list; `key` (e.g. a normalised plate) is unique within a list. */
export interface ListEntry {
  key: string;
  [field: string]: unknown;
}

export interface StoredList {
  version: number;
  /** When this version arrived (wall clock, ms since the epoch). */
  receivedAt: number;
  /** Sorted by key. */
  entries: ListEntry[];
}

/**
 * Why a delta was not applied. `version-mismatch` and `unknown-list` mean the gate missed an
 * update and should ask central for the full list; `already-applied` is a repeat delivery.
 */
export type DeltaRefusal = 'unknown-list' | 'version-mismatch' | 'already-applied';

export type DeltaResult =
  { applied: true; version: number } | { applied: false; reason: DeltaRefusal; currentVersion: number | null };

export interface ListSummary {
  name: string;
  version: number;
  receivedAt: number;
  entries: number;
}

/**
 * What changed in one list, as applied: a full list, or a delta's entries added (or replaced)
 * and keys removed. What keeps an index of the lists (the lanes') follows these instead of
 * reading the lists again.
 */
export type ListChange =
  | { kind: 'full'; name: string; version: number; receivedAt: number; entries: readonly ListEntry[] }
  | {
      kind: 'delta';
      name: string;
      version: number;
      receivedAt: number;
      add: readonly ListEntry[];
      remove: readonly string[];
    };

export type ListChangeListener = (change: ListChange) => void;

/** A push that would make a list longer than store.lists.maxEntries; the list is left as it was. */
export class ListTooLargeError extends Error {
  override readonly name = 'ListTooLargeError';

  constructor(
    readonly list: string,
    readonly entries: number,
    readonly maxEntries: number,
  ) {
    super(
      `list "${list}" would have ${entries} entries, more than the ${maxEntries} this gate holds (store.lists.maxEntries); the list is unchanged`,
    );
  }
}

interface MetaRow {
  version: number;
  received_at: number;
  entry_count: number;
}

/**
 * Listeners per database, so that every ListStore on one database (the daemon's, a test's second
 * one with another clock) tells the same listeners.
 */
const listenersOf = new WeakMap<Database, Set<ListChangeListener>>();

/**
 * Allow/deny lists sent by central, kept so the gate decides from the last known lists while
 * central is unreachable. A full list replaces what is stored; a delta applies only on top of
 * the exact version it was made from, so a lost or reordered delta is noticed, never merged.
 * One row per entry: a delta costs what it changes, not the size of the list. A list never
 * holds more than `maxEntries` entries.
 */
export class ListStore {
  readonly maxEntries: number;
  private readonly sql;
  private readonly listeners: Set<ListChangeListener>;

  constructor(
    private readonly db: Database,
    private readonly clock: Pick<Clock, 'now'>,
    opts: { maxEntries?: number } = {},
  ) {
    this.maxEntries = opts.maxEntries ?? DEFAULT_MAX_LIST_ENTRIES;
    let listeners = listenersOf.get(db);
    if (!listeners) listenersOf.set(db, (listeners = new Set()));
    this.listeners = listeners;
    this.sql = {
      meta: db.prepare<[string], MetaRow>('SELECT version, received_at, entry_count FROM lists WHERE name = ?'),
      entries: db.prepare<[string], { entry: string }>('SELECT entry FROM list_entries WHERE list = ? ORDER BY key'),
      has: db.prepare<[string, string], { one: number }>(
        'SELECT 1 AS one FROM list_entries WHERE list = ? AND key = ?',
      ),
      putMeta: db.prepare(
        `INSERT INTO lists (name, version, received_at, entry_count) VALUES (@name, @version, @receivedAt, @count)
         ON CONFLICT (name) DO UPDATE SET version = excluded.version, received_at = excluded.received_at, entry_count = excluded.entry_count`,
      ),
      putEntry: db.prepare<[string, string, string]>(
        'INSERT INTO list_entries (list, key, entry) VALUES (?, ?, ?) ON CONFLICT (list, key) DO UPDATE SET entry = excluded.entry',
      ),
      removeEntry: db.prepare<[string, string]>('DELETE FROM list_entries WHERE list = ? AND key = ?'),
      clear: db.prepare<[string]>('DELETE FROM list_entries WHERE list = ?'),
      names: db.prepare<[], { name: string }>('SELECT name FROM lists ORDER BY name'),
      summaries: db.prepare<[], ListSummary>(
        'SELECT name, version, received_at AS receivedAt, entry_count AS entries FROM lists ORDER BY name',
      ),
    };
  }

  /** Replaces the list with `entries` as `version`, whatever was stored (central's resync). */
  applyFull(name: string, version: number, entries: readonly ListEntry[]): void {
    checkVersion(name, 'version', version);
    const byKeys = byKey(name, entries);
    if (byKeys.size > this.maxEntries) throw new ListTooLargeError(name, byKeys.size, this.maxEntries);
    const receivedAt = this.clock.now();
    this.db.transaction(() => {
      this.sql.clear.run(name);
      for (const [key, entry] of byKeys) this.sql.putEntry.run(name, key, JSON.stringify(entry));
      this.sql.putMeta.run({ name, version, receivedAt, count: byKeys.size });
    })();
    this.emit({ kind: 'full', name, version, receivedAt, entries: [...byKeys.values()] });
  }

  /**
   * Adds or replaces `add` (by key) and removes the keys in `remove` (a key in both ends up
   * added), if the list is at `fromVersion`. Throws ListTooLargeError, changing nothing, when the
   * list would grow past maxEntries.
   */
  applyDelta(
    name: string,
    fromVersion: number,
    toVersion: number,
    add: readonly ListEntry[],
    remove: readonly string[],
  ): DeltaResult {
    checkVersion(name, 'fromVersion', fromVersion);
    checkVersion(name, 'toVersion', toVersion);
    if (toVersion <= fromVersion)
      throw new RangeError(
        `list "${name}": delta toVersion ${toVersion} must be greater than fromVersion ${fromVersion}`,
      );
    const added = byKey(name, add);
    const removed = [...new Set(remove)].filter((key) => !added.has(key));
    const receivedAt = this.clock.now();
    const result = this.db.transaction((): DeltaResult => {
      const row = this.sql.meta.get(name);
      if (!row) return { applied: false, reason: 'unknown-list', currentVersion: null };
      if (row.version >= toVersion) return { applied: false, reason: 'already-applied', currentVersion: row.version };
      if (row.version !== fromVersion)
        return { applied: false, reason: 'version-mismatch', currentVersion: row.version };
      let count = row.entry_count;
      for (const key of removed) count -= this.sql.removeEntry.run(name, key).changes;
      for (const [key, entry] of added) {
        if (!this.sql.has.get(name, key)) count++;
        this.sql.putEntry.run(name, key, JSON.stringify(entry));
      }
      // Thrown inside the transaction: it rolls back, so the list is as it was.
      if (count > this.maxEntries) throw new ListTooLargeError(name, count, this.maxEntries);
      this.sql.putMeta.run({ name, version: toVersion, receivedAt, count });
      return { applied: true, version: toVersion };
    })();
    if (result.applied)
      this.emit({ kind: 'delta', name, version: toVersion, receivedAt, add: [...added.values()], remove: removed });
    return result;
  }

  /** The whole list, parsed: for start-up and tools, not for a lane's decision (see ListChange). */
  get(name: string): StoredList | undefined {
    const row = this.sql.meta.get(name);
    if (!row) return undefined;
    const entries = this.sql.entries.all(name).map((r) => JSON.parse(r.entry) as ListEntry);
    return { version: row.version, receivedAt: row.received_at, entries };
  }

  /** Each stored list's version, arrival time and entry count (kept, not counted). */
  summaries(): ListSummary[] {
    return this.sql.summaries.all();
  }

  names(): string[] {
    return this.sql.names.all().map((r) => r.name);
  }

  /** Calls `listener` after each change is committed; returns the way to stop. */
  onChange(listener: ListChangeListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private emit(change: ListChange): void {
    for (const listener of this.listeners) listener(change);
  }
}

function checkVersion(name: string, field: string, version: number): void {
  if (!Number.isSafeInteger(version) || version < 0)
    throw new RangeError(`list "${name}": ${field} must be a whole number ≥ 0, got ${version}`);
}

/** Entries by key; a key given twice in one message is central's mistake, reported as such. */
function byKey(name: string, entries: readonly ListEntry[]): Map<string, ListEntry> {
  const map = new Map<string, ListEntry>();
  for (const entry of entries) {
    if (typeof entry?.key !== 'string' || entry.key === '')
      throw new TypeError(`list "${name}": every entry needs a non-empty string key, got ${JSON.stringify(entry)}`);
    if (map.has(entry.key)) throw new Error(`list "${name}": key "${entry.key}" appears twice`);
    map.set(entry.key, entry);
  }
  return map;
}
