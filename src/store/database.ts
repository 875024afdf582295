import { existsSync, mkdirSync } from 'node:fs';
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
 * Opens (creating if needed) the SQLite file in WAL mode as this process's to write: a lock on a
 * file beside it (`smartgate.db.lock`) is taken first and held for the life of the connection,
 * so a second smartgate on the same file fails at start-up instead of interleaving writes. The
 * database itself is in SQLite's normal locking, so other processes may read it meanwhile
 * (openDatabaseReadOnly: `smartgate reconcile` while the daemon runs).
 */
export function openDatabase(path: string, options: Partial<DatabaseOptions> = {}): Database {
  const { synchronous = 'FULL', busyTimeoutMs = DEFAULT_BUSY_TIMEOUT_MS } = options;
  if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
  const lock = path === ':memory:' ? null : takeWriterLock(path, busyTimeoutMs);
  let db: Database;
  try {
    db = new BetterSqlite3(path, { timeout: busyTimeoutMs });
  } catch (err) {
    lock?.close();
    throw new Error(`cannot open the event database ${path}: ${(err as Error).message}`, { cause: err });
  }
  try {
    // Only takes effect on a new file (before the first table): lets retention give the pages
    // of deleted images back to the file system, so the quota measures what is really used.
    db.pragma('auto_vacuum = INCREMENTAL');
    const journal = db.pragma('journal_mode = WAL', { simple: true });
    if (path !== ':memory:' && journal !== 'wal')
      throw new Error(`${path}: cannot switch to WAL mode (journal_mode is ${String(journal)})`);
    db.pragma(`synchronous = ${synchronous}`);
    db.pragma('foreign_keys = ON');
    db.pragma(`busy_timeout = ${busyTimeoutMs}`);
  } catch (err) {
    db.close();
    lock?.close();
    const code = (err as { code?: string }).code;
    if (code === 'SQLITE_BUSY') throw new StoreLockedError(path);
    // SQLite opens lazily: a path it cannot use (a directory, no permission) fails here.
    if (code === 'SQLITE_CANTOPEN' || code === 'SQLITE_NOTADB')
      throw new Error(`cannot open the event database ${path}: ${(err as Error).message}`, { cause: err });
    throw err;
  }
  if (lock) {
    // The lock goes with the connection: whoever closes the store releases it.
    const close = db.close.bind(db);
    db.close = () => {
      try {
        return close();
      } finally {
        if (lock.open) lock.close();
      }
    };
  }
  return db;
}

/**
 * Opens an existing database for reading only, beside the process that writes it: no lock is
 * taken and nothing is written, so the daemon goes on as it was. The schema is as the writer
 * left it (no migration); a reader checks what it needs.
 */
export function openDatabaseReadOnly(
  path: string,
  options: Partial<Pick<DatabaseOptions, 'busyTimeoutMs'>> = {},
): Database {
  const { busyTimeoutMs = DEFAULT_BUSY_TIMEOUT_MS } = options;
  if (!existsSync(path)) throw new Error(`no event database at ${path}`);
  try {
    const db = new BetterSqlite3(path, { readonly: true, fileMustExist: true, timeout: busyTimeoutMs });
    db.pragma(`busy_timeout = ${busyTimeoutMs}`);
    db.prepare('SELECT 1 FROM sqlite_master LIMIT 1').get();
    return db;
  } catch (err) {
    throw new Error(`cannot read the event database ${path}: ${(err as Error).message}`, { cause: err });
  }
}

/**
 * Opens an existing WAL database to write a few transactions beside the process that holds the
 * writer's lock (a command beside the running daemon): no lock file, no journal-mode switch, no
 * migration. SQLite's own locking serialises the two writers; each write must be an IMMEDIATE
 * transaction, so it waits (busyTimeoutMs) for the other's instead of failing half-way.
 */
export function openDatabaseBesideWriter(path: string, options: Partial<DatabaseOptions> = {}): Database {
  const { synchronous = 'FULL', busyTimeoutMs = DEFAULT_BUSY_TIMEOUT_MS } = options;
  let db: Database;
  try {
    db = new BetterSqlite3(path, { fileMustExist: true, timeout: busyTimeoutMs });
  } catch (err) {
    throw new Error(`cannot open the event database ${path}: ${(err as Error).message}`, { cause: err });
  }
  try {
    db.pragma(`busy_timeout = ${busyTimeoutMs}`);
    const journal = db.pragma('journal_mode', { simple: true });
    if (journal !== 'wal') throw new Error(`${path}: not in WAL mode (journal_mode is ${String(journal)})`);
    db.pragma(`synchronous = ${synchronous}`);
    db.pragma('foreign_keys = ON');
    return db;
  } catch (err) {
    db.close();
    throw err;
  }
}

/**
 * The writer's lock: an exclusive SQLite lock (an OS file lock, so it goes when the process
 * dies) on `{path}.lock`, held until the returned connection closes. SQLITE_BUSY after the busy
 * timeout means another process holds it. `smartgate restore` takes it too, so it never replaces
 * the store under a running daemon.
 */
export function takeWriterLock(path: string, busyTimeoutMs: number): BetterSqlite3.Database {
  let lock: BetterSqlite3.Database;
  try {
    lock = new BetterSqlite3(`${path}.lock`, { timeout: busyTimeoutMs });
  } catch (err) {
    throw new Error(`cannot open the lock file ${path}.lock: ${(err as Error).message}`, { cause: err });
  }
  try {
    lock.pragma('locking_mode = EXCLUSIVE');
    lock.pragma(`busy_timeout = ${busyTimeoutMs}`);
    // A write takes the exclusive lock, and EXCLUSIVE locking mode keeps it after the commit.
    lock.exec('BEGIN EXCLUSIVE');
    lock.exec('CREATE TABLE IF NOT EXISTS writer (pid INTEGER NOT NULL, since INTEGER NOT NULL)');
    lock.exec('DELETE FROM writer');
    lock.prepare('INSERT INTO writer (pid, since) VALUES (?, ?)').run(process.pid, Date.now());
    lock.exec('COMMIT');
  } catch (err) {
    lock.close();
    if ((err as { code?: string }).code === 'SQLITE_BUSY') throw new StoreLockedError(path);
    throw err;
  }
  return lock;
}
