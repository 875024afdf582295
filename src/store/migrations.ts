import type { Clock } from '../core/clock.js';
import type { Database } from './database.js';

export interface Migration {
  /** 1, 2, 3, ... in order; never renumbered once released. */
  version: number;
  name: string;
  up(db: Database): void;
}

/** The database was written by a newer smartgate; opening it could misread or damage it. */
export class SchemaTooNewError extends Error {
  override readonly name = 'SchemaTooNewError';

  constructor(
    readonly found: number,
    readonly known: number,
  ) {
    super(
      `the event database has schema version ${found}, but this smartgate knows versions up to ${known}: ` +
        'it was written by a newer smartgate; run that version (or a newer one) instead',
    );
  }
}

/**
 * The schema, as released. Append new migrations at the end; never edit one that has shipped.
 * Tables are described in docs/store.md.
 */
export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'events, outbox, lane_seq, lists, frames',
    up(db) {
      db.exec(`
        CREATE TABLE events (
          event_id TEXT PRIMARY KEY,
          boot_id  TEXT NOT NULL,
          seq      INTEGER NOT NULL,
          site_id  TEXT NOT NULL,
          lane_id  TEXT NOT NULL,
          type     TEXT NOT NULL,
          ts       INTEGER NOT NULL,
          mono_at  REAL NOT NULL,
          payload  TEXT NOT NULL CHECK (json_valid(payload)),
          crop     BLOB,
          UNIQUE (lane_id, seq)
        );
        CREATE INDEX events_ts ON events (ts);

        -- The last seq given out per lane. Kept apart from events so that retention deleting
        -- a lane's old events never makes its seq start again.
        CREATE TABLE lane_seq (
          lane_id  TEXT PRIMARY KEY,
          last_seq INTEGER NOT NULL
        );

        CREATE TABLE outbox (
          outbox_id    INTEGER PRIMARY KEY AUTOINCREMENT,
          event_id     TEXT NOT NULL UNIQUE REFERENCES events (event_id) ON DELETE CASCADE,
          delivered_at INTEGER
        );
        CREATE INDEX outbox_pending ON outbox (outbox_id) WHERE delivered_at IS NULL;

        -- Last line of defence for the store's one promise: whatever deletes events (retention,
        -- a bug, an operator's sqlite3 session) cannot remove one central has not received.
        CREATE TRIGGER events_keep_undelivered BEFORE DELETE ON events
        WHEN EXISTS (SELECT 1 FROM outbox WHERE event_id = OLD.event_id AND delivered_at IS NULL)
        BEGIN
          SELECT RAISE(ABORT, 'refusing to delete an event that has not been delivered');
        END;

        CREATE TABLE frames (
          event_id   TEXT PRIMARY KEY REFERENCES events (event_id),
          path       TEXT NOT NULL UNIQUE,
          bytes      INTEGER NOT NULL,
          created_at INTEGER NOT NULL
        );

        CREATE TABLE lists (
          name        TEXT PRIMARY KEY,
          version     INTEGER NOT NULL,
          received_at INTEGER NOT NULL,
          entries     TEXT NOT NULL CHECK (json_valid(entries))
        );
      `);
    },
  },
  {
    version: 2,
    name: 'command_ids',
    up(db) {
      db.exec(`
        -- Ids of central's commands already received, so a replayed command is refused;
        -- pruned by age (a command older than the accepted age cannot pass the expiry check).
        CREATE TABLE command_ids (
          id          TEXT PRIMARY KEY,
          received_at INTEGER NOT NULL
        );
        CREATE INDEX command_ids_received_at ON command_ids (received_at);
      `);
    },
  },
  {
    version: 3,
    name: 'users',
    up(db) {
      db.exec(`
        -- Local accounts of the operators' page (src/web/auth/users.ts), managed with the CLI: smartgate user.
        CREATE TABLE users (
          username      TEXT PRIMARY KEY,
          role          TEXT NOT NULL CHECK (role IN ('viewer', 'operator', 'admin')),
          password_hash TEXT NOT NULL,
          created_at    INTEGER NOT NULL,
          updated_at    INTEGER NOT NULL
        );
      `);
    },
  },
  {
    version: 4,
    name: 'list_entries',
    up(db) {
      db.exec(`
        -- One row per list entry, so that a delta from central writes only what it changes, and
        -- each list's entry count is kept rather than counted (lists.entry_count).
        CREATE TABLE list_entries (
          list  TEXT NOT NULL,
          key   TEXT NOT NULL,
          entry TEXT NOT NULL CHECK (json_valid(entry)),
          PRIMARY KEY (list, key)
        ) WITHOUT ROWID;
        INSERT INTO list_entries (list, key, entry)
          SELECT lists.name, json_extract(e.value, '$.key'), e.value FROM lists, json_each(lists.entries) AS e;
        ALTER TABLE lists ADD COLUMN entry_count INTEGER NOT NULL DEFAULT 0;
        UPDATE lists SET entry_count = (SELECT COUNT(*) FROM list_entries WHERE list_entries.list = lists.name);
        ALTER TABLE lists DROP COLUMN entries;
      `);
    },
  },
  {
    version: 5,
    name: 'yards',
    up(db) {
      db.exec(`
        -- The vehicles inside each yard now (src/yard): a row per open visit, written in the
        -- transaction of its yard.entered event and deleted in that of its yard.left, so a
        -- restart finds the yard as it was even after retention deleted the entry's event.
        CREATE TABLE yard_visits (
          visit_id       TEXT PRIMARY KEY,
          yard_id        TEXT NOT NULL,
          plate          TEXT,
          display        TEXT,
          paired_plate   TEXT,
          vehicle_class  TEXT,
          entered_at     INTEGER NOT NULL,
          entry_lane     TEXT NOT NULL,
          decision_id    TEXT,
          overstay_level INTEGER NOT NULL DEFAULT 0
        );
        CREATE INDEX yard_visits_yard ON yard_visits (yard_id, entered_at);
        -- Vehicles called forward to the crossing, until used or expired.
        CREATE TABLE yard_calls (
          call_id    TEXT PRIMARY KEY,
          yard_id    TEXT NOT NULL,
          plate      TEXT NOT NULL,
          called_at  INTEGER NOT NULL,
          expires_at INTEGER NOT NULL,
          called_by  TEXT NOT NULL
        );
        CREATE INDEX yard_calls_yard ON yard_calls (yard_id, called_at);
      `);
    },
  },
  {
    version: 6,
    name: 'postcheck',
    up(db) {
      db.exec(`
        -- One row per vehicle that passed a lane deciding on fee declarations (src/postcheck),
        -- written in the transaction of the passage's post-check record: the ledger of what each
        -- declaration was used for, and what the day's reconciliation reads. "day" is the
        -- site's local date of the passage (site.timeZone).
        CREATE TABLE postcheck_passages (
          passage_id     TEXT PRIMARY KEY,
          decision_id    TEXT,
          lane_id        TEXT NOT NULL,
          plate          TEXT,
          passed_at      INTEGER NOT NULL,
          day            TEXT NOT NULL,
          status         TEXT NOT NULL CHECK (status IN ('declared', 'undeclared')),
          declaration_id TEXT,
          flags          TEXT NOT NULL CHECK (json_valid(flags)),
          flag_event_id  TEXT,
          confidence     REAL,
          votes          INTEGER
        );
        CREATE INDEX postcheck_passages_day ON postcheck_passages (day, passed_at);
        CREATE INDEX postcheck_passages_declaration ON postcheck_passages (declaration_id);
        -- What a reader of the store alone needs to know of the site (smartgate reconcile).
        CREATE TABLE site_meta (
          key   TEXT PRIMARY KEY,
          value TEXT NOT NULL
        );
      `);
    },
  },
  {
    version: 7,
    name: 'evidence chain',
    up(db) {
      db.exec(`
        -- The evidence chain (src/evidence, docs/evidence.md): each event's hashes, written in
        -- its own insert. Events recorded before this version have none.
        ALTER TABLE events ADD COLUMN payload_hash TEXT;
        ALTER TABLE events ADD COLUMN crop_hash TEXT;
        ALTER TABLE events ADD COLUMN prev_hash TEXT;
        ALTER TABLE events ADD COLUMN chain_hash TEXT;
        -- Each lane's chain head, moved with last_seq; chain_from is the seq of the lane's first
        -- chained event (after the events of an older version, or 1).
        ALTER TABLE lane_seq ADD COLUMN head_hash TEXT;
        ALTER TABLE lane_seq ADD COLUMN chain_from INTEGER NOT NULL DEFAULT 1;
        UPDATE lane_seq SET chain_from = last_seq + 1;
        -- The SHA-256 of a frame file, taken before it is written; its evidence.frame event
        -- carries the same hash into the chain.
        ALTER TABLE frames ADD COLUMN sha256 TEXT;
        -- Seqs of a lane that retention deleted, from..to, with the chain hash of the last of
        -- them (the next kept event links to it), signed by the gate key. Adjacent ranges are merged.
        CREATE TABLE chain_pruned (
          lane_id   TEXT NOT NULL,
          from_seq  INTEGER NOT NULL,
          to_seq    INTEGER NOT NULL,
          last_hash TEXT NOT NULL,
          key_id    TEXT NOT NULL,
          signature TEXT NOT NULL,
          PRIMARY KEY (lane_id, from_seq)
        );
      `);
    },
  },
  {
    version: 8,
    name: 'images pruned',
    up(db) {
      db.exec(`
        -- Crops and frame files that retention dropped from events it keeps, each with its hash,
        -- signed by the gate key: a crop or frame gone without such a row was not retention's
        -- doing (docs/evidence.md#retention). Goes with its event.
        CREATE TABLE images_pruned (
          event_id  TEXT NOT NULL REFERENCES events (event_id) ON DELETE CASCADE,
          kind      TEXT NOT NULL CHECK (kind IN ('crop', 'frame')),
          sha256    TEXT NOT NULL,
          key_id    TEXT NOT NULL,
          signature TEXT NOT NULL,
          PRIMARY KEY (event_id, kind)
        );
      `);
    },
  },
];

