import type { Clock } from '../core/clock.js';
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

export type DeltaResult = { applied: true; version: number } | { applied: false; reason: DeltaRefusal; currentVersion: number | null };

export interface ListSummary {
  name: string;
  version: number;
  receivedAt: number;
  entries: number;
}

interface ListRow {
  version: number;
  received_at: number;
  entries: string;
}

/**
 * Allow/deny lists sent by central, kept so the gate decides from the last known lists while
 * central is unreachable. A full list replaces what is stored; a delta applies only on top of
 * the exact version it was made from, so a lost or reordered delta is noticed, never merged.
 */
export class ListStore {
  private readonly sql;

  constructor(
    db: Database,
    private readonly clock: Pick<Clock, 'now'>,
  ) {
    this.sql = {
      get: db.prepare<[string], ListRow>('SELECT version, received_at, entries FROM lists WHERE name = ?'),
      put: db.prepare(
        `INSERT INTO lists (name, version, received_at, entries) VALUES (@name, @version, @receivedAt, @entries)
         ON CONFLICT (name) DO UPDATE SET version = excluded.version, received_at = excluded.received_at, entries = excluded.entries`,
      ),
      names: db.prepare<[], { name: string }>('SELECT name FROM lists ORDER BY name'),
      summaries: db.prepare<[], ListSummary>('SELECT name, version, received_at AS receivedAt, json_array_length(entries) AS entries FROM lists ORDER BY name'),
    };
  }

  /** Replaces the list with `entries` as `version`, whatever was stored (central's resync). */
  applyFull(name: string, version: number, entries: readonly ListEntry[]): void {
    checkVersion(name, 'version', version);
    this.put(name, version, byKey(name, entries));
  }

  /** Adds or replaces `add` (by key) and removes the keys in `remove`, if the list is at `fromVersion`. */
  applyDelta(name: string, fromVersion: number, toVersion: number, add: readonly ListEntry[], remove: readonly string[]): DeltaResult {
    checkVersion(name, 'fromVersion', fromVersion);
    checkVersion(name, 'toVersion', toVersion);
    if (toVersion <= fromVersion) throw new RangeError(`list "${name}": delta toVersion ${toVersion} must be greater than fromVersion ${fromVersion}`);
    const row = this.sql.get.get(name);
    if (!row) return { applied: false, reason: 'unknown-list', currentVersion: null };
    if (row.version >= toVersion) return { applied: false, reason: 'already-applied', currentVersion: row.version };
    if (row.version !== fromVersion) return { applied: false, reason: 'version-mismatch', currentVersion: row.version };

    const entries = byKey(name, JSON.parse(row.entries) as ListEntry[]);
    for (const key of remove) entries.delete(key);
    for (const [key, entry] of byKey(name, add)) entries.set(key, entry);
    this.put(name, toVersion, entries);
    return { applied: true, version: toVersion };
  }

  get(name: string): StoredList | undefined {
    const row = this.sql.get.get(name);
    if (!row) return undefined;
    return { version: row.version, receivedAt: row.received_at, entries: JSON.parse(row.entries) as ListEntry[] };
  }

  /** Each stored list's version, arrival time and entry count, without parsing the entries. */
  summaries(): ListSummary[] {
    return this.sql.summaries.all();
  }

  names(): string[] {
    return this.sql.names.all().map((r) => r.name);
  }

  private put(name: string, version: number, entries: Map<string, ListEntry>): void {
    const sorted = [...entries.values()].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    this.sql.put.run({ name, version, receivedAt: this.clock.now(), entries: JSON.stringify(sorted) });
  }
}

function checkVersion(name: string, field: string, version: number): void {
  if (!Number.isSafeInteger(version) || version < 0) throw new RangeError(`list "${name}": ${field} must be a whole number ≥ 0, got ${version}`);
}

/** Entries by key; a key given twice in one message is central's mistake, reported as such. */
function byKey(name: string, entries: readonly ListEntry[]): Map<string, ListEntry> {
  const map = new Map<string, ListEntry>();
  for (const entry of entries) {
    if (typeof entry?.key !== 'string' || entry.key === '') throw new TypeError(`list "${name}": every entry needs a non-empty string key, got ${JSON.stringify(entry)}`);
    if (map.has(entry.key)) throw new Error(`list "${name}": key "${entry.key}" appears twice`);
    map.set(entry.key, entry);
  }
  return map;
}
