import { statSync } from 'node:fs';
import { join } from 'node:path';
import { Accounts } from './accounts.js';
import { openDatabaseBesideWriter, StoreLockedError, type Database } from './database.js';
import { EventStore } from './event-store.js';
import { MIGRATIONS, schemaVersion } from './migrations.js';
import { DATABASE_FILE, openStore, SITE_NOT_YET_KNOWN, type StoreContext, type StoreOptions } from './store.js';
import { StoreTransactions } from './transactions.js';
import { UlidFactory } from './ulid.js';

/** The schema version this smartgate writes. */
export const NEWEST_SCHEMA_VERSION = MIGRATIONS.at(-1)?.version ?? 0;

/**
 * Beside a running daemon, the store's schema is not the one this smartgate writes: the daemon
 * is of another smartgate version, and a command of this one must not write its store.
 */
export class SchemaMismatchError extends Error {
  override readonly name = 'SchemaMismatchError';

  constructor(
    readonly path: string,
    readonly found: number,
  ) {
    super(
      `${path} has schema version ${found}, but this smartgate writes version ${NEWEST_SCHEMA_VERSION}: the daemon ` +
        'running on it is of another smartgate version. Run the smartgate command of the same installation as the ' +
        'daemon; nothing was changed',
    );
  }
}

/** The store file was replaced (a restore) while this command had it open. */
export class StoreReplacedError extends Error {
  override readonly name = 'StoreReplacedError';

  constructor(readonly path: string) {
    super(`${path} was replaced while this command ran (a restore?): run it again; nothing was changed`);
  }
}

/** What a command that writes a few rows (`smartgate user`) gets of the store. */
export interface CommandStore {
  readonly db: Database;
  readonly accounts: Accounts;
  /** This command's boot id: the events it records are this process's, not the daemon's. */
  readonly bootId: string;
  /**
   * True when another process (the running daemon) holds the writer's lock and this command
   * writes beside it; false when the command opened the store as its only writer.
   */
  readonly besideWriter: boolean;
  /**
   * One IMMEDIATE transaction (the write lock from BEGIN, waiting for the daemon's). Beside the
   * daemon it first checks, under that lock, that the schema is still this smartgate's and the
   * file is still the one opened; the error rolls everything back.
   */
  transaction<T>(fn: () => T): T;
  /** An event store over this connection, recording under `siteId`, in the transactions above. */
  events(siteId: string): EventStore;
  close(): void;
}

export interface CommandStoreOptions {
  dataDir: string;
  config: StoreOptions['config'];
  /** How long to wait for the writer's lock before writing beside its holder. Default 1 s. */
  lockWaitMs?: number;
  /** Beside the daemon: how long a write waits for the daemon's transaction. Default 5 s. */
  busyTimeoutMs?: number;
}

/**
 * Opens the store for a short command. When no process holds the writer's lock, as the daemon
 * does (lock taken, schema migrated); otherwise beside its holder, the running daemon: without
 * the lock and without migrating, and only when the schema is exactly this smartgate's newest.
 * What the two processes write is serialised by SQLite (WAL, busy timeout, IMMEDIATE
 * transactions); the event store reads each lane's chain head inside the append's transaction,
 * so the events of both processes chain one after the other.
 */
export function openCommandStore(ctx: StoreContext, options: CommandStoreOptions): CommandStore {
  const { dataDir, config, lockWaitMs = 1000, busyTimeoutMs = 5000 } = options;
  const bootId = new UlidFactory(ctx.clock).next();
  try {
    const store = openStore(ctx, { dataDir, siteId: SITE_NOT_YET_KNOWN, config, bootId, busyTimeoutMs: lockWaitMs });
    return commandStore(ctx, store.db, bootId, false, () => {});
  } catch (err) {
    if (!(err instanceof StoreLockedError)) throw err;
  }
  const path = join(dataDir, DATABASE_FILE);
  const before = fileId(path);
  const db = openDatabaseBesideWriter(path, { synchronous: 'FULL', busyTimeoutMs });
  try {
    const opened = fileId(path);
    if (before === undefined || opened !== before) throw new StoreReplacedError(path);
    const check = () => {
      const found = schemaVersion(db);
      if (found !== NEWEST_SCHEMA_VERSION) throw new SchemaMismatchError(path, found);
      if (fileId(path) !== opened) throw new StoreReplacedError(path);
    };
    check();
    return commandStore(ctx, db, bootId, true, check);
  } catch (err) {
    db.close();
    throw err;
  }
}

function commandStore(
  ctx: StoreContext,
  db: Database,
  bootId: string,
  besideWriter: boolean,
  check: () => void,
): CommandStore {
  const tx = new StoreTransactions(db, ctx.log);
  return {
    db,
    accounts: new Accounts(db),
    bootId,
    besideWriter,
    transaction: (fn) =>
      tx.transaction(() => {
        check();
        return fn();
      }),
    events: (siteId) => new EventStore(db, ctx, { siteId, bootId }, tx),
    close: () => db.close(),
  };
}

/** The file's identity (device and inode), undefined when there is none. */
function fileId(path: string): string | undefined {
  try {
    const s = statSync(path, { bigint: true });
    return `${s.dev}:${s.ino}`;
  } catch {
    return undefined;
  }
}
