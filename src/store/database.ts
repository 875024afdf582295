import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';

export type Database = BetterSqlite3.Database;

/**
 * FULL: every commit is on disk when `append` returns (an fsync of the WAL per transaction).
 * NORMAL: in WAL mode the WAL is synced only at checkpoints, so a power cut can lose the last
 * transactions, but never corrupts the database. A process crash loses nothing in either mode.
 */
export type SynchronousMode = 'FULL' | 'NORMAL';

export interface DatabaseOptions {
  synchronous: SynchronousMode;
  /** How long to wait for a lock held by another process before failing. */
  busyTimeoutMs: number;
}

export const DEFAULT_BUSY_TIMEOUT_MS = 5000;

/** The database is held by another process: most likely a second smartgate with the same dataDir. */
export class StoreLockedError extends Error {
  override readonly name = 'StoreLockedError';

  constructor(readonly path: string) {
    super(`${path} is locked by another process (is another smartgate running with the same dataDir?)`);
  }
}

/**
 * Opens (creating if needed) the SQLite file in WAL mode and takes an exclusive lock on it for
 * the life of the connection: this process is the only writer, and a second smartgate on the
 * same file fails at start-up instead of interleaving writes.
 */
export function openDatabase(path: string, options: Partial<DatabaseOptions> = {}): Database {
  const { synchronous = 'FULL', busyTimeoutMs = DEFAULT_BUSY_TIMEOUT_MS } = options;
  if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
  let db: Database;
  try {
    db = new BetterSqlite3(path, { timeout: busyTimeoutMs });
  } catch (err) {
    throw new Error(`cannot open the event database ${path}: ${(err as Error).message}`, { cause: err });
  }
  try {
    // Before anything touches the file: with EXCLUSIVE the WAL index lives in process memory
    // (no -shm file) and the lock taken below is kept until close.
    db.pragma('locking_mode = EXCLUSIVE');
    // Only takes effect on a new file (before the first table): lets retention give the pages
    // of deleted images back to the file system, so the quota measures what is really used.
    db.pragma('auto_vacuum = INCREMENTAL');
    const journal = db.pragma('journal_mode = WAL', { simple: true });
    if (path !== ':memory:' && journal !== 'wal')
      throw new Error(`${path}: cannot switch to WAL mode (journal_mode is ${String(journal)})`);
    db.pragma(`synchronous = ${synchronous}`);
    db.pragma('foreign_keys = ON');
    db.pragma(`busy_timeout = ${busyTimeoutMs}`);
    db.exec('BEGIN EXCLUSIVE; COMMIT');
  } catch (err) {
    db.close();
    const code = (err as { code?: string }).code;
    if (code === 'SQLITE_BUSY') throw new StoreLockedError(path);
    // SQLite opens lazily: a path it cannot use (a directory, no permission) fails here.
    if (code === 'SQLITE_CANTOPEN' || code === 'SQLITE_NOTADB')
      throw new Error(`cannot open the event database ${path}: ${(err as Error).message}`, { cause: err });
    throw err;
  }
  return db;
}