/**
 * Brings the database up to the newest migration, each in its own transaction, recording
 * each in `schema_migrations`. Returns the versions applied (none when already current).
 */
export function migrate(
  db: Database,
  clock: Pick<Clock, 'now'>,
  migrations: readonly Migration[] = MIGRATIONS,
): number[] {
  checkOrder(migrations);
  db.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
    version    INTEGER PRIMARY KEY,
    name       TEXT NOT NULL,
    applied_at INTEGER NOT NULL
  )`);
  const current = schemaVersion(db);
  const known = migrations.at(-1)?.version ?? 0;
  if (current > known) throw new SchemaTooNewError(current, known);

  const record = db.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)');
  const applied: number[] = [];
  for (const migration of migrations.filter((m) => m.version > current)) {
    db.transaction(() => {
      migration.up(db);
      record.run(migration.version, migration.name, clock.now());
    })();
    applied.push(migration.version);
  }
  return applied;
}

/** The newest migration applied, 0 for a new database. */
export function schemaVersion(db: Database): number {
  const row = db.prepare('SELECT MAX(version) AS version FROM schema_migrations').get() as { version: number | null };
  return row.version ?? 0;
}

function checkOrder(migrations: readonly Migration[]): void {
  migrations.forEach((m, i) => {
    if (m.version !== i + 1)
      throw new Error(
        `migration "${m.name}" has version ${m.version}, expected ${i + 1}: versions must be 1, 2, 3, ... in order`,
      );
  });
}
